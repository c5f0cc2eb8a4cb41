import type { CallNotification, ChangeType, GraphCallState } from '../../src/index.js';

let counter = 0;

/** A parsed call-resource notification, built directly (machine tests need no parser). */
export function callNote(
  state: GraphCallState | undefined,
  options: {
    callId?: string;
    changeType?: ChangeType;
    etag?: string;
    resource?: CallNotification['resource'];
    resultInfo?: CallNotification['resultInfo'];
    terminationReason?: string;
  } = {},
): CallNotification {
  const callId = options.callId ?? 'call-1';
  const changeType = options.changeType ?? (state === 'terminated' ? 'deleted' : 'updated');
  const n: { -readonly [K in keyof CallNotification]: CallNotification[K] } = {
    index: counter++,
    callId,
    changeType,
    resource: options.resource ?? 'call',
    resourcePath: `/communications/calls/${callId}`,
    raw: {},
  };
  if (state !== undefined) n.state = state;
  if (options.etag !== undefined) n.etag = options.etag;
  if (options.resultInfo !== undefined) n.resultInfo = options.resultInfo;
  if (options.terminationReason !== undefined) n.terminationReason = options.terminationReason;
  return n;
}
