// An instance dies (SIGKILL, a child process) in the middle of a hang-up; another instance,
// knowing nothing of it but what Redis holds, finishes the call: the terminating notification,
// the confirm deadline, the verifying GET when `terminated` never comes, and the DELETE itself
// when the dead instance's request never reached Graph (its deadline, `requestTimeoutMs`, passes
// in Redis: the survivor counts the request as lost and sends it again after the retry backoff).
// Each instance is `createCallRegistry` over its own Redis store.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CallRegistry, type CallView, createCallRegistry } from '../../src/index.js';
import { createRedisCallStore, type RedisCallStore } from '../../src/redis/index.js';
import {
  type CommsNotifications,
  createFakeGraph,
  type FakeGraph,
} from '../../src/testing/index.js';
import { type LoopbackServer, serveOnLoopback } from '../../src/testing/serveOnLoopback.js';
import { eventually } from './support/instances.js';
import {
  hasRedisServer,
  type RedisServer,
  SKIP_REASON,
  startRedisServer,
} from './support/redisServer.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/registryInstance.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIRM_TIMEOUT_MS = 300;
/** The deadline of a DELETE or GET in flight: past it, a request whose instance died is redone. */
const REQUEST_TIMEOUT_MS = 600;
const RETRY_BASE_DELAY_MS = 100;

/** What the Graph in front of the doomed instance does with its DELETE. */
type DeleteFate = 'reachesGraph' | 'lost' | 'answered';

interface Scene {
  readonly fake: FakeGraph;
  readonly survivor: CallRegistry;
  readonly survivorEvents: string[];
  /** The HTTP front of the fake Graph that the doomed instance talks to. */
  readonly graphFront: LoopbackServer;
  /** Resolves when the doomed instance's DELETE has arrived. */
  readonly deleteSeen: Promise<void>;
  /** Holds the fake's notifications back until `openWebhook`. */
  closeWebhook(): void;
  openWebhook(): void;
}

