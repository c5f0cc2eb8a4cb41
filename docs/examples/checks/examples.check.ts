// The example programs of the documentation, run: the bot of embedding.md against the fake
// Graph over loopback (with real JWT checks), its webhook as an Express-style route, its file
// store across a restart, and the inspector setups of inspector.md. The examples import
// `graph-call-machine` as a user would; test/docs/examples.test.ts maps that name to the
// sources and loads this file. It lives here, beside the examples, so that tsconfig.json's
// program (which has no such mapping) never reaches the examples through it; the program of
// test/docs/samples.test.ts type-checks it with the mapping.
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CallRegistry, createCallRegistry } from 'graph-call-machine';
import { createFakeGraph, type FakeGraph, notify } from 'graph-call-machine/testing';
import { createGraphTokenValidator } from 'graph-call-machine/webhook';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startBot } from '../bot.js';
import { FileCallStore } from '../fileCallStore.js';
import { createInspectedRegistry, withoutRawNotification } from '../inspectRegistry.js';
import { mountWebhook, type RouterLike, rawBodyWebhook } from '../webhookRoute.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function graphOf(fake: FakeGraph) {
  return { getToken: async () => 'token', fetch: fake.fetch, baseUrl: fake.baseUrl };
}

async function serve(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> {
  const server: Server = createServer(listener).listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function postJson(url: string, body: unknown, authorization?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(authorization !== undefined && { authorization }),
    },
    body: JSON.stringify(body),
  });
}

describe('docs/examples/bot.ts', () => {
  it('follows a call from its first notification to its end, checking every token', async () => {
    const appId = '0d3f6a52-4e0f-4c35-9a7e-4c1a5f0a7b11';
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const token = await new SignJWT({ tid: '72f988bf-86f1-41af-91ab-2d7cd011db47' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('https://api.botframework.com')
      .setAudience(appId)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);

    let webhookUrl = '';
    const fake = createFakeGraph({
      deliver: async (body) => (await postJson(webhookUrl, body, `Bearer ${token}`)).status,
    });
    cleanups.push(() => fake.close());
    const lines: string[] = [];
    const bot = await startBot({
      appId,
      graph: graphOf(fake),
      port: 0,
      authenticate: createGraphTokenValidator({ appId, jwks: { keys: [jwk] } }),
      log: (line) => lines.push(line),
    });
    cleanups.push(() => bot.close());
    webhookUrl = bot.webhookUrl;

    const callId = fake.placeCall();
    await fake.settle();
    expect(fake.deliveries.map((d) => d.result)).toEqual([202, 202]);
    expect(bot.registry.get(callId)).toMatchObject({ state: 'established', phase: 'active' });
    fake.push(notify.tone(callId, 'tone5'));
    await fake.settle();
    expect(
      lines.some((line) => line.startsWith(`${callId}: tone `) && line.includes('tone5')),
    ).toBe(true);

    const ended = await bot.hangUp(callId);
    expect(ended?.outcome).toMatchObject({ reason: 'hungUp', resultInfo: { subcode: 5001 } });
    expect(lines).toContain(`${callId}: ended, hungUp, 200/5001 The conversation has ended.`);
    expect(await bot.hangUp('not-a-call-of-this-bot')).toBeUndefined();

    const unsigned = await postJson(
      webhookUrl,
      notify.batch(notify.updated(callId, 'established')),
    );
    expect(unsigned.status).toBe(401);
  });
});

describe('docs/examples/webhookRoute.ts', () => {
  // As much of Express as the example needs: routes by path, handlers in order.
  function miniApp(): RouterLike & {
    listener: (req: IncomingMessage, res: ServerResponse) => void;
  } {
    const routes = new Map<string, ((req: IncomingMessage, res: ServerResponse) => void)[]>();
    return {
      post(path, ...handlers) {
        routes.set(`POST ${path}`, handlers);
      },
      listener(req, res) {
        const handler = routes.get(`${req.method} ${req.url}`)?.[0];
        if (handler === undefined) res.writeHead(404).end();
        else handler(req, res);
      },
    };
  }

  function registryFor(): CallRegistry {
    const registry = createCallRegistry({ graph: graphOf(createFakeGraph()) });
    cleanups.push(() => registry.close());
    return registry;
  }

  it('mounts the webhook as a raw route', async () => {
    const app = miniApp();
    const registry = registryFor();
    mountWebhook(app, registry, async () => ({ ok: true }));
    const url = await serve(app.listener);
    const answer = await postJson(
      `${url}/api/calls`,
      notify.batch(notify.updated('c1', 'established')),
    );
    expect(answer.status).toBe(202);
    expect(await answer.json()).toMatchObject({ applied: 1, unknownCalls: 1 });
    expect(registry.get('c1')?.state).toBe('established');
  });

  it('takes a body a parser already read, and still checks the token first', async () => {
    const registry = registryFor();
    const handler = rawBodyWebhook(registry, async (req) =>
      req.headers.get('authorization') === 'Bearer good'
        ? { ok: true }
        : { ok: false, status: 401, reason: 'no valid token' },
    );
    // What express.raw() does before the route runs: the bytes end up in req.body.
    const url = await serve((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void handler(Object.assign(req, { body: Buffer.concat(chunks) }), res);
      });
    });
    const body = notify.batch(notify.updated('c2', 'established'));
    expect((await postJson(`${url}/api/calls`, body, 'Bearer good')).status).toBe(202);
    const refused = await postJson(`${url}/api/calls`, body, 'Bearer bad');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({
      detail: expect.stringContaining('no valid token'),
    });
    expect(registry.get('c2')?.state).toBe('established');
  });
});

