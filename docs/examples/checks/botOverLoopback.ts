// What the checks of the whole bots share: the fake Graph posting to the bot's webhook over
// loopback as Graph does (JSON, with a bearer token the bot's `authenticate` checks), the bot
// started on a free port, and everything closed after each test.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallRegistry, CallRegistryOptions } from 'graph-call-machine';
import { createFakeGraph, type FakeGraph } from 'graph-call-machine/testing';
import type { AuthResult } from 'graph-call-machine/webhook';
import { afterEach } from 'vitest';

/** The options every bot of docs/examples takes. */
export interface CommonBotOptions {
  readonly graph: CallRegistryOptions['graph'];
  readonly authenticate: (req: Request) => Promise<AuthResult>;
  readonly callbackUri: string;
  readonly port: number;
  readonly log: (line: string) => void;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts a bot in front of a new fake Graph; `lines` collects what it logs. */
export async function botOverLoopback(
  start: (options: CommonBotOptions) => { registry: CallRegistry; server: Server },
): Promise<{ fake: FakeGraph; registry: CallRegistry; lines: string[] }> {
  let webhookUrl = '';
  const fake = createFakeGraph({
    deliver: async (body) => {
      const response = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer from-graph' },
        body: JSON.stringify(body),
      });
      return response.status;
    },
  });
  cleanups.push(() => fake.close());
  const lines: string[] = [];
  const { registry, server } = start({
    graph: { getToken: async () => 'token', fetch: fake.fetch, baseUrl: fake.baseUrl },
    authenticate: async (req) =>
      req.headers.get('authorization') === 'Bearer from-graph'
        ? { ok: true }
        : { ok: false, status: 401, reason: 'not from Graph' },
    callbackUri: 'https://bot.example.com/api/calls',
    port: 0,
    log: (line) => lines.push(line),
  });
  cleanups.push(async () => {
    await registry.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  await once(server, 'listening');
  webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/calls`;
  return { fake, registry, lines };
}

/** The requests the fake answered about one call, as `METHOD action status`. */
export function requestsOf(fake: FakeGraph, callId: string): string[] {
  return fake.requests
    .filter((r) => r.callId === callId)
    .map((r) => `${r.method} ${r.action ?? ''} ${r.status}`.replace('  ', ' '));
}
