// The webhook servers of the bench's webhook figures, each run in a process of its own by
// run.ts (`node bench/webhookServers.mjs <kind>`), so that the load generator, which stands for
// Graph, does not run on the thread of the server it measures. Plain JavaScript run by node
// itself, and the library as built (dist/): neither server goes through tsx, which adds a
// `__name` call to every function a closure creates. The tokens' key set, audience and issuer
// come in WEBHOOK_JWKS, WEBHOOK_APP_ID and WEBHOOK_ISSUER; the first line printed is the URL,
// and the server stops when its standard input ends.
import { createServer } from 'node:http';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createCallRegistry } from '../dist/index.js';
import {
  createGraphTokenValidator,
  createWebhookHandler,
  toNodeListener,
} from '../dist/webhook/index.js';

const appId = process.env.WEBHOOK_APP_ID ?? '';
const issuer = process.env.WEBHOOK_ISSUER ?? '';
const jwks = JSON.parse(process.env.WEBHOOK_JWKS ?? '{"keys":[]}');

// A Graph that takes every request at once: the figure measures the webhook, not the network.
const answers = (status) => async () => ({ ok: status < 300, status });
const graph = {
  deleteCall: answers(204),
  getCall: answers(404),
  keepAlive: answers(200),
  answerCall: answers(202),
  rejectCall: answers(202),
  redirectCall: answers(202),
  transferCall: answers(202),
  placeCall: async () => ({ ok: false, status: 0 }),
  runOperation: answers(200),
};

const servers = {
  library: () =>
    toNodeListener(createWebhookHandler(createCallRegistry({ graph, retainTerminatedMs: 1_000 }))),
  libraryWithTokens: () => {
    const registry = createCallRegistry({ graph, retainTerminatedMs: 1_000 });
    const authenticate = createGraphTokenValidator({ appId, jwks, issuers: [issuer] });
    return toNodeListener(createWebhookHandler(registry, { authenticate }));
  },
  // The webhook a bot developer writes by hand today: jose's jwtVerify on every request,
  // JSON.parse, and a Map of call states.
  handWritten: () => {
    const keys = createLocalJWKSet(jwks);
    const states = new Map();
    return (req, res) => {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', async () => {
        try {
          const bearer = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
          await jwtVerify(bearer, keys, { audience: appId, issuer });
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
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
  },
  bare: () => (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
    });
  },
};

const make = Object.hasOwn(servers, process.argv[2] ?? '') ? servers[process.argv[2]] : undefined;
if (make === undefined) {
  console.error(`usage: node bench/webhookServers.mjs ${Object.keys(servers).join('|')}`);
  process.exit(2);
}
const server = createServer(make());
server.listen(0, '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${server.address().port}/api/calls`);
});
// run.ts holds this pipe: when it ends, however it ends, so does the server.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