describe('docs/examples/fileCallStore.ts', () => {
  it('brings a call back after a restart, and the restarted bot hangs it up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gcm-file-store-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    let current: CallRegistry | undefined;
    const fake = createFakeGraph({ deliver: (body) => current?.ingest(body) });
    cleanups.push(() => fake.close());

    const before = createCallRegistry({ graph: graphOf(fake), store: new FileCallStore(dir) });
    current = before;
    const callId = fake.placeCall();
    await fake.settle();
    await before.close();
    expect(await readdir(dir)).toEqual([`${callId}.json`]);

    const store = new FileCallStore(dir);
    const after = createCallRegistry({ graph: graphOf(fake), store });
    cleanups.push(() => after.close());
    current = after;
    await after.ready;
    expect(after.get(callId)).toMatchObject({ state: 'established', phase: 'active' });
    await after.hangUp(callId);
    const ended = await after.waitFor(callId, 'terminated', { timeoutMs: 2_000 });
    expect(ended.outcome?.reason).toBe('hungUp');

    // A commit that expects an older version never overwrites the newer record.
    await after.close();
    const stored = await store.load(callId);
    expect(stored).toBeDefined();
    if (stored !== undefined) {
      const clear = { kind: 'clear' } as const;
      expect(await store.commit(callId, stored, stored.version - 1, clear)).toEqual({
        ok: false,
        current: stored,
      });
      const next = { ...stored, version: stored.version + 1 };
      expect(await store.commit(callId, next, stored.version, clear)).toEqual({ ok: true });
    }
  });
});

describe('docs/examples/inspectRegistry.ts', () => {
  it('inspects a call through a local inspector server, then closes it all', async () => {
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    let current: CallRegistry | undefined;
    const fake = createFakeGraph({ deliver: (body) => current?.ingest(body) });
    cleanups.push(() => fake.close());
    const inspected = createInspectedRegistry(graphOf(fake), { port, open: false });
    current = inspected.registry;
    expect(inspected.url).toBe(`http://localhost:${port}`);

    const callId = fake.placeCall();
    await fake.settle();
    await inspected.registry.hangUp(callId);
    await inspected.registry.waitFor(callId, 'terminated', { timeoutMs: 2_000 });
    // Its WebSocket must be connected before it is stopped (see inspector.md).
    await new Promise((resolve) => setTimeout(resolve, 100));
    await inspected.close();

    // The server is gone: nothing listens on the port any more.
    const refused = await fetch(`http://127.0.0.1:${port}/`).then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);
  });

  it('leaves the raw Graph item out of inspected notification events', () => {
    const event = { type: 'notification', at: 1, notification: { callId: 'c1', raw: { x: 1 } } };
    expect(withoutRawNotification(event)).toEqual({
      type: 'notification',
      at: 1,
      notification: { callId: 'c1', raw: '[omitted]' },
    });
    const hangUp = { type: 'hangUp', at: 1 };
    expect(withoutRawNotification(hangUp)).toBe(hangUp);
  });
});

describe('docs/examples/inspectInBrowser.ts', () => {
  it('runs the pure machine to its end (outside a browser the inspector is a no-op)', async () => {
    // createBrowserInspector says on the console that there is no window here.
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { call } = await import('../inspectInBrowser.js');
    quiet.mockRestore();
    expect(call.getSnapshot().value).toBe('terminated');
    expect(call.getSnapshot().output).toMatchObject({
      reason: 'hungUp',
      resultInfo: { subcode: 5001 },
    });
  });
});
