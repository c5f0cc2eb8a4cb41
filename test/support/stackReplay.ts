import { vi } from 'vitest';
import {
  type CallEvent,
  type CallSnapshot,
  type callMachine,
  createCallRegistry,
  getCallView,
  MemoryCallStore,
  type RegistryEventType,
  stepCall,
} from '../../src/index.js';
import type { CallPath } from '../../src/testing/index.js';
import { ManualFetch } from './manualFetch.js';

const HOUR = 60 * 60_000;

/** What the registry showed where the model expected something else. */
export interface Mismatch {
  readonly step: number;
  readonly event: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

function comparable(
  view: { state: string; phase: string; outcome?: { reason: string } } | undefined,
) {
  return view === undefined
    ? undefined
    : { state: view.state, phase: view.phase, reason: view.outcome?.reason ?? null };
}

/**
 * Replays a model path through the whole stack: the real Graph client over a manual fetch
 * (the fake Graph), the registry, and its machine; after every step the registry's view must
 * equal the model's. Needs fake timers installed.
 */
export async function replayThroughStack(
  path: CallPath,
  options: { readonly stack?: typeof callMachine } = {},
): Promise<Mismatch[]> {
  const graph = new ManualFetch();
  const store = new MemoryCallStore({ ttlMs: 100 * HOUR });
  const registry = createCallRegistry({
    // The stack may run a mutated machine; the model is always the real one.
    ...(options.stack === undefined ? {} : { machine: options.stack }),
    store,
    graph: {
      getToken: async () => 'token',
      baseUrl: 'https://graph.test/v1.0',
      fetch: graph.fetch,
      // Requests wait for the step that answers them: only the machine's deadlines time out.
      timeoutMs: 1_000 * HOUR,
    },
    // Far beyond any deadline, so the next timer is always the deadline a step waits for.
    keepAliveMs: 10 * HOUR,
    retainTerminatedMs: 100 * HOUR,
  });
  const mismatches: Mismatch[] = [];
  const callId = path.input.callId;
  const told: string[] = [];
  for (const type of BOT_EVENTS) registry.on(type, (e) => told.push(e.type));
  const check = (step: number, event: string, expected: unknown) => {
    const actual = comparable(registry.get(callId));
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      mismatches.push({ step, event, expected, actual });
    }
  };
  try {
    await registry.track(callId, path.input.state === undefined ? {} : { state: path.input.state });
    await vi.advanceTimersByTimeAsync(0);
    check(0, 'start', comparable(getCallView(path.start)));
    let previous = path.start;
    for (const [i, step] of path.steps.entries()) {
      told.length = 0;
      await perform(step.event, registry, graph, store, callId);
      await vi.advanceTimersByTimeAsync(0);
      check(i + 1, step.event.type, comparable(getCallView(step.snapshot)));
      // What the bot is told must match what the model emits, event for event.
      const expected = modelEmits(previous, step.event);
      if (JSON.stringify(told) !== JSON.stringify(expected)) {
        mismatches.push({
          step: i + 1,
          event: `${step.event.type} (events told)`,
          expected,
          actual: [...told],
        });
      }
      if (mismatches.length > 0) break;
      previous = step.snapshot;
    }
  } finally {
    await registry.close();
  }
  return mismatches;
}

const BOT_EVENTS: readonly RegistryEventType[] = [
  'call.stateChanged',
  'call.terminated',
  'call.hangUpFailed',
  'call.notification',
  'notification.ignored',
  'notification.subresource',
];

// The model is the machine as the one engine steps it (startCall / stepCall), which also derives
// `call.stateChanged` from the views before and after each step.
function modelEmits(from: CallSnapshot, event: CallEvent): string[] {
  return stepCall(from, event)
    .emitted.map((e) => e.type)
    .filter((type) => !type.startsWith('graph.'));
}

async function perform(
  event: CallEvent,
  registry: ReturnType<typeof createCallRegistry>,
  graph: ManualFetch,
  store: MemoryCallStore,
  callId: string,
): Promise<void> {
  switch (event.type) {
    case 'hangUp':
      registry.hangUp(callId).catch(() => undefined);
      return;
    case 'notification':
      await registry.ingest({
        '@odata.type': '#microsoft.graph.commsNotifications',
        value: [event.notification.raw],
      });
      return;
    case 'delete.succeeded':
      graph.answer('DELETE', 204);
      return;
    case 'delete.failed':
      graph.answer(
        'DELETE',
        event.status,
        {
          error: {
            code: event.error?.code ?? `Http${event.status}`,
            message: event.error?.message ?? 'failed',
          },
        },
        event.retryAfterMs === undefined
          ? {}
          : { 'retry-after': String(event.retryAfterMs / 1000) },
      );
      return;
    case 'getCall.result':
      graph.answer(
        'GET',
        event.status,
        event.status === 200
          ? { id: callId, state: event.state }
          : { error: { code: 'itemNotFound', message: 'gone' } },
      );
      return;
    // Time moves to the moment the store says the call is due (its deadline, or its keepAlive):
    // other timers (a waiter's poll) may come first, and must not be mistaken for it.
    case 'keepAlive.result':
      graph.autoAnswer.set('POST', () => new Response(null, { status: event.status }));
      await advanceTo(store.nextDueAt());
      graph.autoAnswer.delete('POST');
      return;
    case 'deadline.reached':
      await advanceTo(store.nextDueAt());
      return;
  }
}

async function advanceTo(at: number | undefined): Promise<void> {
  if (at === undefined) throw new Error('the model waits for a deadline the store does not have');
  await vi.advanceTimersByTimeAsync(Math.max(0, at - Date.now()));
}
