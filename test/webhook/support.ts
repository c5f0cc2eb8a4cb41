/**
 * Shared pieces of the webhook tests: notification bodies, registries that record what reached
 * them, and a counting body stream.
 *
 * @example
 * ```ts
 * const registry = parsingRegistry();
 * await createWebhookHandler(registry)(jsonPost(envelope(callItem('c1', 'established'))));
 * registry.handed.map((n) => n.callId); // ['c1']
 * ```
 */
import type { CallNotification } from '../../src/graph/notification.js';
import { parseNotifications } from '../../src/graph/parseNotifications.js';
import type { CallRegistry, IngestReport } from '../../src/runtime/types.js';

export const CALL_A = '57dab8b1-894c-409a-b240-bd8beae78896';
export const CALL_B = '341a0500-d4bf-4224-8b19-1581168d328b';
export const CALL_C = '421f0b00-6a5f-4f8d-a6a1-9d3f1a5c7e21';
export const WEBHOOK_URL = 'https://bot.example/api/calls';

type Item = Record<string, unknown>;

export function envelope(...value: unknown[]): Item {
  return { '@odata.type': '#microsoft.graph.commsNotifications', value };
}

export function callItem(callId: string, state: string, changeType = 'updated'): Item {
  return {
    '@odata.type': '#microsoft.graph.commsNotification',
    changeType,
    resourceUrl: `/communications/calls/${callId}`,
    resourceData: { '@odata.type': '#microsoft.graph.call', state },
  };
}

export const EMPTY_REPORT: IngestReport = {
  applied: 0,
  unchanged: 0,
  stale: 0,
  late: 0,
  subresource: 0,
  rejected: 0,
  unknownCalls: 0,
  rejections: [],
};

/** A registry that answers a fixed report and records every body it was given. */
export function recordingRegistry(report: Partial<IngestReport> = {}): Pick<
  CallRegistry,
  'ingest'
> & {
  readonly bodies: unknown[];
} {
  const bodies: unknown[] = [];
  return {
    bodies,
    async ingest(body) {
      bodies.push(body);
      return { ...EMPTY_REPORT, ...report };
    },
  };
}

/**
 * The smallest honest stand-in for the real registry: the real parser, every parsed
 * notification counted as applied (or subresource) and kept in `handed`.
 */
export function parsingRegistry(): Pick<CallRegistry, 'ingest'> & {
  readonly bodies: unknown[];
  readonly handed: CallNotification[];
} {
  const bodies: unknown[] = [];
  const handed: CallNotification[] = [];
  return {
    bodies,
    handed,
    async ingest(body) {
      bodies.push(body);
      const { notifications, rejected } = parseNotifications(body);
      handed.push(...notifications);
      const subresource = notifications.filter((n) => n.resource !== 'call').length;
      return {
        ...EMPTY_REPORT,
        applied: notifications.length - subresource,
        subresource,
        rejected: rejected.length,
        unknownCalls: new Set(notifications.map((n) => n.callId)).size,
        rejections: rejected,
      };
    },
  };
}

/** A JSON POST to the webhook. */
export function jsonPost(body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(WEBHOOK_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A body stream of `chunks` chunks of `chunkBytes` zero bytes that counts what was pulled. */
export function countingStream(
  chunks: number,
  chunkBytes: number,
): {
  readonly stream: ReadableStream<Uint8Array>;
  readonly pulled: () => number;
  readonly cancelled: () => unknown;
} {
  let pulled = 0;
  let cancelReason: unknown;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled === chunks) {
          controller.close();
          return;
        }
        pulled += 1;
        controller.enqueue(new Uint8Array(chunkBytes));
      },
      cancel(reason) {
        cancelReason = reason ?? 'cancelled';
      },
    },
    // No read-ahead: every pull is one the reader asked for.
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulled, cancelled: () => cancelReason };
}

/** The body of a problem answer, after checking it is one (RFC 9457 members present). */
export async function problemOf(response: Response): Promise<Record<string, unknown>> {
  if (response.headers.get('content-type') !== 'application/problem+json') {
    throw new Error(
      `expected application/problem+json, got ${response.headers.get('content-type')}`,
    );
  }
  const body: unknown = await response.json();
  if (typeof body !== 'object' || body === null) throw new Error('problem body is not an object');
  const problem = body as Record<string, unknown>;
  for (const member of ['type', 'title', 'status', 'detail']) {
    if (!(member in problem)) throw new Error(`problem body lacks "${member}"`);
  }
  if (problem.status !== response.status) {
    throw new Error(`problem status ${String(problem.status)} ≠ response ${response.status}`);
  }
  return problem;
}

/** The app and tenants the token tests sign for. */
export const APP_ID = 'b1d3a9f0-5c2e-4a77-9b8e-2f6d0c1e3a45';
export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const OTHER_TENANT = 'aaaaaaaa-86f1-41af-91ab-2d7cd011db47';
