// A call that always has an operation under way (hold music played prompt after prompt, each
// waiting minutes for its end) still gets its keepAlive on time: Graph ends a call without one
// for 45 minutes, whatever media it plays.
import { afterEach, expect, it } from 'vitest';
import { type CallRegistry, createCallRegistry } from '../../src/index.js';
import { createManualClock } from '../../src/testing/index.js';
import { ScriptedGraph } from '../support/scriptedGraph.js';

const MINUTE = 60_000;
let registry: CallRegistry | undefined;

afterEach(async () => {
  await registry?.close();
  registry = undefined;
});

it('sends keepAlives every period while operations keep the call due for their own deadlines', async () => {
  const clock = createManualClock(0);
  const graph = new ScriptedGraph();
  const keepAlives: number[] = [];
  const keepAlive = graph.keepAlive.bind(graph);
  graph.keepAlive = (callId) => {
    keepAlives.push(clock.now());
    return keepAlive(callId);
  };
  registry = createCallRegistry({
    graph,
    clock,
    keepAliveMs: 15 * MINUTE,
    operationTimeoutMs: 10 * MINUTE,
  });
  await registry.track('c1', { state: 'established' });
  // A prompt that Graph takes and never reports the end of, then another, and another.
  const prompts: Promise<unknown>[] = [];
  for (let minute = 0; minute < 60; minute += 5) {
    prompts.push(registry.playPrompt('c1', 'https://bot.example.com/hold.wav').catch((e) => e));
    await clock.advance(5 * MINUTE);
    await registry.idle();
  }
  // One per 15 minutes, from when the call was established; none late by a period.
  expect(keepAlives).toEqual([15 * MINUTE, 30 * MINUTE, 45 * MINUTE, 60 * MINUTE]);
  // Every prompt ran into its own timeout meanwhile, settled as timed out.
  const settled = await Promise.all(prompts.slice(0, 9));
  for (const error of settled) expect(error).toMatchObject({ reason: 'timedOut' });
});
