import { type CallEvent, GRAPH_CALL_STATES } from '../../src/index.js';
import { callNotification } from '../../src/testing/index.js';

const AT = 1_000_000;
const states = GRAPH_CALL_STATES.filter((s) => s !== 'unknownFutureValue');

/**
 * One event of every kind the machine reacts to, with fixed times late enough that every
 * deadline is due: enough to reach every state by graph traversal.
 */
export const sampleEvents: CallEvent[] = [
  { type: 'hangUp', at: AT },
  ...states.map(
    (state): CallEvent => ({
      type: 'notification',
      notification: callNotification('c1', state),
      at: AT,
    }),
  ),
  {
    type: 'notification',
    notification: callNotification('c1', undefined, { changeType: 'deleted' }),
    at: AT,
  },
  {
    type: 'notification',
    notification: callNotification('c1', undefined, { resource: 'participants' }),
    at: AT,
  },
  { type: 'delete.succeeded', at: AT },
  { type: 'delete.failed', status: 404, at: AT },
  { type: 'delete.failed', status: 429, retryAfterMs: 0, at: AT },
  { type: 'delete.failed', status: 403, at: AT },
  { type: 'deadline.reached', at: AT * 10 },
  { type: 'getCall.result', status: 404, at: AT },
  { type: 'keepAlive.result', status: 404, at: AT },
  { type: 'getCall.result', status: 200, state: 'terminating', at: AT },
];
