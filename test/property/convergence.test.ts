// Property: however Graph's notifications arrive (duplicated, reordered, non-terminal ones
// lost, several per POST), a call ends where in-order delivery would have left it, every
// notification is counted exactly once, and one hang-up sends one DELETE.
//
// Runs NUM_RUNS cases per property (default 1,000 here; `npm run test:soak` runs 10,000).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CallView,
  createCallRegistry,
  type IngestReport,
  type KnownCallState,
  parseNotifications,
  phaseOf,
} from '../../src/index.js';
import { corpusFile } from '../support/corpus.js';
import { ScriptedGraph } from '../support/scriptedGraph.js';

const NUM_RUNS = Number(process.env.NUM_RUNS ?? 1_000);

interface Delivery {
  /** One notification item, as Graph sends it. */
  readonly item: Record<string, unknown>;
  readonly terminal: boolean;
  /** Reordering this with another of the same phase is decided only by numeric etags. */
  readonly phase: string;
  readonly etag: number | undefined;
}

interface Lifecycle {
  readonly name: string;
  readonly callId: string;
  /** The bot knew the call before the first notification (it placed or answered it). */
  readonly track?: KnownCallState;
  /** The bot hangs up before the notifications arrive. */
  readonly hangUp?: boolean;
  readonly deliveries: readonly Delivery[];
}

function toDelivery(item: Record<string, unknown>): Delivery {
  const [n] = parseNotifications({ value: [item] }).notifications;
  if (n === undefined) throw new Error(`not a notification: ${JSON.stringify(item)}`);
  const terminal =
    n.resource === 'call' && (n.changeType === 'deleted' || n.state === 'terminated');
  const digits = n.etag === undefined ? undefined : /^W\/"(\d+)"$/.exec(n.etag)?.[1];
  return {
    item,
    terminal,
    phase:
      n.resource !== 'call'
        ? 'subresource'
        : terminal
          ? 'terminated'
          : (phaseOf(n.state ?? 'unknownFutureValue') ?? 'unknown'),
    etag: digits === undefined ? undefined : Number(digits),
  };
}

function fromCorpus(name: string, files: string[], extra: Partial<Lifecycle> = {}): Lifecycle {
  const items = files.flatMap(
    (f) => (corpusFile(f).body as { value: Record<string, unknown>[] }).value,
  );
  const first = parseNotifications({ value: [items[0]] }).notifications[0];
  return { name, callId: first?.callId ?? '', deliveries: items.map(toDelivery), ...extra };
}

/** Every documented sequence of sequences.md that concerns one call's state. */
const documented: Lifecycle[] = [
  fromCorpus('hang up v1.0', ['v1.0_call-delete__1', 'v1.0_call-delete__2'], {
    track: 'established',
    hangUp: true,
  }),
  fromCorpus('hang up beta', ['beta_call-delete__1', 'beta_call-delete__2'], {
    track: 'established',
    hangUp: true,
  }),
  fromCorpus('hang up 2019', ['history/beta_call-delete__3', 'history/beta_call-delete__4'], {
    track: 'established',
    hangUp: true,
  }),
  fromCorpus('remote end 2018', ['history/beta_call-delete__1', 'history/beta_call-delete__2'], {
    track: 'established',
  }),
  fromCorpus('answer', ['v1.0_call-answer__1', 'v1.0_call-answer__2', 'v1.0_call-answer__3']),
  fromCorpus('answer 2018 callState', [
    'history/beta_call-answer__11',
    'history/beta_call-answer__12',
    'history/beta_call-answer__13',
  ]),
  fromCorpus(
    'join meeting',
    [
      'v1.0_application-post-calls__6',
      'v1.0_application-post-calls__7',
      'v1.0_application-post-calls__8',
    ],
    { track: 'establishing' },
  ),
  fromCorpus('ringing 2018', [
    'history/beta_application-post-calls__11',
    'history/beta_application-post-calls__12',
  ]),
  fromCorpus('reject', ['v1.0_call-reject__1', 'v1.0_call-reject__2']),
  fromCorpus('redirect', ['v1.0_call-redirect__1', 'v1.0_call-redirect__2']),
  fromCorpus('redirect 2018', [
    'history/beta_call-redirect__1',
    'history/beta_call-redirect__2',
    'history/beta_call-redirect__3',
  ]),
  fromCorpus(
    'transfer success 7015',
    ['v1.0_call-transfer__1', 'v1.0_call-transfer__2', 'v1.0_call-transfer__3'],
    { track: 'established' },
  ),
  fromCorpus(
    'transfer success AppTransferred',
    ['v1.0_call-transfer__5', 'v1.0_call-transfer__6', 'v1.0_call-transfer__7'],
    { track: 'established' },
  ),
  fromCorpus(
    'transfer failure',
    ['v1.0_call-transfer__1', 'v1.0_call-transfer__2', 'v1.0_call-transfer__4'],
    { track: 'established' },
  ),
  fromCorpus(
    'transfer via operation 2018',
    [
      'history/beta_call-transfer__1',
      'history/beta_call-transfer__2',
      'history/beta_call-transfer__3',
    ],
    { track: 'established' },
  ),
  fromCorpus(
    'media operations',
    ['v1.0_call-playprompt__1', 'v1.0_call-record__1', 'v1.0_call-subscribetotone__1'],
    { track: 'established' },
  ),
];

