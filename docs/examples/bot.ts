// bot.ts: the call handling of a calling bot. Graph posts notifications to the webhook; the
// registry keeps every call and performs the hang-ups; the bot listens to what happens.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CallRegistry,
  type CallStore,
  type CallView,
  createCallRegistry,
  type GraphClient,
  type GraphClientOptions,
  HangUpFailedError,
  UnknownCallError,
  WaitTimeoutError,
} from 'graph-call-machine';
import {
  type AuthResult,
  createGraphTokenValidator,
  createWebhookHandler,
  toNodeListener,
} from 'graph-call-machine/webhook';

export interface BotOptions {
  /** The bot's Microsoft app id: every notification must carry a token issued for it. */
  readonly appId: string;
  /** How to reach Graph: a token provider (the registry makes its own client), or a client. */
  readonly graph: GraphClientOptions | GraphClient;
  /** Where calls are kept. Default: memory, which a restart forgets. */
  readonly store?: CallStore;
  /** Default 3978; 0 picks a free port. */
  readonly port?: number;
  /** Default: Microsoft's signing keys, for `appId`. Tests pass a validator with their own keys. */
  readonly authenticate?: (req: Request) => Promise<AuthResult>;
  readonly log?: (line: string) => void;
}

export interface Bot {
  readonly registry: CallRegistry;
  /** The webhook: give Graph this (behind your HTTPS endpoint) as the call's `callbackUri`. */
  readonly webhookUrl: string;
  /** Hangs up and waits for the end; undefined for a call the bot does not know. */
  hangUp(callId: string): Promise<CallView | undefined>;
  close(): Promise<void>;
}

export async function startBot(options: BotOptions): Promise<Bot> {
  const log = options.log ?? ((line: string) => console.log(line));
  const registry = createCallRegistry({
    graph: options.graph,
    ...(options.store !== undefined && { store: options.store }),
    // Both are the defaults, spelled out: Graph ends a call that saw no keepAlive for 45 min,
    // and a hang-up waits 30 s for `terminated` before it asks Graph with a GET.
    keepAliveMs: 15 * 60_000,
    confirmTimeoutMs: 30_000,
  });

  registry.on('call.stateChanged', ({ callId, from, to }) => {
    log(`${callId}: ${from.state} (${from.phase}) → ${to.state} (${to.phase})`);
  });
  registry.on('call.terminated', ({ outcome }) => {
    const info = outcome.resultInfo;
    log(
      `${outcome.callId}: ended, ${outcome.reason}, ${info?.code}/${info?.subcode} ${info?.message ?? ''}`,
    );
  });
  registry.on('call.notification', ({ callId, notification, verdict }) => {
    // Key presses, roster and media updates ride on notifications that change no state.
    const data = notification.raw.resourceData;
    if (
      verdict === 'unchanged' &&
      typeof data === 'object' &&
      data !== null &&
      'toneInfo' in data
    ) {
      log(`${callId}: tone ${JSON.stringify(data.toneInfo)}`);
    }
  });
  registry.on('notification.ignored', ({ callId, verdict, notification }) => {
    log(`${callId}: ${verdict} ${notification.state ?? notification.changeType} ignored`);
  });
  registry.on('notification.rejected', ({ rejection }) => {
    log(`rejected ${rejection.field ?? 'body'}: ${rejection.message}`);
  });
  registry.on('call.hangUpFailed', ({ callId, status, attempts }) => {
    log(`${callId}: hang-up failed with ${status} after ${attempts} DELETE(s); the call goes on`);
  });
  registry.on('registry.error', ({ callId, error }) => {
    log(`registry error${callId === undefined ? '' : ` (${callId})`}: ${error.message}`);
  });

  const webhook = createWebhookHandler(registry, {
    authenticate: options.authenticate ?? createGraphTokenValidator({ appId: options.appId }),
    onError: (error) => log(`webhook failed: ${String(error)}`),
  });
  const server = createServer(toNodeListener(webhook));
  await new Promise<void>((resolve) => server.listen(options.port ?? 3978, resolve));
  const { port } = server.address() as AddressInfo;

  return {
    registry,
    webhookUrl: `http://localhost:${port}/api/calls`,
    async hangUp(callId) {
      try {
        await registry.hangUp(callId); // resolves once Graph took the DELETE (or the call was gone)
        return await registry.waitFor(callId, 'terminated', { timeoutMs: 60_000 });
      } catch (error) {
        if (error instanceof UnknownCallError) return undefined;
        if (error instanceof WaitTimeoutError) return registry.get(callId); // still terminating
        if (error instanceof HangUpFailedError) log(`${callId}: ${error.status} ${error.message}`);
        throw error;
      }
    },
    async close() {
      await registry.close(); // stops timers and pending waits; the store keeps the calls
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
