/**
 * The human view of many calls: a progress bar on a terminal (a line every 10 % elsewhere),
 * then a summary table.
 * @module
 */
import { BUCKETS, type DemoEvent, type Summary } from './events.js';
import { padEnd, padStart, type Style } from './style.js';
import { bucketColor, formatMs } from './timeline.js';

export interface Progress {
  update(counts: Milestones): void;
  finish(): void;
}

/** How far the calls got: each is placed, then established, then ended. */
export interface Milestones {
  readonly placed: number;
  readonly established: number;
  readonly terminated: number;
}

const BAR_WIDTH = 30;
const REDRAW_MS = 80;

export function createProgress(
  total: number,
  out: { write(text: string): unknown; readonly isTTY?: boolean },
  style: Style,
  now: () => number,
): Progress {
  let lastDraw = Number.NEGATIVE_INFINITY;
  let lastStep = 0;
  let last: Milestones = { placed: 0, established: 0, terminated: 0 };
  const width = String(total).length;
  const counts = (m: Milestones): string =>
    `placed ${padStart(String(m.placed), width)} · established ${padStart(String(m.established), width)} · ended ${padStart(String(m.terminated), width)} of ${total}`;
  // The bar counts milestones, three per call, so it moves from the first request on.
  const fraction = (m: Milestones): number =>
    (m.placed + m.established + m.terminated) / (3 * total);
  const draw = (): void => {
    const filled = Math.round(fraction(last) * BAR_WIDTH);
    const bar = `${style.green('█'.repeat(filled))}${style.dim('░'.repeat(BAR_WIDTH - filled))}`;
    out.write(`\r  ${bar} ${counts(last)} · ${formatMs(now())}  `);
  };
  return {
    update(m) {
      if (
        m.placed === last.placed &&
        m.established === last.established &&
        m.terminated === last.terminated
      ) {
        return;
      }
      last = { placed: m.placed, established: m.established, terminated: m.terminated };
      if (out.isTTY === true) {
        if (now() - lastDraw >= REDRAW_MS || m.terminated === total) {
          lastDraw = now();
          draw();
        }
        return;
      }
      // Not a terminal: a plain line per tenth of the way, which a log can keep.
      const step = Math.floor(fraction(last) * 10);
      if (step > lastStep) {
        lastStep = step;
        out.write(`  progress  ${counts(last)} (${formatMs(now())})\n`);
      }
    },
    finish() {
      if (out.isTTY === true) {
        draw();
        out.write('\n');
      }
    },
  };
}

export function renderStart(event: Extract<DemoEvent, { type: 'start' }>, style: Style): string {
  return [
    style.bold(
      `graph-call-machine demo: ${event.calls} concurrent calls, each placed, established and hung up`,
    ),
    `  webhook     ${event.webhookUrl}   ${style.dim('createWebhookHandler + toNodeListener, JWT checked')}`,
    `  fake Graph  ${event.graphUrl}   ${style.dim(`createFakeGraph, seed ${event.seed}, ${event.faults ? 'faults on' : 'no faults'}, up to ${event.batch} notifications per POST`)}`,
    `  registry    ${style.dim(`createCallRegistry, confirmTimeoutMs ${event.confirmTimeoutMs}`)}`,
    ...(event.inspectorUrl === undefined
      ? []
      : [`  inspector   open ${style.cyan(event.inspectorUrl)} to watch the statecharts`]),
    ...(event.consoleUrl === undefined
      ? []
      : [`  console     open ${style.cyan(event.consoleUrl)} to watch the calls live`]),
    '',
  ].join('\n');
}

const CONFIRMED_BY: Readonly<Record<string, string>> = {
  notification: 'its terminated notification',
  getCall: 'the GET after confirmTimeoutMs (404)',
  delete: 'the DELETE (404: already gone)',
  other: 'something else',
};

export function renderManySummary(summary: Summary, style: Style): string {
  const width = 44;
  const line = (label: string, value: number | string, note = ''): string =>
    `  ${padEnd(label, width)}${padStart(String(value), 7)}${note === '' ? '' : `   ${style.dim(note)}`}`;
  const heading = (label: string, right = ''): string =>
    style.bold(`  ${padEnd(label, width)}${padStart(right, 7)}`);
  const lines: string[] = ['', heading('outcome (reason)', 'calls')];
  for (const [reason, count] of Object.entries(summary.outcomes)) lines.push(line(reason, count));
  lines.push('', heading('confirmed by', 'calls'));
  for (const [by, count] of Object.entries(summary.confirmedBy)) {
    lines.push(line(CONFIRMED_BY[by] ?? by, count));
  }
  lines.push('', heading('notifications at the webhook', 'count'));
  for (const bucket of BUCKETS) {
    lines.push(line(bucketColor(style, bucket)(bucket), summary.notifications[bucket]));
  }
  lines.push(line(style.dim('of which duplicates'), summary.duplicates));
  lines.push(line(style.dim('of which out of order (older etag)'), summary.outOfOrder));
  lines.push('', heading('requests to Graph', 'count'));
  lines.push(line('POST /communications/calls', summary.calls));
  lines.push(
    line(
      `DELETE for ${summary.hangUps} hang-ups`,
      summary.deleteRequests,
      summary.deleteRetries > 0
        ? `${summary.deleteRetries} answered 429/5xx and were retried: one hang-up, one accepted DELETE`
        : 'one per hang-up',
    ),
  );
  lines.push(line('GET (verification)', summary.getRequests));
  const { p50, p99, max } = summary.timeToTerminatedMs;
  lines.push(
    '',
    heading('time from hangUp() to terminated'),
    `  p50 ${formatMs(p50)} · p99 ${formatMs(p99)} · max ${formatMs(max)}`,
  );
  return lines.join('\n');
}
