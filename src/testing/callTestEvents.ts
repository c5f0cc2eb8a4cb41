/**
 * Realistic payloads of every event the call machine reacts to, for graph traversal and
 * model-based tests: enough to reach every state of `callMachine` and to take every one of its
 * state-changing transitions.
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
import type {
  AnswerRequest,
  CallControlVerb,
  RedirectRequest,
  RejectRequest,
  TransferRequest,
} from '../graph/callRequests.js';
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

// The bodies of the call-control intents, as the Graph reference shows them.
const answer: AnswerRequest = {
  callbackUri: 'https://bot.contoso.com/api/calls',
  mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
  acceptedModalities: ['audio'],
};
const reject: RejectRequest = { reason: 'busy' };
const redirect: RedirectRequest = {
  targets: [
    {
      endpointType: 'default',
      identity: {
        user: { id: '550fae72-d251-43ec-868c-373732c2704f', displayName: 'Adele Vance' },
      },
    },
  ],
};
const transfer: TransferRequest = {
  transferTarget: {
    endpointType: 'default',
    identity: {
      user: { id: '8a34a46b-4a5c-4d1a-9b76-2c8e5f7a0b11', displayName: 'Megan Bowen' },
    },
  },
};

/** Every result a command's request can have, in the variants the machine tells apart. */
function resultsOf(verb: CallControlVerb): CallEvent[] {
  return [
    { type: `${verb}.succeeded`, at },
    { type: `${verb}.failed`, status: 404, at },
    { type: `${verb}.failed`, status: 429, retryAfterMs: 3_000, at },
    {
      type: `${verb}.failed`,
      status: 403,
      error: {
        code: 'Forbidden',
        message: 'Application is not authorized to perform this action.',
      },
      at,
    },
  ];
}

/**
 * One notification per call state (some with numeric `W/"n"` etags, one with an opaque etag,
 * the rest without), a reject's bare `deleted`, a roster update, and every result event:
 * DELETE 204 / 404 / 429 with Retry-After / 403, GET 404, still-terminating and established,
 * keepAlive 404, and a due deadline. Then call control: the four intents (an answer with an
 * https `callbackUri` and service-hosted media, a `busy` reject, a redirect and a transfer to
 * a user), each followed by its results (202; 404; 429 with Retry-After; 403 with Graph's
 * error), and the `established` notification, with resultInfo 500/7000, of a transfer that
 * failed.
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
  // Call control, appended so that the paths to the states above stay what they were.
  { type: 'getCall.result', status: 200, state: 'established', at },
  { type: 'answer', request: answer, at },
  ...resultsOf('answer'),
  { type: 'reject', request: reject, at },
  ...resultsOf('reject'),
  { type: 'redirect', request: redirect, at },
  ...resultsOf('redirect'),
  { type: 'transfer', request: transfer, at },
  ...resultsOf('transfer'),
  // A failed transfer: Graph brings the call back to established and says why.
  note('established', {
    resultInfo: { code: 500, subcode: 7000, message: 'The transfer failed.' },
  }),
];
