// The machine is pure, and `stepCall` is the one engine that runs it. Every reachable snapshot
// is stepped with every sample event: the step is deterministic and leaves its input alone, a
// snapshot restored from its stored JSON steps exactly like the live one, an ended call stays
// as it is, and an xstate actor resumed from the stored snapshot agrees. The snapshots come from
// getCallPaths (xstate/graph underneath), from every way a call can start. Events go to actors
// only while the call is running, so nothing here prints a warning.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createActor, initialTransition, transition } from 'xstate';
import { createTestModel } from 'xstate/graph';
import {
  type CallEmitted,
  type CallEvent,
  type CallInput,
  type CallSnapshot,
  type CallStep,
  callMachine,
  persistCallSnapshot,
  restoreCall,
  startCall,
  stepCall,
} from '../../src/index.js';
import { callTestEvents, getCallPaths } from '../../src/testing/index.js';
import {
  controlSampleEvents,
  controlSampleInputs,
  coreSampleEvents,
  sampleEvents,
  sampleEventsFor,
  sampleInputs,
} from '../support/sampleEvents.js';
import { allStateNodes } from '../support/stateNodes.js';

/** A snapshot the traversal reached, with what a failure message needs to find it again. */
interface Reached {
  readonly snapshot: CallSnapshot;
  readonly input: CallInput;
  /** `persistCallSnapshot(snapshot)` as a store keeps it: JSON text. */
  readonly stored: string;
  readonly name: string;
}

// A type checked list: a new event type fails to compile here until the samples cover it.
const EVENT_TYPES = {
  hangUp: true,
  notification: true,
  'delete.succeeded': true,
  'delete.failed': true,
  'getCall.result': true,
  'keepAlive.result': true,
  'deadline.reached': true,
  answer: true,
  reject: true,
  redirect: true,
  transfer: true,
  'answer.succeeded': true,
  'reject.succeeded': true,
  'redirect.succeeded': true,
  'transfer.succeeded': true,
  'answer.failed': true,
  'reject.failed': true,
  'redirect.failed': true,
  'transfer.failed': true,
  operation: true,
  'operation.responded': true,
  'operation.requestFailed': true,
} satisfies Record<CallEvent['type'], true>;

function nameOfEvent(event: CallEvent): string {
  switch (event.type) {
    case 'notification': {
      const n = event.notification;
      const what = n.resource === 'call' ? (n.state ?? '(no state)') : n.resource;
      return `${n.changeType} ${what}${n.etag === undefined ? '' : ` ${n.etag}`}`;
    }
    case 'delete.failed':
    case 'keepAlive.result':
      return `${event.type} ${event.status}`;
    case 'getCall.result':
      return `getCall.result ${event.status}${event.state === undefined ? '' : ` ${event.state}`}`;
    case 'deadline.reached':
      return `deadline.reached at ${event.at}`;
    default:
      return event.type;
  }
}

function nameOfInput(input: CallInput): string {
  const limits = input.options === undefined ? '' : ` with ${JSON.stringify(input.options)}`;
  if (input.discoveredBy === undefined) return `adopted in ${input.state ?? '(default)'}${limits}`;
  return `discovered by ${nameOfEvent({ type: 'notification', notification: input.discoveredBy, at: 0 })}`;
}

const SNAPSHOTS_PER_KIND = 2;

/** What tells snapshots apart for the guards: everything but the times and the counts. */
function kindOf(snapshot: CallSnapshot): string {
  const c = snapshot.context;
  return JSON.stringify([
    snapshot.value,
    snapshot.status,
    c.state,
    c.etag,
    c.hangUp === null,
    c.verifications > 0,
    c.deadline?.kind ?? null,
    c.outcome?.reason ?? null,
    c.command === null ? null : [c.command.verb, c.command.status, c.command.attempts > 1],
    c.offeredAt === null,
    c.establishedAt === null,
    c.options,
  ]);
}

/**
 * Every distinct snapshot on the paths getCallPaths finds from every sample input, each one
 * where the path's events lead (getCallPaths replays them with startCall/stepCall).
 */
