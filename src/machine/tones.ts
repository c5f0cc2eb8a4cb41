/**
 * Key presses (`toneInfo` on call notifications), handed on once per sequence id by a pure
 * reducer over `context.tones`. Graph numbers the presses of a call; a repeated number is the
 * same press delivered again, and is dropped and counted.
 * @module
 */
import type { CallNotification } from '../graph/notification.js';
import type { CallContext, CallEmitted, ToneLog } from './types.js';

/** Sequence ids remembered per call; a press older than all of them counts as a repeat. */
export const KEPT_TONES = 64;

export interface ToneStep {
  readonly context: CallContext;
  readonly emitted: readonly CallEmitted[];
}

export function hearTone(context: CallContext, n: CallNotification, at: number): ToneStep {
  const tone = n.tone;
  if (tone === undefined) return { context, emitted: [] };
  const log: ToneLog = context.tones ?? { recent: [], duplicates: 0 };
  const { sequenceId } = tone;
  const oldest = log.recent[0];
  const full = log.recent.length >= KEPT_TONES;
  if (log.recent.includes(sequenceId) || (full && oldest !== undefined && sequenceId < oldest)) {
    return {
      context: { ...context, tones: { ...log, duplicates: log.duplicates + 1 } },
      emitted: [],
    };
  }
  const recent = [...log.recent, sequenceId].sort((a, b) => a - b);
  if (recent.length > KEPT_TONES) recent.shift();
  return {
    context: { ...context, tones: { recent, duplicates: log.duplicates } },
    emitted: [{ type: 'call.tone', callId: context.callId, tone: tone.tone, sequenceId, at }],
  };
}
