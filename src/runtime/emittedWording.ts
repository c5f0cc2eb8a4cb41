/**
 * How a step's emitted types read in a timeline (the `replay` command's, the console's): the
 * request each command sends to Graph, and the news worth listing on its own line.
 * @internal
 * @module
 */

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
