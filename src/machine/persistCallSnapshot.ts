/**
 * The persisted form of a call snapshot, as `callMachine.getPersistedSnapshot()` gives it, made
 * without xstate's generic walk: the call machine has no child actors and a JSON-safe,
 * immutable context, so only the history needs converting. The registry saves on every change,
 * which makes this a hot path.
 *
 * @example
 * ```ts
 * import { createActor } from 'xstate';
 * import { callMachine, persistCallSnapshot } from 'graph-call-machine';
 *
 * const call = createActor(callMachine, { input: { callId: 'c1' } }).start();
 * const saved = JSON.stringify(persistCallSnapshot(call.getSnapshot()));
 * const again = createActor(callMachine, { snapshot: JSON.parse(saved), input: { callId: 'c1' } });
 * ```
 * @module
 */
import type { CallSnapshot } from './stepCall.js';

/** A persisted call snapshot: plain JSON data. */
export interface PersistedCallSnapshot {
  readonly status: CallSnapshot['status'];
  readonly value: CallSnapshot['value'];
  readonly context: CallSnapshot['context'];
  readonly historyValue: Readonly<Record<string, readonly { readonly id: string }[]>>;
  readonly children: Readonly<Record<string, never>>;
  readonly output?: CallSnapshot['output'];
  readonly error?: unknown;
}

const NO_CHILDREN: Readonly<Record<string, never>> = Object.freeze({});
const NO_HISTORY: Readonly<Record<string, never>> = Object.freeze({});

/**
 * Persists a call snapshot. The result shares the (immutable) context with the snapshot.
 *
 * @example
 * ```ts
 * const record = { schemaVersion: 1, version: 1, snapshot: persistCallSnapshot(s), savedAt: Date.now() };
 * await store.commit(callId, record, 0, { kind: 'clear' });
 * ```
 */
export function persistCallSnapshot(snapshot: CallSnapshot): PersistedCallSnapshot {
  let history: Record<string, { id: string }[]> | undefined;
  const source = snapshot.historyValue as Record<string, readonly { id: string }[] | undefined>;
  for (const key in source) {
    const nodes = source[key];
    if (nodes === undefined) continue;
    history ??= {};
    history[key] = nodes.map((node) => ({ id: node.id }));
  }
  const persisted: { -readonly [K in keyof PersistedCallSnapshot]: PersistedCallSnapshot[K] } = {
    status: snapshot.status,
    value: snapshot.value,
    context: snapshot.context,
    // Most calls never failed a hang-up and have no history: they share one empty object.
    historyValue: history ?? NO_HISTORY,
    children: NO_CHILDREN,
  };
  if (snapshot.output !== undefined) persisted.output = snapshot.output;
  if (snapshot.error !== undefined) persisted.error = snapshot.error;
  return persisted;
}
