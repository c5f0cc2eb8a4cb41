/**
 * Realistic payloads of every event the call machine reacts to, for graph traversal and
 * model-based tests: enough to reach every state of `callMachine`.
 *
 * @example
 * ```ts
 * import { getShortestPaths } from 'xstate/graph';
 * import { callMachine } from 'graph-call-machine';
 * import { callTestEvents } from 'graph-call-machine/testing';
 *
 * const paths = getShortestPaths(callMachine, { input: { callId: 'test-call' }, events: callTestEvents });
 * ```
 * @module
 */
import type { CallEvent } from '../machine/types.js';
import { callNotification } from './callNotification.js';

/** The call id every test event is about. */
export const TEST_CALL_ID = 'test-call';

/**
 * The time (epoch ms) every test event carries. Deadline events come far later, so every
 * deadline recorded from these events is due when they arrive.
 */
export const TEST_EVENT_AT = 1_000_000;

const at = TEST_EVENT_AT;
const note = (
  state: Parameters<typeof callNotification>[1],
  options: Parameters<typeof callNotification>[2] = {},
): CallEvent => ({
  type: 'notification',
  notification: callNotification(TEST_CALL_ID, state, options),
  at,
});

/**
 * One notification per call state (some with numeric `W/"n"` etags, one with an opaque etag,
 * the rest without), a reject's bare `deleted`, a roster update, and every result event:
 * DELETE 204 / 404 / 429 with Retry-After / 403, GET 404 and still-terminating, keepAlive 404,
 * and a due deadline.
 */
export const callTestEvents: readonly CallEvent[] = [
  { type: 'hangUp', at },
  note('incoming', { etag: 'W/"1"' }),
  // Newer than every other etag here: by rule 7 it moves a call back inside setup.
  note('incoming', { etag: 'W/"9"' }),
  note('ringing'),
  note('redirecting'),
  note('establishing', { etag: 'W/"2"' }),
  note('established', { etag: 'W/"3"' }),
  note('hold', { etag: 'W/"opaque-4"' }),
  note('transferring'),
  note('transferAccepted'),
  note('terminating'),
  note('terminated', {
    resultInfo: { code: 200, subcode: 5001, message: 'The conversation has ended.' },
  }),
  note(undefined, { changeType: 'deleted' }),
  note(undefined, { resource: 'participants' }),
  { type: 'delete.succeeded', at },
  { type: 'delete.failed', status: 404, at },
  { type: 'delete.failed', status: 429, retryAfterMs: 2_128, at },
  {
    type: 'delete.failed',
    status: 403,
    error: { code: 'Forbidden', message: 'Application is not authorized' },
    at,
  },
  { type: 'getCall.result', status: 404, at },
  { type: 'getCall.result', status: 200, state: 'terminating', at },
  { type: 'keepAlive.result', status: 404, at },
  { type: 'deadline.reached', at: at + 24 * 60 * 60_000 },
];
