// The whole stack over real HTTP on loopback, with real timers: a node:http server runs the
// webhook (with JWT validation), a second node:http server plays Graph. The registry hangs up;
// the fake Graph answers 204 and then POSTs terminating and terminated to the webhook.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallRegistry, createCallRegistry } from '../../src/index.js';
import {
  createGraphTokenValidator,
  createWebhookHandler,
  toNodeListener,
} from '../../src/webhook/index.js';

const APP_ID = '0d3f6a52-4e0f-4c35-9a7e-4c1a5f0a7b11';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CALL_ID = '57dab8b1-894c-409a-b240-bd8beae78896';

interface GraphRequest {
  method: string;
  url: string;
  authorization: string | undefined;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

let webhookServer: Server;
let graphServer: Server;
let registry: CallRegistry;
const graphRequests: GraphRequest[] = [];
const webhookAnswers: number[] = [];
let deliveries: Promise<void> = Promise.resolve();

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'graph-key', alg: 'RS256', use: 'sig' };
  const sign = () =>
    new SignJWT({ tid: TENANT })
      .setProtectedHeader({ alg: 'RS256', kid: 'graph-key' })
      .setIssuer('https://api.botframework.com')
      .setAudience(APP_ID)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);

  let webhookUrl = '';
  const notify = async (item: object) => {
    const response = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await sign()}` },
      body: JSON.stringify({ '@odata.type': '#microsoft.graph.commsNotifications', value: [item] }),
    });
    webhookAnswers.push(response.status);
    await response.arrayBuffer();
  };
  const callItem = (changeType: string, state: string, extra: object = {}) => ({
    '@odata.type': '#microsoft.graph.commsNotification',
    changeType,
    resourceUrl: `/communications/calls/${CALL_ID}`,
    resourceData: {
      '@odata.type': '#microsoft.graph.call',
      '@odata.id': `/communications/calls/${CALL_ID}`,
      state,
      ...extra,
    },
  });

  graphServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    graphRequests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
    });
    req.resume();
    if (req.method === 'DELETE' && req.url === `/v1.0/communications/calls/${CALL_ID}`) {
      res.writeHead(204).end();
      // As Graph does: the 204 first, the truth later, as notifications to the callback.
      deliveries = new Promise((resolve) => setTimeout(resolve, 20)).then(async () => {
        await notify(callItem('updated', 'terminating'));
        await notify(
          callItem('deleted', 'terminated', {
            resultInfo: {
              '@odata.type': '#microsoft.graph.resultInfo',
              code: '200',
              subcode: '5001',
              message: 'The conversation has ended.',
            },
          }),
        );
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'itemNotFound', message: 'Unknown call' } }));
  });
  const graphUrl = await listen(graphServer);

  registry = createCallRegistry({
    graph: { getToken: async () => 'app-token', baseUrl: `${graphUrl}/v1.0` },
  });
  const handler = createWebhookHandler(registry, {
    authenticate: createGraphTokenValidator({ appId: APP_ID, jwks: { keys: [jwk] } }),
  });
  webhookServer = createServer(toNodeListener(handler));
  webhookUrl = `${await listen(webhookServer)}/api/calls`;
});

afterAll(async () => {
  await registry.close();
  await Promise.all([close(webhookServer), close(graphServer)]);
});

describe('end to end over loopback HTTP', () => {
  it('hangs up with one DELETE and reaches terminated with the resultInfo outcome', async () => {
    await registry.track(CALL_ID, { state: 'established' });
    const accepted = await registry.hangUp(CALL_ID);
    expect(accepted.phase).toBe('terminating');

    const ended = await registry.waitFor(CALL_ID, 'terminated', { timeoutMs: 5_000 });
    expect(ended.outcome).toMatchObject({
      callId: CALL_ID,
      reason: 'hungUp',
      resultInfo: { code: 200, subcode: 5001, message: 'The conversation has ended.' },
    });
    await deliveries;
    const deletes = graphRequests.filter((r) => r.method === 'DELETE');
    expect(deletes).toHaveLength(1);
    expect(deletes[0]?.authorization).toBe('Bearer app-token');
    expect(webhookAnswers).toEqual([202, 202]);
  });

  it('refuses a notification without a valid token before it reaches the registry', async () => {
    const url = `http://127.0.0.1:${(webhookServer.address() as AddressInfo).port}/api/calls`;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-jwt' },
      body: JSON.stringify({ value: [] }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const problem = (await response.json()) as { detail?: string };
    expect(problem.detail).toMatch(/token/i);
  });
});
