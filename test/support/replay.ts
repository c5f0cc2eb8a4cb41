import { type Actor, createActor } from 'xstate';
import {
  type CallEmitted,
  type CallEvent,
  type CallInput,
  type CallNotification,
  type CallView,
  callMachine,
  classifyNotification,
  getCallView,
  type KnownCallState,
  type NotificationVerdict,
  parseNotifications,
} from '../../src/index.js';
import { corpusFile } from './corpus.js';

/**
 * A minimal stand-in for the registry: routes corpus notifications to one machine per call id,
 * creating a call on first sight (in the state the notification reports), and records how
 * each notification was judged.
 */
export class Replay {
  readonly calls = new Map<string, Actor<typeof callMachine>>();
  readonly emitted: CallEmitted[] = [];
  readonly verdicts: { file: string; callId: string; verdict: NotificationVerdict }[] = [];
  private at = 1_000;

  feed(...files: string[]): this {
    for (const file of files) {
      const { notifications, rejected } = parseNotifications(corpusFile(file).body);
      if (rejected.length > 0)
        throw new Error(`${file}: ${rejected.map((r) => r.message).join('; ')}`);
      for (const n of notifications) this.deliver(file, n);
    }
    return this;
  }

  /** Adopts a call the bot already knows, as the registry's `track` will. */
  track(callId: string, state: KnownCallState): this {
    this.start(callId, { callId, state });
    return this;
  }

  send(callId: string, event: CallEvent): this {
    this.actorOf(callId).send(event);
    return this;
  }

  hangUp(callId: string): this {
    return this.send(callId, { type: 'hangUp', at: this.tick() });
  }

  view(callId: string): CallView {
    return getCallView(this.actorOf(callId).getSnapshot());
  }

  value(callId: string) {
    return this.actorOf(callId).getSnapshot().value;
  }

  verdictsOf(callId: string): NotificationVerdict[] {
    return this.verdicts.filter((v) => v.callId === callId).map((v) => v.verdict);
  }

  tick(): number {
    this.at += 1_000;
    return this.at;
  }

  private deliver(file: string, n: CallNotification) {
    const actor = this.calls.get(n.callId);
    if (actor === undefined && n.resource !== 'call') {
      // A roster or operation says nothing of the call's state: nothing to create.
      this.verdicts.push({ file, callId: n.callId, verdict: 'subresource' });
      return;
    }
    if (actor === undefined) {
      // First sight, as the registry does it: the call starts where the notification says.
      this.start(n.callId, { callId: n.callId, discoveredBy: n, at: this.tick() });
      this.verdicts.push({ file, callId: n.callId, verdict: 'apply' });
      return;
    }
    // The final state takes no events: a late notification is judged (by the same rules the
    // machine uses) and recorded, not sent.
    if (actor.getSnapshot().status !== 'active') {
      const verdict = classifyNotification(getCallView(actor.getSnapshot()), n);
      this.verdicts.push({ file, callId: n.callId, verdict });
      return;
    }
    const mark = this.emitted.length;
    actor.send({ type: 'notification', notification: n, at: this.tick() });
    const judged = this.emitted
      .slice(mark)
      .find(
        (
          e,
        ): e is
          | Extract<CallEmitted, { verdict: unknown }>
          | Extract<CallEmitted, { type: 'notification.subresource' }> =>
          (e.type === 'call.notification' ||
            e.type === 'notification.ignored' ||
            e.type === 'notification.subresource') &&
          e.notification === n,
      );
    if (judged === undefined)
      throw new Error(`${file}: the machine emitted no verdict for item ${n.index}`);
    this.verdicts.push({
      file,
      callId: n.callId,
      verdict: judged.type === 'notification.subresource' ? 'subresource' : judged.verdict,
    });
  }

  private start(callId: string, input: CallInput) {
    const actor = createActor(callMachine, { input });
    actor.on('*', (e) => this.emitted.push(e));
    actor.start();
    this.calls.set(callId, actor);
    return actor;
  }

  private actorOf(callId: string) {
    const actor = this.calls.get(callId);
    if (actor === undefined) throw new Error(`no call ${callId} in this replay`);
    return actor;
  }
}
