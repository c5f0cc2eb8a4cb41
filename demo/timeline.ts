/**
 * The human view of one call: a line per thing that happens, as it happens, aligned in
 * columns: time since start, what kind of thing, what exactly, and what came of it.
 * @module
 */
import type { CallDeadline, ResultInfo } from '../src/index.js';
import {
  type Bucket,
  type DemoEvent,
  isOperationKind,
  REQUEST_KINDS,
  type Summary,
} from './events.js';
import { SCENARIO_INFO } from './scenarios.js';
import { padEnd, padStart, type Style } from './style.js';

const TIME_WIDTH = 8;
const KIND_WIDTH = 9;
const DETAIL_WIDTH = 50;

const STATUS_TEXT: Readonly<Record<number, string>> = {
  0: 'no answer',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function shortId(callId: string): string {
  return callId.length > 9 ? `${callId.slice(0, 8)}…` : callId;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${Number((ms / 1000).toFixed(ms < 10_000 ? 2 : 1))} s`;
}

export function bucketColor(style: Style, bucket: Bucket): (text: string) => string {
  switch (bucket) {
    case 'applied':
      return style.green;
    case 'unchanged':
      return style.dim;
    case 'stale':
      return style.yellow;
    case 'late':
      return style.magenta;
    case 'subresource':
      return style.cyan;
    case 'rejected':
      return style.red;
  }
}

/** Renders events of a single-call run as timeline lines; returns undefined for events it does not show. */
export function createTimeline(style: Style): (event: DemoEvent) => string | undefined {
  const row = (t: number, kind: string, detail: string, result = ''): string =>
    `${style.dim(padStart(t.toFixed(1), TIME_WIDTH))}  ${padEnd(kind, KIND_WIDTH)} ${padEnd(detail, DETAIL_WIDTH)} ${result}`.trimEnd();

  return (event) => {
    switch (event.type) {
      case 'start':
        return [
          style.bold(`graph-call-machine demo: ${SCENARIO_INFO[event.scenario].title}`),
          `  webhook     ${event.webhookUrl}   ${style.dim('createWebhookHandler + toNodeListener, JWT checked')}`,
          `  fake Graph  ${event.graphUrl}   ${style.dim(`createFakeGraph, seed ${event.seed}, ${event.faults ? 'faults on' : 'no faults'}`)}`,
          `  registry    ${style.dim(`createCallRegistry, confirmTimeoutMs ${event.confirmTimeoutMs}`)}`,
          ...(event.inspectorUrl === undefined
            ? []
            : [`  inspector   open ${style.cyan(event.inspectorUrl)} to watch the statechart`]),
          ...(event.consoleUrl === undefined
            ? []
            : [`  console     open ${style.cyan(event.consoleUrl)} to watch the call live`]),
          '',
          style.dim(
            `${padStart('ms', TIME_WIDTH)}  ${padEnd('what', KIND_WIDTH)} ${padEnd('detail', DETAIL_WIDTH)} result`,
          ),
        ].join('\n');
      case 'bot':
        return row(event.t, style.bold('bot'), event.detail);
      case 'fake':
        return row(event.t, style.dim('fake'), style.dim(event.detail));
      case 'incoming':
        return row(
          event.t,
          style.magenta('event'),
          `call.incoming from ${style.bold(event.caller)}`,
          style.dim(`call ${shortId(event.callId)}`),
        );
      case 'established':
        return row(event.t, style.magenta('event'), 'call.established', style.dim('connected'));
      case 'tone':
        return row(
          event.t,
          style.magenta('event'),
          `call.tone ${style.bold(event.tone)}`,
          style.dim(`key press, sequence ${event.sequenceId}`),
        );
      case 'operationCompleted':
        return row(
          event.t,
          style.magenta('event'),
          `operation.completed ${event.kind}`,
          [
            ...describeOperationEnd(event),
            style.dim(`${formatMs(event.durationMs)} after the request`),
          ].join(' · '),
        );
      case 'operationFailed':
        return row(
          event.t,
          style.red('event'),
          style.red(`operation.failed ${event.kind}`),
          [
            ...(event.failure === undefined ? [] : [event.failure]),
            ...(event.httpStatus === undefined ? [] : [`status ${event.httpStatus}`]),
            ...describeOperationEnd(event),
            ...(event.error === undefined ? [] : [event.error]),
            style.dim(`${formatMs(event.durationMs)} after the request`),
          ].join(' · '),
        );
      case 'operationRejected':
        return row(
          event.t,
          style.red('event'),
          style.red(`operation.rejected ${event.kind}`),
          `nothing sent (${event.state}): ${event.reason}`,
        );
      case 'transferFailed': {
        const info = event.resultInfo;
        return row(
          event.t,
          style.magenta('event'),
          style.yellow('call.transferFailed'),
          `${info === undefined ? '' : `${info.code}/${info.subcode ?? '-'}${info.message === undefined ? '' : ` ${info.message}`} · `}the call stays established`,
        );
      }
      case 'commandRejected':
        return row(
          event.t,
          style.red('event'),
          style.red(`call.commandRejected ${event.verb}`),
          `nothing sent (${event.state}): ${event.reason}`,
        );
      case 'commandFailed':
        return row(
          event.t,
          style.red('event'),
          style.red(`call.commandFailed ${event.verb}`),
          `${event.status} after ${event.attempts} request${event.attempts === 1 ? '' : 's'}${event.error === undefined ? '' : `: ${event.error}`}`,
        );
      case 'request': {
        const status = `${event.status} ${STATUS_TEXT[event.status] ?? ''}`.trim();
        const color = event.status >= 200 && event.status < 300 ? style.green : style.yellow;
        const notes = [color(status)];
        if (event.retryAfterMs !== undefined)
          notes.push(`Retry-After ${event.retryAfterMs / 1000} s`);
        if (event.kind === 'createCall' && event.state !== undefined) {
          notes.push(`${event.state}${event.etag === undefined ? '' : ` ${event.etag}`}`);
        } else if (event.kind === 'getCall' && event.status === 404) {
          notes.push('the call is over');
        } else if (event.state !== undefined) {
          notes.push(`still ${event.state}`);
        } else if (event.operationStatus !== undefined) {
          notes.push(event.operationStatus);
        }
        notes.push(style.dim(formatMs(event.durationMs)));
        const path = event.path.replace(event.callId, shortId(event.callId));
        return row(event.t, style.blue(`${event.method} ▸`), path, notes.join(' · '));
      }
      case 'notification': {
        const what = [
          padEnd(event.changeType, 8),
          padEnd(event.resource === 'call' ? (event.state ?? '(no state)') : event.resource, 13),
          [
            event.etag,
            event.operation === undefined ? undefined : describeOperationReport(event.operation),
            event.tone === undefined ? undefined : `toneInfo ${event.tone}`,
          ]
            .filter((part) => part !== undefined && part !== '')
            .join(' '),
        ].join(' ');
        const dup = `${event.duplicate ? style.yellow(' duplicate') : ''}${event.outOfOrder ? style.yellow(' out of order') : ''}`;
        return row(
          event.t,
          style.cyan('◂ notify'),
          `${what}${dup}`,
          bucketColor(style, event.bucket)(event.bucket),
        );
      }
      case 'rejected':
        return row(event.t, style.red('◂ notify'), event.message, style.red('rejected'));
      case 'transition': {
        const notes = [`on ${event.on}`];
        if (event.deadline !== undefined) notes.push(describeDeadline(event.deadline));
        // A self-transition (a `terminating` notification while confirming) re-arms the deadline.
        const chart =
          event.chart.from === event.chart.to
            ? `${event.chart.to} (entered again)`
            : `${event.chart.from ?? 'start'} → ${event.chart.to}`;
        const machine = row(event.t, 'machine', chart, style.dim(notes.join(' · ')));
        if (event.state === undefined) return machine;
        const { from, to } = event.state;
        // Phases are named like states at the end of the lifecycle; only other changes say more.
        const phase =
          from.phase !== to.phase && (from.phase !== from.state || to.phase !== to.state)
            ? ` (${from.phase} → ${to.phase})`
            : '';
        const state =
          from.state === to.state ? `${to.state}${phase}` : `${from.state} → ${to.state}${phase}`;
        return [row(event.t, style.bold('state'), style.bold(state)), machine].join('\n');
      }
      case 'hangUpFailed':
        return row(
          event.t,
          style.red('failed'),
          `hang-up failed with ${event.status} after ${event.attempts} DELETE(s)`,
        );
      case 'terminated': {
        const { outcome } = event;
        const by =
          event.confirmedBy === 'notification'
            ? 'confirmed by its terminated notification'
            : event.confirmedBy === 'getCall'
              ? 'confirmed by the GET: Graph answered 404'
              : event.confirmedBy === 'delete'
                ? 'confirmed by the DELETE: Graph answered 404'
                : '';
        const info =
          outcome.resultInfo !== undefined
            ? `resultInfo ${JSON.stringify(outcome.resultInfo)}`
            : event.confirmedBy === 'notification'
              ? style.dim('no resultInfo: the notification that ended it carried none')
              : style.dim('no resultInfo: only the terminated notification carries one');
        return [
          row(
            event.t,
            style.green(style.bold('outcome')),
            style.bold(`terminated, reason ${outcome.reason}`),
            by,
          ),
          row(event.t, '', info),
        ].join('\n');
      }
      case 'registryError':
        return row(event.t, style.red('error'), event.message);
      case 'summary':
        return undefined;
    }
  };
}

/** The closing lines of a single-call run: what was counted, and how to read it. */
export function renderOneCallSummary(summary: Summary, style: Style): string {
  const n = summary.notifications;
  const lines = [
    '',
    `  notifications  applied ${n.applied} · unchanged ${n.unchanged} · stale ${n.stale} · late ${n.late} · subresource ${n.subresource} · rejected ${n.rejected}${describeTrouble(summary)}`,
  ];
  // A scenario that never hangs up (reject, redirect, transfer) has nothing to say here.
  if (summary.scenario === 'hangup' || summary.hangUps > 0 || summary.deleteRequests > 0) {
    lines.push(
      `  hang-ups       ${summary.hangUps} → ${summary.deleteRequests} DELETE request${summary.deleteRequests === 1 ? '' : 's'}${summary.getRequests > 0 ? `, ${summary.getRequests} GET` : ''}`,
    );
  } else if (summary.getRequests > 0) {
    lines.push(`  GET            ${summary.getRequests}`);
  }
  if (summary.scenario !== 'hangup') {
    const r = summary.requests;
    lines.push(
      `  requests       POST /communications/calls ${r.createCall} · answer ${r.answerCall} · reject ${r.rejectCall} · redirect ${r.redirectCall} · transfer ${r.transferCall}`,
    );
    const operations = REQUEST_KINDS.filter(isOperationKind).filter((kind) => r[kind] > 0);
    if (operations.length > 0) {
      const o = summary.operations;
      lines.push(
        `  operations     ${operations.map((kind) => `${kind} ${r[kind]}`).join(' · ')}  →  completed ${o.completed} · failed ${o.failed} · rejected ${o.rejected}`,
      );
    }
    if (summary.tones > 0) lines.push(`  key presses    ${summary.tones} (call.tone)`);
    if (summary.transferFailures > 0) {
      lines.push(
        style.dim(
          `                 ${summary.transferFailures} transfer${summary.transferFailures === 1 ? '' : 's'} failed (call.transferFailed): Graph brought the call back to established, and the bot could try again.`,
        ),
      );
    }
    lines.push(
      `  expected       ${summary.expectedOutcome}  ${style.dim(`(the ${summary.scenario} scenario; any other outcome fails the run)`)}`,
    );
  }
  if (summary.deleteRetries > 0) {
    lines.push(
      style.dim(
        `                 ${summary.deleteRetries} DELETE answered 429/5xx and was sent again after Retry-After: a retry of the same hang-up, not a second one.`,
      ),
      style.dim(
        '                 Once Graph accepts a DELETE, the machine never sends another for that hang-up.',
      ),
    );
  }
  if ((summary.confirmedBy.getCall ?? 0) > 0) {
    lines.push(
      style.dim(
        '                 The terminated notification never came: after confirmTimeoutMs the machine asked Graph (GET), and 404 means the call is over.',
      ),
    );
  }
  lines.push(
    style.dim(
      '  verdicts       applied: moved the call · unchanged: repeats what is known · stale: behind the call · late: after the end',
    ),
  );
  if (n.subresource > 0) {
    lines.push(
      style.dim(
        '                 subresource: about an operation or the roster of the call, which never moves it',
      ),
    );
  }
  return lines.join('\n');
}

/** How an operation ended, as Graph reported it: `200/0 Action completed successfully.`, its completionReason. */
function describeOperationEnd(event: {
  readonly resultInfo?: ResultInfo;
  readonly completionReason?: string;
}): string[] {
  const { resultInfo, completionReason } = event;
  return [
    ...(resultInfo === undefined
      ? []
      : [
          `${resultInfo.code}/${resultInfo.subcode ?? '-'}${resultInfo.message === undefined ? '' : ` ${resultInfo.message}`}`,
        ]),
    ...(completionReason === undefined ? [] : [completionReason]),
  ];
}

/** `playPrompt completed`, from Graph's `#microsoft.graph.playPromptOperation` and its status. */
function describeOperationReport(operation: {
  readonly status?: string;
  readonly type?: string;
}): string {
  const kind = operation.type?.replace(/Operation$/, '');
  return [kind === 'comms' ? undefined : kind, operation.status]
    .filter((part) => part !== undefined && part !== '')
    .join(' ');
}

function describeTrouble(summary: Summary): string {
  const parts: string[] = [];
  if (summary.duplicates > 0)
    parts.push(`${summary.duplicates} duplicate${summary.duplicates === 1 ? '' : 's'}`);
  if (summary.outOfOrder > 0) parts.push(`${summary.outOfOrder} out of order`);
  return parts.length === 0 ? '' : `  (${parts.join(', ')})`;
}

/** What a recorded deadline means for the call, in words. */
function describeDeadline(deadline: { kind: CallDeadline['kind']; inMs: number }): string {
  const wait = formatMs(deadline.inMs);
  switch (deadline.kind) {
    case 'retry':
      return `send the request again in ${wait}`;
    case 'command':
      return `Graph has ${wait} to take the request`;
    case 'confirm':
      return `wait ${wait} for terminated, then GET`;
    case 'request':
      return `Graph has ${wait} to answer`;
    case 'setup':
      return `still in setup after ${wait}? then GET`;
    default:
      return assertNever(deadline.kind);
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled deadline kind ${String(value)}`);
}