function reachableSnapshots(): Reached[] {
  const found = new Map<string, Reached>();
  const perKind = new Map<string, number>();
  const add = (snapshot: CallSnapshot, input: CallInput, name: string, isStart = false) => {
    const stored = JSON.stringify(persistCallSnapshot(snapshot));
    if (found.has(stored)) return;
    if (isStart) {
      found.set(stored, { snapshot, input, stored, name });
      return;
    }
    // Snapshots that differ only in times and counts step alike: a few of each kind are enough,
    // and keep the product with the sample events small enough to run on every `npm test`.
    const kind = kindOf(snapshot);
    const seen = perKind.get(kind) ?? 0;
    if (seen >= SNAPSHOTS_PER_KIND) return;
    perKind.set(kind, seen + 1);
    found.set(stored, { snapshot, input, stored, name });
  };
  const paths = [
    ...getCallPaths({ inputs: sampleInputs, events: coreSampleEvents }),
    ...getCallPaths({ inputs: controlSampleInputs, events: controlSampleEvents }),
  ];
  for (const path of paths) {
    const names = [nameOfInput(path.input)];
    add(path.start, path.input, names.join(' → '), true);
    for (const step of path.steps) {
      names.push(nameOfEvent(step.event));
      add(step.snapshot, path.input, names.join(' → '));
    }
  }
  return [...found.values()];
}

/** Freezes plain data (a context, an event), never a snapshot: that holds the machine. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** What a step decided, as a store and a runtime see it. */
function resultOf(step: CallStep) {
  return {
    snapshot: JSON.parse(JSON.stringify(persistCallSnapshot(step.snapshot))),
    emitted: step.emitted,
  };
}

function restored(reached: Reached): CallSnapshot {
  return restoreCall(JSON.parse(reached.stored));
}

/** Runs `check` on every (reachable snapshot, sample event) pair and lists what it reports. */
function problemsOf(
  snapshots: readonly Reached[],
  check: (reached: Reached, event: CallEvent) => string | undefined,
): string[] {
  const problems: string[] = [];
  for (const reached of snapshots) {
    for (const event of sampleEventsFor(reached.snapshot)) {
      let problem: string | undefined;
      try {
        problem = check(reached, event);
      } catch (error) {
        problem = `threw ${error instanceof Error ? error.message : String(error)}`;
      }
      if (problem !== undefined)
        problems.push(`${reached.name} | ${nameOfEvent(event)}: ${problem}`);
    }
  }
  return problems;
}

function expectNone(problems: string[]): void {
  expect(problems.slice(0, 10), `${problems.length} failing pairs, the first 10 shown`).toEqual([]);
}

function leafIds(snapshot: CallSnapshot): string[] {
  return snapshot._nodes.filter((n) => n.type === 'atomic' || n.type === 'final').map((n) => n.id);
}

const reachable = reachableSnapshots();
const running = reachable.filter((r) => r.snapshot.status === 'active');
const ended = reachable.filter((r) => r.snapshot.status !== 'active');
// Frozen, so that a step writing to its input throws instead of passing unnoticed.
for (const r of reachable) deepFreeze(r.snapshot.context);
for (const event of sampleEvents) deepFreeze(event);

