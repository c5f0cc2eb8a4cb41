// ivrBot.ts: a whole IVR. It answers every incoming call, listens for keys, plays a menu, and
// transfers the caller on 1 or hangs up on 2; other keys are ignored, and a caller who presses
// nothing is hung up on after `patience` menus. A transfer chosen during the menu stops it
// first. Every request to Graph is the registry's; the bot reads no notification itself.
import { createServer, type Server } from 'node:http';
import {
  type CallRegistry,
  type CallRegistryOptions,
  createCallRegistry,
  type InvitationTarget,
  OperationFailedError,
} from 'graph-call-machine';
import { type AuthResult, createWebhookHandler, toNodeListener } from 'graph-call-machine/webhook';

export interface IvrOptions {
  readonly graph: CallRegistryOptions['graph']; // { getToken }, or a GraphClient of your own
  readonly authenticate: (req: Request) => Promise<AuthResult>; // createGraphTokenValidator(…)
  readonly callbackUri: string; // this webhook, as Graph reaches it (https)
  readonly menu: string; // "Press 1 for sales, 2 to end the call." (an audio file URL)
  readonly sales: InvitationTarget; // where 1 goes
  readonly patience?: number; // menus played without a key before hanging up; default 3
  readonly port?: number;
  readonly log?: (line: string) => void;
}

export function startIvr(options: IvrOptions): { registry: CallRegistry; server: Server } {
  const { callbackUri, menu, sales, patience = 3, log = console.log } = options;
  const registry = createCallRegistry({ graph: options.graph });
  const report = (callId: string) => (error: Error) => log(`${callId}: ${error.message}`);
  const decided = new Set<string>(); // calls whose caller chose: no more menus

  async function playMenu(callId: string, round: number): Promise<void> {
    try {
      await registry.playPrompt(callId, menu);
    } catch (error) {
      // Stopped by a key press, or the call ended: nothing more to play.
      if (error instanceof OperationFailedError) return;
      throw error;
    }
    if (decided.has(callId)) return;
    if (round < patience) return playMenu(callId, round + 1);
    await registry.hangUp(callId);
  }

  async function stopMenu(callId: string): Promise<void> {
    if ((registry.get(callId)?.pendingOperations ?? 0) > 0) {
      await registry.cancelMediaProcessing(callId);
    }
  }

  registry.on('call.incoming', ({ callId }) => {
    const mediaConfig = { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' } as const;
    registry.answer(callId, { callbackUri, mediaConfig }).catch(report(callId));
  });
  registry.on('call.established', ({ callId }) => {
    registry
      .subscribeToTone(callId)
      .then(() => playMenu(callId, 1))
      .catch(report(callId));
  });
  registry.on('call.tone', ({ callId, tone }) => {
    if (decided.has(callId)) return;
    const choice = tone === 'tone1' ? 'transfer' : tone === 'tone2' ? 'hangUp' : undefined;
    if (choice === undefined) return;
    decided.add(callId);
    // A hang-up ends the menu with the call; a transfer first stops the menu if it still plays.
    const next =
      choice === 'hangUp'
        ? registry.hangUp(callId)
        : stopMenu(callId).then(() => registry.transfer(callId, sales));
    next.catch(report(callId));
  });
  registry.on(
    'call.transferFailed',
    ({ callId }) => void registry.hangUp(callId).catch(report(callId)),
  );
  registry.on('call.terminated', ({ outcome }) => {
    decided.delete(outcome.callId);
    log(`${outcome.callId}: ${outcome.reason}`);
  });

  const webhook = createWebhookHandler(registry, { authenticate: options.authenticate });
  const server = createServer(toNodeListener(webhook)).listen(options.port ?? 3978);
  return { registry, server };
}
