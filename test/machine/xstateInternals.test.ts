// stepCall, startCall and restoreCall drive the chart through xstate's machine methods with one
// reused inert actor scope, which is not public API. This test compares them with xstate's public
// `initialTransition` / `transition` / `createActor` on every model path, and fails loudly when
// an xstate upgrade changes what the shortcut relies on. The peer range in package.json is
// pinned to the minor tested here; widen it only with this test green on the new version.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createActor, initialTransition, transition } from 'xstate';
import {
  type CallEmitted,
  type CallSnapshot,
  callMachine,
  persistCallSnapshot,
  restoreCall,
  startCall,
  stepCall,
} from '../../src/index.js';
import { callTestInputs, getCallPaths } from '../../src/testing/index.js';

const WHY =
  'xstate internals changed under stepCall/startCall/restoreCall (src/machine/stepCall.ts): fix them before widening the xstate peer range';

const require = createRequire(import.meta.url);
const installed = (require('xstate/package.json') as { version: string }).version;
const peerRange = (require('../../package.json') as { peerDependencies: { xstate: string } })
  .peerDependencies.xstate;

type Action = { type: string; params: unknown };
const emittedOf = (actions: readonly Action[]): string[] =>
  actions
    .filter((a) => a.type === 'xstate.emit')
    .map((a) => (a.params as { event: CallEmitted }).event.type);
// `call.stateChanged` is derived by the step function, not emitted by the chart.
const chartEmitted = (emitted: readonly CallEmitted[]): string[] =>
  emitted.map((e) => e.type).filter((type) => type !== 'call.stateChanged');
const shape = (s: CallSnapshot) => ({ value: s.value, context: s.context, status: s.status });

const paths = callTestInputs.flatMap((input) => getCallPaths({ inputs: [input] }));

describe('the actor-less engine against xstate’s public API', () => {
  it('runs on the xstate minor the peer range names', () => {
    const [major, minor] = installed.split('.');
    expect(peerRange, WHY).toBe(`~${major}.${minor}.0`);
  });

  it('startCall equals initialTransition for every start', () => {
    for (const input of callTestInputs) {
      const ours = startCall(input);
      const [theirs, actions] = initialTransition(callMachine, input);
      expect(shape(ours.snapshot), WHY).toEqual(shape(theirs));
      expect(chartEmitted(ours.emitted), WHY).toEqual(emittedOf(actions as Action[]));
    }
  });

  it(`stepCall equals transition on every step of ${paths.length} model paths`, {
    timeout: 60_000,
  }, () => {
    let steps = 0;
    for (const path of paths) {
      let current = path.start;
      for (const step of path.steps) {
        const ours = stepCall(current, step.event);
        const [theirs, actions] = transition(callMachine, current, step.event);
        expect(shape(ours.snapshot), `${WHY}: ${path.description}`).toEqual(shape(theirs));
        if (current.status === 'active') {
          expect(chartEmitted(ours.emitted), `${WHY}: ${path.description}`).toEqual(
            emittedOf(actions as Action[]),
          );
        }
        current = ours.snapshot;
        steps += 1;
      }
    }
    expect(steps).toBeGreaterThan(100);
  });

  it('restoreCall equals an actor restored from the same persisted snapshot', () => {
    for (const path of paths) {
      const persisted = JSON.parse(JSON.stringify(persistCallSnapshot(path.snapshot))) as unknown;
      const ours = restoreCall(persisted);
      const actor = createActor(callMachine, {
        snapshot: persisted as CallSnapshot,
        input: path.input,
      });
      expect(shape(ours), `${WHY}: ${path.description}`).toEqual(shape(actor.getSnapshot()));
      expect(ours.historyValue, WHY).toEqual(actor.getSnapshot().historyValue);
    }
  });
});
