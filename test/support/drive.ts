import {
  type CallEmitted,
  type CallEvent,
  type CallInput,
  type CallSnapshot,
  startCall,
  stepCall,
} from '../../src/index.js';

/**
 * A call stepped with `startCall` / `stepCall` (the one engine the registry runs), recording
 * everything it emits. Events sent to an ended call are stepped too: the step function judges
 * late notifications and ignores the rest, without warnings.
 */
export function drive(input: CallInput) {
  const started = startCall(input);
  let current: CallSnapshot = started.snapshot;
  const emitted: CallEmitted[] = [...started.emitted];
  return {
    emitted,
    send(event: CallEvent) {
      const step = stepCall(current, event);
      current = step.snapshot;
      emitted.push(...step.emitted);
      return current;
    },
    snapshot: () => current,
    context: () => current.context,
    value: () => current.value,
    of<T extends CallEmitted['type']>(type: T) {
      return emitted.filter((e): e is Extract<CallEmitted, { type: T }> => e.type === type);
    },
    /** Clears the record, so a test can look at what one step emitted. */
    clear() {
      emitted.length = 0;
    },
  };
}
