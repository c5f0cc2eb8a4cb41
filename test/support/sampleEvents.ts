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

const SAMPLE_TARGET = { identity: { user: { id: 'transfer-target' } } };
const SAMPLE_ANSWER = {
  callbackUri: 'https://bot.example.com/api/calls',
  mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
} as const;

/**
 * One event of every kind the machine accepts, each in the variants its guards tell apart, with
 * fixed times: a notification per Graph state (some with numeric etags, so that `apply`,
 * `unchanged`, `stale`, `late` and `subresource` are all judged somewhere), every DELETE, GET and
 * keepAlive answer, and deadlines before, exactly at and long after those armed by the other
 * events. Fixed times keep the set of reachable snapshots finite.
 */
export const coreSampleEvents: readonly CallEvent[] = [
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
 * Call control from an offered or connected call: every intent, each verb's result in the
 * variants the guards tell apart (accepted, gone, throttled, refused, no answer), and the
 * notifications, answers and deadlines that decide where a command leads. Traversed apart from
 * {@link coreSampleEvents}: their product would be tens of thousands of snapshots that differ
 * only in combinations the guards never look at together.
 */
export const controlSampleEvents: readonly CallEvent[] = [
  // Call control: every intent, and each verb's result in the variants the guards tell apart
  // (accepted, gone, throttled, refused), spread over the verbs to keep the reachable set small.
  { type: 'answer', request: SAMPLE_ANSWER, at: AT },
  { type: 'reject', request: { reason: 'busy' }, at: AT },
  { type: 'redirect', request: { targets: [SAMPLE_TARGET], timeout: 30 }, at: AT },
  { type: 'transfer', request: { transferTarget: SAMPLE_TARGET }, at: AT },
  { type: 'answer.succeeded', at: AT },
  { type: 'answer.failed', status: 429, retryAfterMs: 1_000, at: AT },
  { type: 'answer.failed', status: 400, error: { code: 'BadRequest' }, at: AT },
  { type: 'reject.succeeded', at: AT },
  { type: 'reject.failed', status: 404, at: AT },
  { type: 'redirect.succeeded', at: AT },
  { type: 'redirect.failed', status: 0, at: AT },
  { type: 'transfer.succeeded', at: AT },
  { type: 'transfer.failed', status: 403, at: AT },
  note('established', { resultInfo: { code: 500, subcode: 7000, message: 'Transfer failed' } }),
  { type: 'hangUp', at: AT },
  note('establishing', { etag: 'W/"2"' }),
  note('established', { etag: 'W/"3"' }),
  note('transferring', { etag: 'W/"4"' }),
  note('transferAccepted', { etag: 'W/"5"' }),
  note('established', {
    etag: 'W/"6"',
    resultInfo: { code: 500, subcode: 7700, message: 'Transfer failed' },
  }),
  note('terminated', { resultInfo: { code: 0, subcode: 7015 } }),
  note(undefined, { changeType: 'deleted' }),
  { type: 'deadline.reached', at: DUE_AFTER_A_SAMPLE },
  { type: 'deadline.reached', at: AT * 10 },
  { type: 'getCall.result', status: 404, at: AT },
  { type: 'getCall.result', status: 200, state: 'established', at: AT },
  { type: 'getCall.result', status: 200, state: 'incoming', at: AT },
];

const SAMPLE_PROMPT = {
  kind: 'playPrompt',
  request: {
    prompts: [{ mediaInfo: { uri: 'https://bot.example.com/a.wav' } }],
    clientContext: 'op-k1',
  },
} as const;

/**
 * Operations, rosters and key presses: each step of an operation's own lifecycle (asked,
 * answered running or completed, throttled, refused, notified), a roster, and a key press. They
 * never move the chart, so they are stepped from every reachable snapshot but not traversed.
 */
export const operationSampleEvents: readonly CallEvent[] = [
  { type: 'operation', key: 'op-k1', operation: SAMPLE_PROMPT, at: AT },
  {
    type: 'operation',
    key: 'op-k2',
    operation: { kind: 'mute', request: { clientContext: 'op-k2' } },
    at: AT,
  },
  {
    type: 'operation.responded',
    key: 'op-k1',
    status: 200,
    report: { id: 'op-1', status: 'running' },
    at: AT,
  },
  { type: 'operation.responded', key: 'op-k2', status: 200, at: AT },
  { type: 'operation.requestFailed', key: 'op-k1', status: 429, retryAfterMs: 1_000, at: AT },
  {
    type: 'operation.requestFailed',
    key: 'op-k1',
    status: 400,
    error: { code: 'BadRequest' },
    at: AT,
  },
  {
    type: 'notification',
    notification: {
      ...callNotification(SAMPLE_CALL_ID, undefined, {
        resource: 'operation',
        changeType: 'deleted',
      }),
      subresourceId: 'op-1',
      operation: { status: 'completed', clientContext: 'op-k1', resultInfo: { code: 200 } },
    },
    at: AT,
  },
  {
    type: 'notification',
    notification: {
      ...callNotification(SAMPLE_CALL_ID, undefined, { resource: 'participants' }),
      roster: {
        kind: 'whole',
        entries: [
          {
            participant: { id: 'p1', identity: {}, mediaStreams: [], isMuted: true },
            removed: false,
          },
        ],
        skipped: 0,
      },
    },
    at: AT,
  },
  {
    type: 'notification',
    notification: {
      ...callNotification(SAMPLE_CALL_ID, 'established'),
      tone: { sequenceId: 1, tone: 'tone1' },
    },
    at: AT,
  },
];

/** Every sample event: the core lifecycle, call control and operations. */
export const sampleEvents: readonly CallEvent[] = [
  ...coreSampleEvents,
  ...controlSampleEvents,
  ...operationSampleEvents,
];

/** Where call control is traversed from: an offered call (adopted, or discovered) and a connected one. */
export const controlSampleInputs: readonly CallInput[] = [
  { callId: SAMPLE_CALL_ID, state: 'incoming', at: AT },
  { callId: SAMPLE_CALL_ID, state: 'established', at: AT },
  {
    callId: SAMPLE_CALL_ID,
    discoveredBy: callNotification(SAMPLE_CALL_ID, 'incoming', { etag: 'W/"1"' }),
    at: AT,
  },
  {
    callId: SAMPLE_CALL_ID,
    state: 'incoming',
    at: AT,
    options: { maxCommandAttempts: 1, answerWindowMs: 30_000 },
  },
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
