/**
 * Builds a parsed {@link CallNotification} directly, for tests that drive the machine (or a
 * bot's own handlers) without going through a webhook body.
 *
 * @example
 * ```ts
 * import { createActor } from 'xstate';
 * import { callMachine } from 'graph-call-machine';
 * import { callNotification } from 'graph-call-machine/testing';
 *
 * const call = createActor(callMachine, { input: { callId: 'c1', state: 'established' } }).start();
 * call.send({ type: 'notification', notification: callNotification('c1', 'terminating'), at: 1 });
 * call.getSnapshot().hasTag('terminating'); // true
 * ```
 * @module
 */
import type { GraphCallState } from '../graph/callState.js';
import type { CallNotification, ChangeType, ResultInfo } from '../graph/notification.js';
import type { CallResourceKind } from '../graph/resourcePath.js';

/** Optional parts of a built notification. */
export interface CallNotificationOptions {
  /** Default: `deleted` for `terminated`, `created` for `incoming`, `updated` otherwise. */
  readonly changeType?: ChangeType;
  readonly etag?: string;
  /** Default `call`. */
  readonly resource?: CallResourceKind;
  readonly resultInfo?: ResultInfo;
  readonly terminationReason?: string;
  /** Position in the envelope; default 0. */
  readonly index?: number;
}

/**
 * A notification about `callId` reporting `state` (or no state, with `undefined`).
 *
 * @example
 * ```ts
 * callNotification('c1', undefined, { changeType: 'deleted' }); // a reject's bare deleted
 * callNotification('c1', 'established', { etag: 'W/"7"' });
 * ```
 */
export function callNotification(
  callId: string,
  state: GraphCallState | undefined,
  options: CallNotificationOptions = {},
): CallNotification {
  const changeType =
    options.changeType ??
    (state === 'terminated' ? 'deleted' : state === 'incoming' ? 'created' : 'updated');
  const resource = options.resource ?? 'call';
  const suffix =
    resource === 'participants'
      ? '/participants'
      : resource === 'operation'
        ? '/operations/op-1'
        : '';
  const n: { -readonly [K in keyof CallNotification]: CallNotification[K] } = {
    index: options.index ?? 0,
    callId,
    changeType,
    resource,
    resourcePath: `/communications/calls/${callId}${suffix}`,
    raw: {},
  };
  if (state !== undefined && resource === 'call') n.state = state;
  if (options.etag !== undefined) n.etag = options.etag;
  if (options.resultInfo !== undefined) n.resultInfo = options.resultInfo;
  if (options.terminationReason !== undefined) n.terminationReason = options.terminationReason;
  n.raw = rawOf(n);
  return n;
}

// A plausible wire item, so code that reads `raw` (tone info, logging) sees Graph's shape.
function rawOf(n: CallNotification): CallNotification['raw'] {
  const type =
    n.resource === 'call'
      ? '#microsoft.graph.call'
      : n.resource === 'participants'
        ? '#microsoft.graph.participant'
        : '#microsoft.graph.commsOperation';
  const data: Record<string, unknown> = { '@odata.type': type };
  if (n.state !== undefined) data.state = n.state;
  if (n.etag !== undefined) data['@odata.etag'] = n.etag;
  if (n.resultInfo !== undefined) data.resultInfo = { ...n.resultInfo };
  if (n.terminationReason !== undefined) data.terminationReason = n.terminationReason;
  return {
    '@odata.type': '#microsoft.graph.commsNotification',
    changeType: n.changeType,
    resourceUrl: n.resourcePath,
    resourceData: data,
  };
}
