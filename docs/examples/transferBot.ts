// transferBot.ts: a whole bot. It answers every incoming call, then transfers it where `route`
// says or hangs up; a failed transfer hangs up too. The registry sends every request to Graph.
import { createServer, type Server } from 'node:http';
import {
  type CallParticipantInfo,
  type CallRegistry,
  type CallRegistryOptions,
  createCallRegistry,
  type InvitationTarget,
} from 'graph-call-machine';
import { type AuthResult, createWebhookHandler, toNodeListener } from 'graph-call-machine/webhook';

export interface BotOptions {
  readonly graph: CallRegistryOptions['graph']; // { getToken }, or a GraphClient of your own
  readonly authenticate: (req: Request) => Promise<AuthResult>; // createGraphTokenValidator(…)
  readonly callbackUri: string; // this webhook, as Graph reaches it (https)
  /** Where to transfer a caller; `undefined` hangs up instead. */
  readonly route: (caller: CallParticipantInfo | undefined) => InvitationTarget | undefined;
  readonly port?: number;
  readonly log?: (line: string) => void;
}

export function startBot(options: BotOptions): { registry: CallRegistry; server: Server } {
  const { callbackUri, route, log = console.log } = options;
  const registry = createCallRegistry({ graph: options.graph });
  const report = (callId: string) => (error: Error) => log(`${callId}: ${error.message}`);
  const hangUp = (callId: string) => registry.hangUp(callId).catch(report(callId));

  registry.on('call.incoming', ({ callId }) => {
    const mediaConfig = { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' } as const;
    registry.answer(callId, { callbackUri, mediaConfig }).catch(report(callId));
  });
  registry.on('call.established', ({ callId }) => {
    const target = route(registry.get(callId)?.source);
    if (target === undefined) void hangUp(callId);
    else registry.transfer(callId, target).catch(() => hangUp(callId));
  });
  registry.on('call.transferFailed', ({ callId }) => void hangUp(callId));
  registry.on('call.terminated', ({ outcome }) => log(`${outcome.callId}: ${outcome.reason}`));

  const webhook = createWebhookHandler(registry, { authenticate: options.authenticate });
  const server = createServer(toNodeListener(webhook)).listen(options.port ?? 3978);
  return { registry, server };
}