/**
 * What may happen to a delivery schedule: duplicates anywhere, reorders, drops of non-terminal
 * notifications when the lifecycle ends in a terminal one (dropping the last word of a call
 * that goes on would change where it is, for anyone), several per POST.
 *
 * Two reorders are left out because the payloads do not carry what would decide them: two
 * notifications of the same phase without distinct numeric etags (rule 7: arrival order), and
 * two terminal ones (2018 payloads send `terminated` and then a bare `deleted`; whichever comes
 * first is the one whose details the outcome keeps).
 */
function schedules(lifecycle: Lifecycle) {
  const n = lifecycle.deliveries.length;
  const endsTerminal = lifecycle.deliveries.some((d) => d.terminal);
  return fc
    .record({
      keys: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
      duplicates: fc.array(fc.nat({ max: n - 1 }), { maxLength: n }),
      drops: endsTerminal
        ? fc.array(fc.boolean(), { minLength: n, maxLength: n })
        : fc.constant([] as boolean[]),
      batch: fc.integer({ min: 1, max: 4 }),
    })
    .map(({ keys, duplicates, drops, batch }) => {
      const order = stableOrder(lifecycle.deliveries, keys);
      const kept = order.filter((i) => !(drops[i] === true && !lifecycle.deliveries[i]?.terminal));
      const withDuplicates = [...kept];
      for (const d of duplicates) withDuplicates.splice(Math.min(d, withDuplicates.length), 0, d);
      return { order: withDuplicates, batch };
    });
}

function mayPass(a: Delivery, b: Delivery): boolean {
  if (a.terminal && b.terminal) return false;
  if (a.phase === b.phase && a.phase === 'active') {
    return a.etag !== undefined && b.etag !== undefined && a.etag !== b.etag;
  }
  return true;
}

/** Sorts by the random keys, but never lets one delivery pass another it may not pass. */
function stableOrder(deliveries: readonly Delivery[], keys: readonly number[]): number[] {
  const order: number[] = [];
  const remaining = deliveries.map((_, i) => i);
  while (remaining.length > 0) {
    // A delivery is ready when nothing earlier that it may not pass is still waiting.
    const ready = remaining.filter((i) =>
      remaining.every(
        (j) => j >= i || mayPass(deliveries[i] as Delivery, deliveries[j] as Delivery),
      ),
    );
    const next = ready.reduce((best, i) => ((keys[i] ?? 0) < (keys[best] ?? 0) ? i : best));
    order.push(next);
    remaining.splice(remaining.indexOf(next), 1);
  }
  return order;
}

interface RunResult {
  view: CallView | undefined;
  counted: number;
  delivered: number;
  deletes: number;
}

async function run(
  lifecycle: Lifecycle,
  order: readonly number[],
  batch: number,
): Promise<RunResult> {
  const graph = new ScriptedGraph();
  const registry = createCallRegistry({ graph, keepAliveMs: 0 });
  try {
    if (lifecycle.track !== undefined)
      await registry.track(lifecycle.callId, { state: lifecycle.track });
    if (lifecycle.hangUp === true) await registry.hangUp(lifecycle.callId);
    let counted = 0;
    for (let i = 0; i < order.length; i += batch) {
      const value = order.slice(i, i + batch).map((k) => lifecycle.deliveries[k]?.item);
      const report: IngestReport = await registry.ingest({ value });
      counted +=
        report.applied +
        report.unchanged +
        report.stale +
        report.late +
        report.subresource +
        report.rejected;
    }
    return {
      view: registry.get(lifecycle.callId),
      counted,
      delivered: order.length,
      deletes: graph.count('DELETE'),
    };
  } finally {
    await registry.close();
  }
}

function summary(view: CallView | undefined) {
  return view === undefined
    ? undefined
    : {
        state: view.state,
        phase: view.phase,
        reason: view.outcome?.reason,
        resultInfo: view.outcome?.resultInfo,
        terminationReason: view.outcome?.terminationReason,
      };
}