describe.skipIf(!hasRedisServer)('an instance killed mid-hang-up', () => {
  let server: RedisServer;
  let run = 0;
  const cleanup: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  afterAll(async () => {
    await server?.dispose();
  });

  /** The survivor instance, in this process, with the fake Graph posting to it through a gate. */
  async function scene(fate: DeleteFate): Promise<Scene> {
    run += 1;
    const keyPrefix = `crash${run}:`;
    let open = true;
    let release: () => void = () => {};
    let gate = Promise.resolve();
    let target: CallRegistry | undefined;
    const fake = createFakeGraph({
      faults: { dropTerminated: true },
      deliver: async (body: CommsNotifications) => {
        await gate;
        return target?.ingest(body);
      },
    });
    const store: RedisCallStore = createRedisCallStore({ url: server.url, keyPrefix });
    const survivor = createCallRegistry({
      graph: { getToken: async () => 't', fetch: fake.fetch, baseUrl: fake.baseUrl },
      store,
      keepAliveMs: 0,
      pollMs: 20,
      confirmTimeoutMs: CONFIRM_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      retryBaseDelayMs: RETRY_BASE_DELAY_MS,
    });
    target = survivor;
    const survivorEvents: string[] = [];
    for (const type of ['call.stateChanged', 'call.terminated', 'registry.error'] as const) {
      survivor.on(type, (event) =>
        survivorEvents.push(
          event.type === 'call.stateChanged' ? `${event.type}:${event.to.state}` : event.type,
        ),
      );
    }

    // The Graph the doomed instance talks to: the same fake, behind an HTTP front that decides
    // the DELETE's fate: taken by Graph but never answered, never taken nor answered (the
    // instance dies with it in flight), or answered as usual.
    let seen: () => void = () => {};
    const deleteSeen = new Promise<void>((resolve) => {
      seen = resolve;
    });
    const graphFront = await serveOnLoopback(async (request) => {
      if (request.method !== 'DELETE') return fake.handle(request);
      seen();
      if (fate === 'answered') return fake.handle(request);
      if (fate === 'reachesGraph') await fake.handle(request);
      return new Promise<Response>(() => {});
    }, 0);

    cleanup.push(async () => {
      // Let a post held at the gate through, so the fake can close.
      open = true;
      release();
      await fake.close();
      await survivor.close();
      await store.close();
      await graphFront.close();
    });
    return {
      fake,
      survivor,
      survivorEvents,
      graphFront,
      deleteSeen,
      closeWebhook() {
        if (!open) return;
        open = false;
        gate = new Promise<void>((resolve) => {
          release = resolve;
        });
      },
      openWebhook() {
        if (open) return;
        open = true;
        release();
      },
    };
  }

  async function doomedInstance(keyPrefix: string, graphFront: LoopbackServer) {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', FIXTURE, server.url, keyPrefix, `${graphFront.origin}/v1.0`],
      {
        cwd: ROOT,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: {
          ...process.env,
          CONFIRM_TIMEOUT_MS: String(CONFIRM_TIMEOUT_MS),
          REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
          RETRY_BASE_DELAY_MS: String(RETRY_BASE_DELAY_MS),
        },
      },
    );
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? code)),
    );
    cleanup.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    await new Promise<void>((resolve, reject) => {
      child.on('message', (message: { type: string }) => {
        if (message.type === 'ready') resolve();
      });
      child.once('exit', (code) =>
        reject(new Error(`the instance exited with ${code} before it was ready`)),
      );
    });
    return {
      hangUp(callId: string) {
        child.send({ id: 1, type: 'hangUp', callId });
      },
      async kill() {
        child.kill('SIGKILL');
        return exited;
      },
    };
  }

  async function establishedCall(s: Scene): Promise<string> {
    const callId = s.fake.placeCall();
    await s.fake.settle();
    await eventually(async () =>
      expect((await s.survivor.read(callId))?.state).toBe('established'),
    );
    return callId;
  }

  const requests = (fake: FakeGraph, method: string) =>
    fake.requests.filter((r) => r.method === method).map((r) => r.status);

  it('DELETE reached Graph, then the instance died: the survivor confirms through terminating, the deadline and a GET', {
    timeout: 30_000,
  }, async () => {
    const s = await scene('reachesGraph');
    const callId = await establishedCall(s);
    const doomed = await doomedInstance(`crash${run}:`, s.graphFront);
    s.closeWebhook();
    doomed.hangUp(callId);
    await s.deleteSeen;
    expect(await doomed.kill()).toBe('SIGKILL');

    // Graph ended the call; its notifications now arrive (terminated is dropped).
    s.openWebhook();
    const ended: CallView = await s.survivor.waitFor(callId, 'terminated', { timeoutMs: 10_000 });
    expect(ended.outcome?.reason).toBe('hungUp');
    expect(requests(s.fake, 'DELETE')).toEqual([204]);
    expect(requests(s.fake, 'GET')).toEqual([404]);
    // The survivor applied the end itself, and heard of nothing going wrong.
    expect(s.survivorEvents.slice(-3)).toEqual([
      'call.stateChanged:terminating',
      'call.stateChanged:terminated',
      'call.terminated',
    ]);
  });

  it('DELETE lost with the instance: once its request deadline passes the survivor sends it again, then verifies', {
    timeout: 30_000,
  }, async () => {
    const s = await scene('lost');
    const callId = await establishedCall(s);
    const doomed = await doomedInstance(`crash${run}:`, s.graphFront);
    doomed.hangUp(callId);
    await s.deleteSeen;
    const sentAt = Date.now();
    await doomed.kill();
    expect((await s.survivor.read(callId))?.phase).toBe('terminating');
    expect(requests(s.fake, 'DELETE')).toEqual([]);

    const ended = await s.survivor.waitFor(callId, 'terminated', { timeoutMs: 10_000 });
    expect(ended.outcome?.reason).toBe('hungUp');
    // The one DELETE Graph saw is the survivor's; then terminating came, terminated did not.
    expect(requests(s.fake, 'DELETE')).toEqual([204]);
    expect(requests(s.fake, 'GET')).toEqual([404]);
    // Not before the lost request's deadline: until then its answer might still have come.
    const resentAt = s.fake.requests.find((r) => r.method === 'DELETE')?.at ?? 0;
    expect(resentAt - sentAt).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(s.survivorEvents).toContain('call.terminated');
    expect(s.survivorEvents).not.toContain('registry.error');
  });

  it('killed after the DELETE was answered, every notification lost: the deadline in Redis drives the GET', {
    timeout: 30_000,
  }, async () => {
    const s = await scene('answered');
    const callId = await establishedCall(s);
    const doomed = await doomedInstance(`crash${run}:`, s.graphFront);
    s.closeWebhook();
    doomed.hangUp(callId);
    const store = createRedisCallStore({ url: server.url, keyPrefix: `crash${run}:` });
    cleanup.push(() => store.close());
    await eventually(async () => {
      const record = await store.load(callId);
      expect(record?.snapshot).toMatchObject({ value: { terminating: 'confirming' } });
    });
    await doomed.kill();
    const due = await store.client.zscore(store.keys.due, callId);
    expect(Number(due)).toBeGreaterThan(Date.now() - 1_000);

    const ended = await s.survivor.waitFor(callId, 'terminated', { timeoutMs: 10_000 });
    expect(ended.outcome?.reason).toBe('hungUp');
    expect(requests(s.fake, 'DELETE')).toEqual([204]);
    expect(requests(s.fake, 'GET')).toEqual([404]);
    expect(s.survivorEvents).toContain('call.terminated');
  });
});

if (!hasRedisServer) {
  describe('an instance killed mid-hang-up', () => {
    it.skip(SKIP_REASON, () => {});
  });
}
