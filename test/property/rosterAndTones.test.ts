// Rosters converge and key presses are handed on once, whatever Graph repeats and reorders.
// Runs NUM_RUNS cases per property (default 1,000 here; `npm run test:soak` runs 10,000).
//
// - Numbered changes (Graph's rosterSequenceNumber on each participant, the delta roster's
//   sequenceNumber): delivered in any order, each any number of times, they leave the roster the
//   in-order history leaves.
// - Whole rosters: any number of copies of earlier rosters delivered anywhere before the latest
//   one leave the roster the latest one says, without a participant lost or brought back.
// - Key presses: every sequence id is handed on exactly once, in whatever order and however
//   often the presses arrive; every repeat is counted.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CallEvent,
  type CallNotification,
  parseNotifications,
  participantsOf,
  startCall,
  stepCall,
} from '../../src/index.js';
import { type CommsNotification, notify } from '../../src/testing/index.js';

const NUM_RUNS = Number(process.env.NUM_RUNS ?? 1_000);
const callId = 'roster-call';
const POOL = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];

type Change =
  | { readonly kind: 'enter'; readonly id: string; readonly isMuted: boolean }
  | { readonly kind: 'leave'; readonly id: string };

interface Person {
  readonly id: string;
  readonly isMuted: boolean;
  readonly sequence: number;
}

function parsed(item: CommsNotification): CallNotification {
  const n = parseNotifications({ value: [item] }).notifications[0];
  if (n === undefined) throw new Error('unparsable item');
  return n;
}

function run(items: readonly CommsNotification[]) {
  let { snapshot } = startCall({ callId, state: 'established', at: 0 });
  const emitted = [];
  for (const [i, item] of items.entries()) {
    const event: CallEvent = { type: 'notification', notification: parsed(item), at: i };
    const step = stepCall(snapshot, event);
    snapshot = step.snapshot;
    emitted.push(...step.emitted);
  }
  return { snapshot, emitted };
}

const rosterOf = (items: readonly CommsNotification[]) =>
  participantsOf(run(items).snapshot)
    .map((p) => ({ id: p.id, isMuted: p.isMuted, sequence: p.sequence }))
    .sort((a, b) => a.id.localeCompare(b.id));

/** A history of joins, mute changes and departures, each numbered by the roster version it makes. */
const histories = fc.array(
  fc.record({ id: fc.constantFrom(...POOL), leave: fc.boolean(), isMuted: fc.boolean() }),
  { minLength: 1, maxLength: 20 },
);

function numbered(raw: readonly { id: string; leave: boolean; isMuted: boolean }[]) {
  const present = new Map<string, Person>();
  const changes: (Change & { readonly sequence: number })[] = [];
  const wholes: Person[][] = [];
  for (const step of raw) {
    const sequence = changes.length + 1;
    if (step.leave && present.has(step.id)) {
      present.delete(step.id);
      changes.push({ kind: 'leave', id: step.id, sequence });
    } else if (!step.leave) {
      present.set(step.id, { id: step.id, isMuted: step.isMuted, sequence });
      changes.push({ kind: 'enter', id: step.id, isMuted: step.isMuted, sequence });
    } else {
      continue;
    }
    wholes.push([...present.values()]);
  }
  return { changes, wholes, final: [...present.values()].sort((a, b) => a.id.localeCompare(b.id)) };
}

const spec = (p: Person) => ({
  id: p.id,
  displayName: p.id,
  isMuted: p.isMuted,
  data: { rosterSequenceNumber: p.sequence },
});

function deltaOf(change: Change & { readonly sequence: number }): CommsNotification {
  const participant =
    change.kind === 'leave'
      ? {
          ...spec({ id: change.id, isMuted: false, sequence: change.sequence }),
          data: { rosterSequenceNumber: change.sequence, removedState: { reason: 'left' } },
        }
      : spec({ id: change.id, isMuted: change.isMuted, sequence: change.sequence });
  const [item] = [notify.participants(callId, [participant], { changeType: 'updated' })];
  // The beta delta roster: numbered changes since the last roster.
  return {
    ...item,
    resourceData: {
      '@odata.type': '#microsoft.graph.deltaParticipants',
      sequenceNumber: change.sequence,
      participants: item.resourceData as readonly { '@odata.type': string }[],
    },
  };
}

describe('the roster converges', () => {
  it(`numbered changes, in any order, each any number of times (${NUM_RUNS} cases)`, {
    timeout: 600_000,
  }, () => {
    fc.assert(
      fc.property(
        histories.chain((raw) => {
          const { changes, final } = numbered(raw);
          const copies = changes.map((c) =>
            fc.array(fc.constant(c), { minLength: 1, maxLength: 3 }),
          );
          return fc.tuple(
            fc.constant(final),
            fc
              .tuple(...copies)
              .chain((lists) =>
                fc.shuffledSubarray(lists.flat(), { minLength: lists.flat().length }),
              ),
          );
        }),
        ([final, delivered]) => {
          expect(rosterOf(delivered.map(deltaOf))).toEqual(final);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it(`whole rosters, with copies of earlier ones anywhere before the latest (${NUM_RUNS} cases)`, {
    timeout: 600_000,
  }, () => {
    fc.assert(
      fc.property(
        histories.chain((raw) => {
          const { wholes, final } = numbered(raw);
          const earlier = wholes.slice(0, -1);
          const stale =
            earlier.length === 0
              ? fc.constant([])
              : fc.array(fc.constantFrom(...earlier), { maxLength: 10 });
          return fc.tuple(fc.constant(wholes), fc.constant(final), stale, fc.nat());
        }),
        ([wholes, final, stale, seed]) => {
          // The history in order, with the stale copies spliced in at positions from the seed.
          const delivered: Person[][] = wholes.slice(0, -1);
          stale.forEach((copy, i) => {
            delivered.splice((seed + i * 7) % (delivered.length + 1), 0, copy);
          });
          const last = wholes.at(-1) ?? [];
          delivered.push(last, last);
          const items = delivered.map((list) => notify.participants(callId, list.map(spec)));
          const { emitted } = run(items);
          expect(rosterOf(items)).toEqual(final);
          // A repeat of the latest roster said nothing new.
          const lastStep = run([...items.slice(0, -1)]).emitted.length;
          expect(emitted.length).toBe(lastStep + 1);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('key presses', () => {
  it(`each sequence id is handed on once, however the presses are repeated and reordered (${NUM_RUNS} cases)`, {
    timeout: 600_000,
  }, () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.constantFrom('tone0', 'tone1', 'tone5', 'star', 'pound'), {
            minLength: 1,
            maxLength: 30,
          })
          .chain((tones) => {
            const presses = tones.map((tone, i) => ({ tone, sequenceId: i + 1 }));
            const copies = presses.map((p) =>
              fc.array(fc.constant(p), { minLength: 1, maxLength: 3 }),
            );
            return fc.tuple(
              fc.constant(presses),
              fc
                .tuple(...copies)
                .chain((lists) =>
                  fc.shuffledSubarray(lists.flat(), { minLength: lists.flat().length }),
                ),
            );
          }),
        ([presses, delivered]) => {
          const items = delivered.map((p) =>
            notify.tone(callId, p.tone as 'tone1', { sequenceId: p.sequenceId }),
          );
          const { snapshot, emitted } = run(items);
          const heard = emitted.flatMap((e) =>
            e.type === 'call.tone' ? [[e.sequenceId, e.tone]] : [],
          );
          expect([...heard].sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(
            presses.map((p) => [p.sequenceId, p.tone]),
          );
          expect(snapshot.context.tones?.duplicates).toBe(delivered.length - presses.length);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