async function converges(lifecycle: Lifecycle, schedule: { order: number[]; batch: number }) {
  const inOrder = await run(
    lifecycle,
    lifecycle.deliveries.map((_, i) => i),
    1,
  );
  const shuffled = await run(lifecycle, schedule.order, schedule.batch);
  expect(summary(shuffled.view)).toEqual(summary(inOrder.view));
  expect(shuffled.counted).toBe(shuffled.delivered);
  expect(shuffled.deletes).toBeLessThanOrEqual(lifecycle.hangUp === true ? 1 : 0);
}

describe('convergence under duplicates, reorders and lost notifications', () => {
  it(`every documented sequence (${NUM_RUNS} cases)`, { timeout: 600_000 }, async () => {
    const lifecycle = fc
      .constantFrom(...documented)
      .chain((l) => schedules(l).map((s) => ({ l, s })));
    await fc.assert(
      fc.asyncProperty(lifecycle, async ({ l, s }) => converges(l, s)),
      { numRuns: NUM_RUNS },
    );
  });

  it(`generated lifecycles with increasing etags (${NUM_RUNS} cases)`, {
    timeout: 600_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        generatedLifecycle().chain((l) => schedules(l).map((s) => ({ l, s }))),
        async ({ l, s }) => converges(l, s),
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('the generator is not vacuous: it reorders, duplicates and drops', () => {
    const samples = fc.sample(
      fc.constantFrom(...documented).chain((l) => schedules(l).map((s) => ({ l, s }))),
      { numRuns: 500, seed: 42 },
    );
    const reordered = samples.some(({ s }) =>
      s.order.some((v, i) => i > 0 && v < (s.order[i - 1] ?? 0)),
    );
    const duplicated = samples.some(({ s }) => new Set(s.order).size < s.order.length);
    const dropped = samples.some(({ l, s }) => new Set(s.order).size < l.deliveries.length);
    expect({ reordered, duplicated, dropped }).toEqual({
      reordered: true,
      duplicated: true,
      dropped: true,
    });
  });
});

/** Lifecycles as the fake Graph produces them: every call notification carries a newer etag. */
function generatedLifecycle(): fc.Arbitrary<Lifecycle> {
  return fc
    .record({
      id: fc.uuid(),
      kind: fc.constantFrom(
        'answer',
        'hangUp',
        'remoteEnd',
        'transferOk',
        'transferFail',
        'reject',
        'redirect',
        'holdResume',
      ),
    })
    .map(({ id, kind }) => {
      let etag = 1;
      const item = (changeType: string, state?: string, extra: Record<string, unknown> = {}) => ({
        '@odata.type': '#microsoft.graph.commsNotification',
        changeType,
        resourceUrl: `/communications/calls/${id}`,
        resourceData: {
          '@odata.type': '#microsoft.graph.call',
          '@odata.etag': `W/"${etag++}"`,
          ...(state === undefined ? {} : { state }),
          ...extra,
        },
      });
      const ended = {
        resultInfo: { code: 200, subcode: 5001, message: 'The conversation has ended.' },
      };
      const answered = [
        item('created', 'incoming'),
        item('updated', 'establishing'),
        item('updated', 'established'),
      ];
      const byKind: Record<
        string,
        { items: Record<string, unknown>[]; extra?: Partial<Lifecycle> }
      > = {
        answer: { items: answered },
        hangUp: {
          items: [item('updated', 'terminating'), item('deleted', 'terminated', ended)],
          extra: { track: 'established', hangUp: true },
        },
        remoteEnd: {
          items: [
            ...answered,
            item('updated', 'terminating'),
            item('deleted', 'terminated', ended),
          ],
        },
        transferOk: {
          items: [
            item('updated', 'transferring'),
            item('updated', 'transferAccepted'),
            item('deleted', 'terminated', {
              resultInfo: { code: 0, subcode: 7015, message: 'GracefulTransferCompleted' },
            }),
          ],
          extra: { track: 'established' },
        },
        transferFail: {
          items: [
            item('updated', 'transferring'),
            item('updated', 'transferAccepted'),
            item('updated', 'established', { resultInfo: { code: 500, subcode: 7000 } }),
          ],
          extra: { track: 'established' },
        },
        reject: { items: [item('created', 'incoming'), item('deleted')] },
        redirect: { items: [item('created', 'incoming'), item('deleted', 'terminated')] },
        holdResume: {
          items: [
            ...answered,
            item('updated', 'hold'),
            item('updated', 'established'),
            item('updated', 'hold'),
          ],
        },
      };
      const chosen = byKind[kind] ?? { items: [] };
      return { name: kind, callId: id, deliveries: chosen.items.map(toDelivery), ...chosen.extra };
    });
}
