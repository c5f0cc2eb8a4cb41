import { createActor } from 'xstate';
import { type CallEmitted, type CallEvent, type CallInput, callMachine } from '../../src/index.js';

/** A started call actor that records everything it emits. */
export function drive(input: CallInput) {
  const actor = createActor(callMachine, { input });
  const emitted: CallEmitted[] = [];
  actor.on('*', (e) => emitted.push(e));
  actor.start();
  return {
    actor,
    emitted,
    send(event: CallEvent) {
      actor.send(event);
      return actor.getSnapshot();
    },
    snapshot: () => actor.getSnapshot(),
    context: () => actor.getSnapshot().context,
    value: () => actor.getSnapshot().value,
    of<T extends CallEmitted['type']>(type: T) {
      return emitted.filter((e): e is Extract<CallEmitted, { type: T }> => e.type === type);
    },
    /** Clears the record, so a test can look at what one step emitted. */
    clear() {
      emitted.length = 0;
    },
  };
}
