/**
 * The values of `call.state` in Microsoft Graph, and how they group into phases.
 *
 * ```
 *  setup ──────────────────────────────► active ──────────────────────► terminating ──► terminated
 *  incoming ─► ringing ─► establishing    established ◄─► hold            terminating      terminated
 *      └────► redirecting                 established ─► transferring
 *                                          transferring ─► transferAccepted
 *                                          transferring/transferAccepted ─► established  (transfer failed)
 * ```
 *
 * @example
 * ```ts
 * import { normalizeCallState, phaseOf } from 'graph-call-machine';
 *
 * normalizeCallState('transfer-accepted'); // { state: 'transferAccepted', known: true }
 * normalizeCallState('parked');           // { state: 'unknownFutureValue', known: false }
 * phaseOf('hold');                        // 'active'
 * ```
 * @module
 */

/** Every state value Graph documents for a call, in lifecycle order. */
export const GRAPH_CALL_STATES = [
  'incoming',
  'ringing',
  'redirecting',
  'establishing',
  'established',
  'hold',
  'transferring',
  'transferAccepted',
  'terminating',
  'terminated',
  'unknownFutureValue',
] as const;

/**
 * A call state as Graph reports it. `unknownFutureValue` is Graph's own sentinel for values
 * added after a client was written; the parser maps any unrecognised value to it (keeping the
 * original text), so a new state never crashes the library.
 */
export type GraphCallState = (typeof GRAPH_CALL_STATES)[number];

/** The call states a call can be adopted in (everything but the unknown sentinel). */
export type KnownCallState = Exclude<GraphCallState, 'unknownFutureValue'>;

/** The coarse lifecycle phases, in order. */
export const CALL_PHASES = ['setup', 'active', 'terminating', 'terminated'] as const;

/** A lifecycle phase: the machine's top-level state, and the tag carried by its children. */
export type CallPhase = (typeof CALL_PHASES)[number];

const PHASE_OF: Readonly<Record<KnownCallState, CallPhase>> = {
  incoming: 'setup',
  ringing: 'setup',
  redirecting: 'setup',
  establishing: 'setup',
  established: 'active',
  hold: 'active',
  transferring: 'active',
  transferAccepted: 'active',
  terminating: 'terminating',
  terminated: 'terminated',
};

const PHASE_RANK: Readonly<Record<CallPhase, number>> = {
  setup: 0,
  active: 1,
  terminating: 2,
  terminated: 3,
};

// Inside setup the docs show incoming → ringing → establishing and incoming → redirecting;
// redirecting and ringing are alternatives after incoming, so they share a rank.
const SETUP_RANK: Readonly<Partial<Record<KnownCallState, number>>> = {
  incoming: 0,
  ringing: 1,
  redirecting: 1,
  establishing: 2,
};

/**
 * The phase a Graph call state belongs to, or `undefined` for `unknownFutureValue`.
 *
 * @example
 * ```ts
 * phaseOf('transferAccepted'); // 'active'
 * ```
 */
export function phaseOf(state: GraphCallState): CallPhase | undefined {
  return state === 'unknownFutureValue' ? undefined : PHASE_OF[state];
}

/**
 * Compares two phases: negative when `a` comes before `b`, 0 when equal, positive after.
 *
 * @example
 * ```ts
 * comparePhases('setup', 'active') < 0; // true
 * ```
 */
export function comparePhases(a: CallPhase, b: CallPhase): number {
  return PHASE_RANK[a] - PHASE_RANK[b];
}

/**
 * The position of a setup state in the setup sub-order (`incoming` < `ringing` = `redirecting`
 * < `establishing`), or `undefined` for states outside setup.
 *
 * @example
 * ```ts
 * setupRank('establishing'); // 2
 * ```
 */
export function setupRank(state: GraphCallState): number | undefined {
  return state === 'unknownFutureValue' ? undefined : SETUP_RANK[state];
}

/** The result of reading a state value off the wire. */
export interface NormalizedCallState {
  /** The state, or `unknownFutureValue` when the text names no state this library knows. */
  readonly state: GraphCallState;
  /** `false` when the text was not recognised; the original is kept by the caller. */
  readonly known: boolean;
}

const BY_LOWERCASE: ReadonlyMap<string, GraphCallState> = new Map(
  GRAPH_CALL_STATES.map((s) => [s.toLowerCase(), s]),
);

/**
 * Reads a call state as the many Graph payload generations spell it: `transferAccepted`,
 * `transfer-accepted`, `Established`. Anything else becomes `unknownFutureValue` with
 * `known: false`.
 *
 * @example
 * ```ts
 * normalizeCallState('Established'); // { state: 'established', known: true }
 * ```
 */
export function normalizeCallState(text: string): NormalizedCallState {
  const exact = BY_LOWERCASE.get(text.replace(/[-_\s]/g, '').toLowerCase());
  return exact === undefined
    ? { state: 'unknownFutureValue', known: false }
    : { state: exact, known: true };
}

/**
 * Narrows an arbitrary value to a {@link GraphCallState} spelled exactly as Graph does today.
 *
 * @example
 * ```ts
 * isGraphCallState('hold'); // true
 * isGraphCallState('Hold'); // false (use normalizeCallState for wire input)
 * ```
 */
export function isGraphCallState(value: unknown): value is GraphCallState {
  return typeof value === 'string' && (GRAPH_CALL_STATES as readonly string[]).includes(value);
}

/**
 * Whether a value is a state a call can be adopted in: a {@link GraphCallState} other than
 * `unknownFutureValue`.
 *
 * @example
 * ```ts
 * isKnownCallState('established');        // true
 * isKnownCallState('unknownFutureValue'); // false
 * ```
 */
export function isKnownCallState(value: unknown): value is KnownCallState {
  return value !== 'unknownFutureValue' && isGraphCallState(value);
}
