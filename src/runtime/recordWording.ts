/**
 * How flight records read in a timeline (the `replay` command's, the console's): what a call was
 * started from, a notification in a few words, the request each command sends to Graph, and the
 * news worth listing on its own.
 * @internal
 * @module
 */
import type { CallNotification } from '../graph/notification.js';
import type { CallInput } from '../machine/types.js';

/** The request each command the machine emits sends to Graph. */
export const REQUEST_OF_COMMAND: Readonly<Record<string, string>> = {
  'graph.deleteCall': 'DELETE',
  'graph.getCall': 'GET',
  'graph.answerCall': 'POST answer',
  'graph.rejectCall': 'POST reject',
  'graph.redirectCall': 'POST redirect',
  'graph.transferCall': 'POST transfer',
  'graph.operation': 'POST operation',
};

// News a timeline shows otherwise: the notification and its verdict, the move of the chart, the
// outcome.
const SHOWN_OTHERWISE: ReadonlySet<string> = new Set([
  'call.notification',
  'call.stateChanged',
  'call.terminated',
  'notification.subresource',
  'notification.ignored',
]);

/** The requests among `emitted`, in order (`DELETE`, `POST answer`). */
export function requestsOf(emitted: readonly string[]): string[] {
  return emitted.flatMap((type) => {
    const request = REQUEST_OF_COMMAND[type];
    return request === undefined ? [] : [request];
  });
}

/** The news among `emitted` a timeline lists: neither a command nor what it shows otherwise. */
export function newsOf(emitted: readonly string[]): string[] {
  return emitted.filter((type) => !type.startsWith('graph.') && !SHOWN_OTHERWISE.has(type));
}

/** `discovered by created incoming W/"1"`, `adopted in established incoming`. */
export function describeStart(input: CallInput): string {
  const found = input.discoveredBy;
  if (found !== undefined) return `discovered by ${describeNotification(found)}`;
  const parts = [`adopted in ${input.state ?? 'establishing'}`];
  if (input.direction !== undefined) parts.push(input.direction);
  return parts.join(' ');
}

/** `updated established W/"3"`, `deleted terminated`, `updated participants`, `deleted operation completed`, `updated established tone tone1`. */
export function describeNotification(notification: CallNotification): string {
  const what =
    notification.resource === 'call'
      ? (notification.stateText ?? notification.state ?? 'no state')
      : notification.resource === 'operation'
        ? ['operation', notification.operation?.status].filter((p) => p !== undefined).join(' ')
        : notification.resource;
  const tone = notification.tone === undefined ? undefined : `tone ${notification.tone.tone}`;
  return [notification.changeType, what, tone, notification.etag]
    .filter((part) => part !== undefined)
    .join(' ');
}
