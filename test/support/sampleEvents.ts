import {
  type CallEvent,
  type CallInput,
  type CallSnapshot,
  GRAPH_CALL_STATES,
  type KnownCallState,
} from '../../src/index.js';
import { callNotification } from '../../src/testing/index.js';

/** The call every sample is about. */
export const SAMPLE_CALL_ID = 'c1';

/** When every sample event happens, except the deadlines. */
export const SAMPLE_AT = 1_000_000;

// The default request and confirm timeouts: a DELETE, GET or confirmation armed at SAMPLE_AT
// falls due exactly then.
const DUE_AFTER_A_SAMPLE = SAMPLE_AT + 30_000;

const AT = SAMPLE_AT;
const KNOWN_STATES = GRAPH_CALL_STATES.filter(
  (state): state is KnownCallState => state !== 'unknownFutureValue',
);

const note = (
  state: Parameters<typeof callNotification>[1],
  options: Parameters<typeof callNotification>[2] = {},
): CallEvent => ({
  type: 'notification',
  notification: callNotification(SAMPLE_CALL_ID, state, options),
  at: AT,
});

/**
 * One event of every kind the machine accepts, each in the variants its guards tell apart, with
 * fixed times: a notification per Graph state (some with numeric etags, so that `apply`,
 * `unchanged`, `stale`, `late` and `subresource` are all judged somewhere), every DELETE, GET and
 * keepAlive answer, and deadlines before, exactly at and long after those armed by the other
 * events. Fixed times keep the set of reachable snapshots finite.
 */
export const sampleEvents: readonly CallEvent[] = [
  { type: 'hangUp', at: AT },
  ...GRAPH_CALL_STATES.map((state) => note(state)),
  note('established', { etag: 'W/"2"' }),
  // Older than the one above: `stale` in the same state, and against `hold` W/"3".
  note('established', { etag: 'W/"1"' }),
  note('hold', { etag: 'W/"3"' }),
  note('terminated', {
    resultInfo: { code: 200, subcode: 7015, message: 'The call was transferred.' },
  }),
  note(undefined, { changeType: 'deleted' }),
  note(undefined, { resource: 'participants' }),
  note(undefined, { resource: 'operation' }),
  { type: 'delete.succeeded', at: AT },
  { type: 'delete.failed', status: 0, error: { code: 'RequestTimeout' }, at: AT },
  { type: 'delete.failed', status: 404, at: AT },
  { type: 'delete.failed', status: 429, retryAfterMs: 2_000, at: AT },
  { type: 'delete.failed', status: 503, at: AT },
  {
    type: 'delete.failed',
    status: 403,
    error: { code: 'Forbidden', message: 'Application is not authorized' },
    at: AT,
  },
  { type: 'deadline.reached', at: DUE_AFTER_A_SAMPLE - 1 },
  { type: 'deadline.reached', at: DUE_AFTER_A_SAMPLE },
  { type: 'deadline.reached', at: AT * 10 },
  { type: 'getCall.result', status: 404, at: AT },
  { type: 'getCall.result', status: 200, state: 'terminating', at: AT },
  { type: 'getCall.result', status: 200, state: 'terminated', at: AT },
  { type: 'getCall.result', status: 200, state: 'established', at: AT },
  { type: 'getCall.result', status: 0, at: AT },
  { type: 'keepAlive.result', status: 404, at: AT },
  { type: 'keepAlive.result', status: 200, at: AT },
];

/**
 * The sample events plus a `deadline.reached` exactly at the snapshot's deadline and one a
 * millisecond before it (a timer armed for an older deadline), when it has one. Not for graph
 * traversal: times that follow the snapshot would make the reachable set infinite.
 */
export function sampleEventsFor(snapshot: CallSnapshot): readonly CallEvent[] {
  const deadline = snapshot.context.deadline;
  if (deadline === null) return sampleEvents;
  return [
    ...sampleEvents,
    { type: 'deadline.reached', at: deadline.at - 1 },
    { type: 'deadline.reached', at: deadline.at },
  ];
}

// Limits of one, so that a first failure already exhausts them: the traversal merges snapshots
// that differ only in counts, and would otherwise never reach a limit.
const FIRST_FAILURE_IS_THE_LAST = { maxDeleteAttempts: 1, maxVerifications: 1 };

/**
 * Every way a call can start: adopted in each Graph state it can be adopted in (and without
 * one), some with limits that the first failure reaches, and discovered by a notification of
 * each kind.
 */
export const sampleInputs: readonly CallInput[] = [
  { callId: SAMPLE_CALL_ID },
  ...KNOWN_STATES.map((state): CallInput => ({ callId: SAMPLE_CALL_ID, state })),
  ...(['incoming', 'established', 'terminating'] as const).map(
    (state): CallInput => ({ callId: SAMPLE_CALL_ID, state, options: FIRST_FAILURE_IS_THE_LAST }),
  ),
  ...GRAPH_CALL_STATES.map(
    (state): CallInput => ({
      callId: SAMPLE_CALL_ID,
      discoveredBy: callNotification(SAMPLE_CALL_ID, state, { etag: 'W/"2"' }),
      at: AT,
    }),
  ),
  ...[
    callNotification(SAMPLE_CALL_ID, undefined, { changeType: 'deleted' }),
    callNotification(SAMPLE_CALL_ID, undefined, { resource: 'participants' }),
  ].map((discoveredBy): CallInput => ({ callId: SAMPLE_CALL_ID, discoveredBy, at: AT })),
];
