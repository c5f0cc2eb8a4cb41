// The webhook servers of the bench's webhook figures, each run in a process of its own
// (`node --import tsx bench/webhookServers.ts <kind>`), so that the load generator, which stands
// for Graph, does not run on the thread of the server it measures. Started by run.ts with the
// tokens' key set, audience and issuer in WEBHOOK_JWKS, WEBHOOK_APP_ID and WEBHOOK_ISSUER;
// prints the server's URL on its first line, and serves until killed.
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { acceptingGraph } from './acceptingGraph.js';
import { lib, webhook } from './built.js';

const SERVER_KINDS = ['library', 'libraryWithTokens', 'handWritten', 'bare'] as const;
type ServerKind = (typeof SERVER_KINDS)[number];

const BENCH_APP_ID = process.env.WEBHOOK_APP_ID ?? '';
const BENCH_ISSUER = process.env.WEBHOOK_ISSUER ?? '';

function listenerOf(kind: ServerKind, jwks: JSONWebKeySet): RequestListener {
  switch (kind) {
    case 'library':
    case 'libraryWithTokens': {
      const registry = lib.createCallRegistry({ graph: acceptingGraph, retainTerminatedMs: 1_000 });
      const authenticate =
        kind === 'libraryWithTokens'
          ? webhook.createGraphTokenValidator({
              appId: BENCH_APP_ID,
              jwks,
              issuers: [BENCH_ISSUER],
            })
          : undefined;
      return webhook.toNodeListener(
        webhook.createWebhookHandler(registry, authenticate === undefined ? {} : { authenticate }),
      );
    }
    case 'handWritten': {
      // The webhook a bot developer writes by hand today: jose's jwtVerify on every request,
      // JSON.parse, and a Map of call states.
      const keys = createLocalJWKSet(jwks);
      const states = new Map<string, string>();
      return (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', async () => {
          try {
            const bearer = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
            await jwtVerify(bearer, keys, { audience: BENCH_APP_ID, issuer: BENCH_ISSUER });
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
              value: { resourceUrl: string; resourceData?: { state?: string } }[];
            };
            for (const item of body.value) {
              const state = item.resourceData?.state;
              if (state !== undefined) states.set(item.resourceUrl, state);
            }
            res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
          } catch {
            res.writeHead(401).end();
          }
        });
      };
    }
    case 'bare':
      return (req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
        });
      };
  }
}

const kind = SERVER_KINDS.find((name) => name === process.argv[2]);
if (kind === undefined) {
  console.error(`usage: webhookServers.ts ${SERVER_KINDS.join('|')}`);
  process.exit(2);
}
const jwks = JSON.parse(process.env.WEBHOOK_JWKS ?? '{"keys":[]}') as JSONWebKeySet;
const server = createServer(listenerOf(kind, jwks));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`http://127.0.0.1:${port}/api/calls`);
});