describe('purity: every reachable snapshot × every sample event', () => {
  it('samples every event type, every answer the guards tell apart, and every way to start', () => {
    expect(new Set(sampleEvents.map((e) => e.type))).toEqual(new Set(Object.keys(EVENT_TYPES)));
    const statuses = (type: CallEvent['type']) =>
      sampleEvents.flatMap((e) => (e.type === type && 'status' in e ? [e.status] : []));
    expect(statuses('delete.failed')).toEqual(expect.arrayContaining([0, 404, 429, 503, 403]));
    expect(statuses('getCall.result')).toEqual(expect.arrayContaining([404, 200, 0]));
    expect(statuses('keepAlive.result')).toEqual(expect.arrayContaining([404, 200]));
    // Inputs that start in the same snapshot are one reachable snapshot; each is there.
    const stored = new Set(reachable.map((r) => r.stored));
    const missing = sampleInputs.filter(
      (input) => !stored.has(JSON.stringify(persistCallSnapshot(startCall(input).snapshot))),
    );
    expect(missing.map(nameOfInput)).toEqual([]);
  });

  it('reaches every atomic and final state of the chart, and every kind of deadline', () => {
    const reached = new Set(reachable.flatMap((r) => leafIds(r.snapshot)));
    const all = allStateNodes()
      .filter((n) => (n.type === 'atomic' || n.type === 'final') && n.key !== 'starting')
      .map((n) => n.id);
    expect([...reached].sort()).toEqual(all.sort());
    const deadlines = new Set(reachable.map((r) => r.snapshot.context.deadline?.kind));
    expect([...deadlines].sort()).toEqual([
      'command',
      'confirm',
      'request',
      'retry',
      'setup',
      undefined,
    ]);
    expect(running.length).toBeGreaterThan(100);
    expect(ended.length).toBeGreaterThan(10);
  });

  it('judges notifications with every verdict somewhere: apply, unchanged, stale, late, subresource', {
    timeout: 60_000,
  }, () => {
    const verdicts = new Set<string>();
    for (const r of reachable) {
      for (const event of sampleEvents) {
        for (const e of stepCall(r.snapshot, event).emitted) {
          if (e.type === 'call.notification' || e.type === 'notification.ignored')
            verdicts.add(e.verdict);
          if (e.type === 'notification.subresource') verdicts.add('subresource');
        }
      }
    }
    expect([...verdicts].sort()).toEqual(['apply', 'late', 'stale', 'subresource', 'unchanged']);
  });

  it('persists leanly exactly what xstate persists, for every reachable snapshot', () => {
    const problems = reachable.flatMap((r) =>
      isDeepStrictEqual(
        JSON.parse(r.stored),
        JSON.parse(JSON.stringify(callMachine.getPersistedSnapshot(r.snapshot))),
      )
        ? []
        : [r.name],
    );
    expect(problems).toEqual([]);
  });

  it(`steps a snapshot restored from its stored JSON exactly like the live one (${reachable.length} snapshots)`, {
    timeout: 60_000,
  }, () => {
    const problems = problemsOf(reachable, (r, event) => {
      const again = restored(r);
      if (
        !isDeepStrictEqual(
          JSON.parse(JSON.stringify(persistCallSnapshot(again))),
          JSON.parse(r.stored),
        )
      )
        return 'the restored snapshot differs from the stored one';
      const live = resultOf(stepCall(r.snapshot, event));
      deepFreeze(again.context);
      const fromStore = resultOf(stepCall(again, event));
      if (!isDeepStrictEqual(fromStore.snapshot, live.snapshot))
        return `restored steps to ${JSON.stringify(fromStore.snapshot)}, live to ${JSON.stringify(live.snapshot)}`;
      if (!isDeepStrictEqual(fromStore.emitted, live.emitted))
        return `restored emits ${JSON.stringify(fromStore.emitted)}, live ${JSON.stringify(live.emitted)}`;
      return undefined;
    });
    expectNone(problems);
  });

  it('steps deterministically and never changes the snapshot or the event it is given', {
    timeout: 60_000,
  }, () => {
    const problems = problemsOf(reachable, (r, event) => {
      const copyOfEvent = JSON.stringify(event);
      const first = resultOf(stepCall(r.snapshot, event));
      const second = resultOf(stepCall(r.snapshot, event));
      if (!isDeepStrictEqual(first, second))
        return `stepped twice: ${JSON.stringify(first)} then ${JSON.stringify(second)}`;
      if (JSON.stringify(persistCallSnapshot(r.snapshot)) !== r.stored)
        return 'changed its input snapshot';
      if (JSON.stringify(event) !== copyOfEvent) return 'changed its event';
      return undefined;
    });
    expectNone(problems);
  });

  it(`leaves an ended call as it is, judges notifications about it late (a session's subresource), and refuses intents (${ended.length} snapshots)`, () => {
    const problems = problemsOf(ended, (r, event) => {
      const { context } = r.snapshot;
      const intent =
        event.type === 'answer' ||
        event.type === 'reject' ||
        event.type === 'redirect' ||
        event.type === 'transfer';
      const expected: CallEmitted[] = intent
        ? [
            {
              type: 'call.commandRejected',
              callId: context.callId,
              verb: event.type,
              state: context.state,
              phase: 'terminated',
              reason: `the call has ended (${context.outcome?.reason})`,
              at: event.at,
            },
          ]
        : event.type === 'operation'
          ? [
              {
                type: 'operation.rejected',
                callId: context.callId,
                key: event.key,
                kind: event.operation.kind,
                state: context.state,
                phase: 'terminated',
                reason: 'the call is over',
                at: event.at,
              },
            ]
          : event.type !== 'notification'
            ? []
            : event.notification.resource !== 'other'
              ? [
                  {
                    type: 'notification.ignored',
                    callId: r.snapshot.context.callId,
                    notification: event.notification,
                    verdict: 'late',
                    at: event.at,
                  },
                ]
              : [
                  {
                    type: 'notification.subresource',
                    callId: r.snapshot.context.callId,
                    notification: event.notification,
                    at: event.at,
                  },
                ];
      for (const snapshot of [r.snapshot, restored(r)]) {
        const step = stepCall(snapshot, event);
        if (step.snapshot !== snapshot) return 'returned another snapshot';
        if (!isDeepStrictEqual(step.emitted, expected))
          return `emitted ${JSON.stringify(step.emitted)}`;
      }
      return undefined;
    });
    expectNone(problems);
  });

  it(`agrees with an xstate actor resumed from the stored snapshot, for every call still running (${running.length} snapshots)`, {
    timeout: 60_000,
  }, () => {
    const problems = problemsOf(running, (r, event) => {
      const actor = createActor(callMachine, { snapshot: JSON.parse(r.stored), input: r.input });
      const fromActor: CallEmitted[] = [];
      actor.on('*', (e) => fromActor.push(e));
      actor.start();
      actor.send(event);
      const s = actor.getSnapshot();
      actor.stop();
      const step = stepCall(r.snapshot, event);
      // call.stateChanged is derived by the step function from the views before and after.
      const fromStep = step.emitted.filter((e) => e.type !== 'call.stateChanged');
      const mine = {
        value: step.snapshot.value,
        context: step.snapshot.context,
        status: step.snapshot.status,
      };
      const theirs = { value: s.value, context: s.context, status: s.status };
      if (!isDeepStrictEqual(theirs, mine))
        return `actor at ${JSON.stringify(theirs)}, stepCall at ${JSON.stringify(mine)}`;
      if (!isDeepStrictEqual(fromActor, fromStep))
        return `actor emits ${JSON.stringify(fromActor)}, stepCall ${JSON.stringify(fromStep)}`;
      return undefined;
    });
    expectNone(problems);
  });
});

