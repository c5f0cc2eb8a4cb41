/**
 * Calls that look stuck in a recording: not ended after the replay, and silent for a while
 * before the recording's "now" (its newest record). `graph-call-machine replay` names them first.
 * @module
 */
import type { CallPhase } from '../graph/callState.js';
import type { ReplayedCall } from '../runtime/replayRecords.js';
import { formatMs, shortId } from './timeline.js';

/** How long a call that has not ended may go without a record before it is named as stuck. */
export const STUCK_AFTER_MS = 30_000;

/** A call not ended, silent since `lastAt`. */
export interface StuckCall {
  readonly callId: string;
  readonly phase: CallPhase;
  /** The chart's state where the replay left it (`terminating.confirming`). */
  readonly value: string;
  readonly lastAt: number;
  /** How long it had been silent at the newest record. */
  readonly silentMs: number;
}

const PHASE_WORDS: Readonly<Record<Exclude<CallPhase, 'terminated'>, string>> = {
  setup: 'in setup',
  active: 'active',
  terminating: 'terminating',
};

const NAMED_PER_LINE = 10;

/** The calls of `calls` not ended whose last record is more than `afterMs` before `newestAt`. */
export function findStuckCalls(
  calls: readonly ReplayedCall[],
  newestAt: number,
  afterMs = STUCK_AFTER_MS,
): StuckCall[] {
  const stuck: StuckCall[] = [];
  for (const call of calls) {
    const position = call.position;
    if (position === undefined || position.phase === 'terminated') continue;
    if (newestAt - call.lastAt <= afterMs) continue;
    stuck.push({
      callId: call.callId,
      phase: position.phase,
      value: position.value,
      lastAt: call.lastAt,
      silentMs: newestAt - call.lastAt,
    });
  }
  return stuck;
}

/** One line per phase: `2 calls still terminating after 30 s: 8f1c3a2b…, 2a9e4d11…`. */
export function describeStuckCalls(
  stuck: readonly StuckCall[],
  afterMs = STUCK_AFTER_MS,
): string[] {
  const lines: string[] = [];
  for (const [phase, words] of Object.entries(PHASE_WORDS)) {
    const inPhase = stuck.filter((call) => call.phase === phase);
    if (inPhase.length === 0) continue;
    const named = inPhase.slice(0, NAMED_PER_LINE).map((call) => shortId(call.callId));
    const more = inPhase.length - named.length;
    const list = more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ');
    const count = `${inPhase.length} ${inPhase.length === 1 ? 'call' : 'calls'}`;
    lines.push(`${count} still ${words} after ${formatMs(afterMs)}: ${list}`);
  }
  return lines;
}
