import type { RejectedNotification } from '../graph/notification.js';
import type { NotificationVerdict } from '../machine/types.js';
import type { IngestReport } from './types.js';

/** How many notifications of one POST got each verdict. */
export type IngestTally = Record<NotificationVerdict, number>;

export function emptyTally(): IngestTally {
  return { apply: 0, unchanged: 0, stale: 0, late: 0, subresource: 0 };
}

/** The report of one POST: every notification in exactly one count. */
export function ingestReport(
  tally: IngestTally,
  rejected: readonly RejectedNotification[],
  unknownCalls: number,
): IngestReport {
  return {
    applied: tally.apply,
    unchanged: tally.unchanged,
    stale: tally.stale,
    late: tally.late,
    subresource: tally.subresource,
    rejected: rejected.length,
    unknownCalls,
    rejections: rejected,
  };
}