describe('purity: single cases', () => {
  it('keeps where a failed hang-up returns to across persistence (history)', () => {
    const { snapshot: hold } = startCall({ callId: 'c1', state: 'hold' });
    const hangingUp = stepCall(hold, { type: 'hangUp', at: 1 }).snapshot;
    const stored = JSON.parse(JSON.stringify(persistCallSnapshot(hangingUp)));
    const back = stepCall(restoreCall(stored), { type: 'delete.failed', status: 403, at: 2 });
    expect(back.snapshot.value).toEqual({ active: 'hold' });
  });

  it('runs without an actor through initialTransition and transition', () => {
    const [s0, a0] = initialTransition(callMachine, { callId: 'c1', state: 'established' });
    expect(s0.value).toEqual({ active: 'established' });
    // Entering established announces it, once per call.
    expect(a0.map((a) => (a.params as { event?: { type?: string } }).event?.type)).toEqual([
      'call.established',
    ]);
    const [s1, a1] = transition(callMachine, s0, { type: 'hangUp', at: 7 });
    expect(s1.value).toEqual({ terminating: 'hangingUp' });
    expect(a1.map((a) => a.type)).toContain('xstate.emit');
    const [again] = transition(callMachine, s0, { type: 'hangUp', at: 7 });
    expect(again.context).toEqual(s1.context);
    expect(s0.value).toEqual({ active: 'established' });
  });

  it('startCall/stepCall return the emitted events in order', () => {
    const { snapshot } = startCall({ callId: 'c1', state: 'established' });
    const step = stepCall(snapshot, { type: 'hangUp', at: 7 });
    expect(step.emitted.map((e) => e.type)).toEqual(['call.stateChanged', 'graph.deleteCall']);
    const gone = stepCall(step.snapshot, { type: 'delete.failed', status: 404, at: 8 });
    expect(gone.emitted.map((e) => e.type)).toEqual(['call.stateChanged', 'call.terminated']);
    expect(stepCall(gone.snapshot, { type: 'hangUp', at: 9 })).toEqual({
      snapshot: gone.snapshot,
      emitted: [],
    });
  });

  it('is accepted by createTestModel from xstate/graph, reaching the same states', {
    timeout: 60_000,
  }, () => {
    const input = { callId: 'test-call', state: 'incoming' as const };
    // Snapshots are told apart as getCallPaths tells them apart: by everything but times and
    // counts, which would otherwise make every retry a new state.
    const serializeState = (snapshot: CallSnapshot) => {
      const c = snapshot.context;
      return JSON.stringify([
        snapshot.value,
        c.etag,
        c.hangUp !== null,
        c.deadline?.kind ?? null,
        c.command === null ? null : [c.command.verb, c.command.status],
        c.outcome?.reason ?? null,
      ]);
    };
    const model = createTestModel(callMachine, {
      input,
      events: callTestEvents,
      serializeState,
    } as never);
    const leaves = new Set(
      model
        .getShortestPaths()
        .flatMap((p) => [p.state, ...p.steps.map((step) => step.state)])
        .flatMap((state) => leafIds(state as CallSnapshot)),
    );
    expect(leaves).toContain('call.terminated');
    expect(leaves).toContain('call.terminating.verifying');
    expect([...leaves].sort()).toEqual(
      [...new Set(reachable.flatMap((r) => leafIds(r.snapshot)))].sort(),
    );
  });

  it('has no invoke and no delayed transitions anywhere', () => {
    for (const node of allStateNodes()) {
      expect(node.invoke, node.id).toEqual([]);
      expect(node.after, node.id).toEqual([]);
    }
  });
});
