// Inspection reaches the Stately inspector, offline: @statelyai/inspect's local server relays
// what a WebSocket inspector sends (the registry's `inspect` option, so every call actor) to a
// WebSocket receiver, all on loopback. A full lifecycle must arrive, terminating and terminated
// included, with nothing secret in it.
import { once } from 'node:events';
import http from 'node:http';
import { createServer, type Socket } from 'node:net';
import {
  createWebSocketInspector,
  createWebSocketReceiver,
  type StatelyInspectionEvent,
} from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CallRegistry, createCallRegistry } from '../../src/index.js';
import { createFakeGraph, type FakeGraph } from '../../src/testing/index.js';

const GRAPH_TOKEN = 'graph-token-that-must-never-be-inspected';
const WEBHOOK_AUTHORIZATION = 'Bearer webhook-jwt-that-must-never-be-inspected';
// Everything CallContext holds; a field outside this list would be news to review.
const CONTEXT_KEYS = [
  'callId',
  'command',
  'deadline',
  'direction',
  'establishedAt',
  'etag',
  'hangUp',
  'keepAliveAt',
  'myParticipantId',
  'offeredAt',
  'operations',
  'options',
  'outcome',
  'roster',
  'source',
  'state',
  'targets',
  'tones',
  'updatedAt',
  'verifications',
].sort();

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Relay {
  readonly port: number;
  stop(): Promise<void>;
}

// The server's stop() leaves open WebSocket connections alone (the receiver's, here), and the
// receiver offers no close(); so the test keeps the sockets the server accepts and ends them.
async function startRelay(): Promise<Relay> {
  const port = await freePort();
  const createServerSpy = vi.spyOn(http, 'createServer');
  const handle = createInspectorServer({ port, autoOpen: false });
  const server = createServerSpy.mock.results[0]?.value as http.Server | undefined;
  createServerSpy.mockRestore();
  if (server === undefined) throw new Error('createInspectorServer made no http server');
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => sockets.add(socket));
  if (!server.listening) await once(server, 'listening');
  return {
    port,
    async stop() {
      handle.stop();
      for (const socket of sockets) socket.destroy();
      if (server.listening) await once(server, 'close');
    },
  };
}

type Snapshot = Extract<StatelyInspectionEvent, { type: '@xstate.snapshot' }>;

/** A call snapshot as it arrives over the wire: the JSON of the machine's snapshot. */
interface WireSnapshot {
  readonly status: string;
  readonly value: unknown;
  readonly context: Readonly<Record<string, unknown>>;
  readonly output?: unknown;
}

// The inspector's types describe any actor's snapshot; these are the call machine's.
const wire = (event: Snapshot): WireSnapshot => event.snapshot as unknown as WireSnapshot;

let relay: Relay;
let received: StatelyInspectionEvent[];
let inspector: ReturnType<typeof createWebSocketInspector>;
let fake: FakeGraph;
let registry: CallRegistry;
let callIds: string[];

beforeAll(async () => {
  relay = await startRelay();
  received = [];
  const receiver = createWebSocketReceiver({ server: `ws://127.0.0.1:${relay.port}` });
  receiver.subscribe((event) => received.push(event));
  inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${relay.port}` });

  let target: CallRegistry | undefined;
  fake = createFakeGraph({
    deliver: (body) => target?.ingest(body),
    authorization: WEBHOOK_AUTHORIZATION,
  });
  registry = createCallRegistry({
    graph: { getToken: async () => GRAPH_TOKEN, fetch: fake.fetch, baseUrl: fake.baseUrl },
    inspect: inspector.inspect,
  });
  target = registry;

  // Two calls, so the test also sees that the option reaches every actor, not just one.
  callIds = [fake.placeCall(), fake.placeCall()];
  await fake.settle();
  await Promise.all(callIds.map((id) => registry.hangUp(id)));
  await Promise.all(callIds.map((id) => registry.waitFor(id, 'terminated', { timeoutMs: 5000 })));
  const ended = (e: StatelyInspectionEvent) =>
    e.type === '@xstate.snapshot' && wire(e).value === 'terminated';
  await until(() => received.filter(ended).length === callIds.length, 'both terminated snapshots');
}, 20_000);

afterAll(async () => {
  await registry?.close();
  await fake?.close();
  inspector?.stop();
  await relay?.stop();
});

const snapshotsOf = (sessionId: string): Snapshot[] =>
  received.filter((e): e is Snapshot => e.type === '@xstate.snapshot' && e.sessionId === sessionId);

describe('the registry inspected with @statelyai/inspect over loopback', () => {
  it('registers one actor of the `call` machine per call, with its definition', () => {
    const actors = received.filter((e) => e.type === '@xstate.actor');
    expect(actors).toHaveLength(callIds.length);
    for (const actor of actors) {
      expect(actor.name).toBe('call');
      expect(actor.definition).toContain('"terminating"');
    }
    expect(new Set(actors.map((a) => a.sessionId)).size).toBe(callIds.length);
  });

  it('delivers every step of each lifecycle, terminating and terminated included', () => {
    for (const actor of received.filter((e) => e.type === '@xstate.actor')) {
      const steps = snapshotsOf(actor.sessionId).map((s) => [s.event.type, wire(s).value]);
      // The fake's first notification (establishing) is how the registry learns of the call,
      // so it is the actor's start.
      expect(steps).toEqual([
        ['xstate.init', { setup: 'establishing' }],
        ['notification', { active: 'established' }],
        ['hangUp', { terminating: 'hangingUp' }],
        ['delete.succeeded', { terminating: 'confirming' }],
        ['notification', { terminating: 'confirming' }],
        ['notification', 'terminated'],
      ]);
      const [last] = snapshotsOf(actor.sessionId).slice(-1).map(wire);
      expect(last?.status).toBe('done');
      expect(last?.output).toMatchObject({
        reason: 'hungUp',
        resultInfo: { code: 200, subcode: 5001, message: 'The conversation has ended.' },
      });
      expect(callIds).toContain(last?.context.callId);
    }
  });

  it('delivers the events sent to each actor, hang-up and Graph results included', () => {
    const types = received.filter((e) => e.type === '@xstate.event').map((e) => e.event.type);
    for (const type of ['hangUp', 'delete.succeeded', 'notification']) {
      expect(types).toContain(type);
    }
  });

  it('carries no token and no context beyond the documented fields', () => {
    const text = JSON.stringify(received);
    expect(text).not.toContain(GRAPH_TOKEN);
    expect(text).not.toContain('webhook-jwt');
    for (const snapshot of received.filter((e): e is Snapshot => e.type === '@xstate.snapshot')) {
      expect(Object.keys(wire(snapshot).context).sort()).toEqual(CONTEXT_KEYS);
    }
  });
});
