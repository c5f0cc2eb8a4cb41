// Shared wiring of the call-control tests: a fake Graph in front of one or more registries,
// event recording, the requests each test sends, and a body rewriter for corpus payloads.
import type {
  AnswerRequest,
  CallRegistry,
  GraphClientOptions,
  InvitationTarget,
  RegistryEvent,
  RegistryEventType,
} from '../../src/index.js';
import type { FakeGraph, RecordedRequest } from '../../src/testing/index.js';

export const ANSWER: AnswerRequest = {
  callbackUri: 'https://bot.example.com/api/calls',
  mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
  acceptedModalities: ['audio'],
};

export const TARGET: InvitationTarget = {
  identity: { user: { id: '550fae72-d251-43ec-868c-373732c2704f', displayName: 'Alice' } },
};

export const OTHER_TARGET: InvitationTarget = {
  identity: { phone: { id: '+14255550100' } },
};

/** The `graph` option of a registry that talks to `fake` through its in-process fetch. */
export function graphOf(fake: FakeGraph): GraphClientOptions {
  return { getToken: async () => 'token', fetch: fake.fetch, baseUrl: fake.baseUrl };
}

/** The call-control POSTs the fake answered for one call: `answer`, `reject`, … */
export function controlPosts(
  fake: FakeGraph,
  callId: string,
  action?: 'answer' | 'reject' | 'redirect' | 'transfer',
): RecordedRequest[] {
  return fake.requests.filter(
    (r) =>
      r.method === 'POST' &&
      r.callId === callId &&
      r.action !== undefined &&
      r.action.toLowerCase() !== 'keepalive' &&
      (action === undefined || r.action.toLowerCase() === action),
  );
}

export const CALL_EVENTS = [
  'call.incoming',
  'call.established',
  'call.stateChanged',
  'call.terminated',
  'call.commandRejected',
  'call.commandFailed',
  'call.transferFailed',
  'call.hangUpFailed',
  'registry.error',
] as const satisfies readonly RegistryEventType[];

/** Everything a registry tells its listeners of the types above, in order. */
export function recordEvents(registry: CallRegistry): RegistryEvent[] {
  const events: RegistryEvent[] = [];
  for (const type of CALL_EVENTS) {
    registry.on(type, (event: RegistryEvent) => {
      events.push(event);
    });
  }
  return events;
}

/** The events of one type (and call) among those recorded, typed. */
export function eventsOf<T extends RegistryEventType>(
  events: readonly RegistryEvent[],
  type: T,
  callId?: string,
): Extract<RegistryEvent, { type: T }>[] {
  return events.filter(
    (e): e is Extract<RegistryEvent, { type: T }> =>
      e.type === type && (callId === undefined || ('callId' in e && e.callId === callId)),
  );
}

/** A webhook body with every occurrence of the call id `from` replaced by `to`. */
export function withCallId(body: unknown, from: string, to: string): unknown {
  return JSON.parse(JSON.stringify(body).split(from).join(to));
}

/** How a promise settled, without leaving a rejection unhandled. */
export type Settled<T> =
  | { readonly status: 'pending' }
  | { readonly status: 'fulfilled'; readonly value: T }
  | { readonly status: 'rejected'; readonly reason: unknown };

/** Watches a promise: `state()` says how it settled so far; a rejection counts as handled. */
export function watch<T>(promise: Promise<T>): { readonly state: () => Settled<T> } {
  let settled: Settled<T> = { status: 'pending' };
  promise.then(
    (value) => {
      settled = { status: 'fulfilled', value };
    },
    (reason: unknown) => {
      settled = { status: 'rejected', reason };
    },
  );
  return { state: () => settled };
}

/** Runs `fn`, turning a synchronous throw into a rejection (a bot awaits either the same way). */
export async function attempt<T>(fn: () => Promise<T>): Promise<T> {
  return fn();
}

/** Lets pending promise work run (a few turns of the event loop). */
export async function flush(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i += 1) await new Promise((resolve) => setImmediate(resolve));
}
