/**
 * The Stately inspector for `--inspect`: `@statelyai/inspect`'s local server (a page that
 * embeds the inspector UI, and a WebSocket relay) and a WebSocket inspector that sends every
 * call actor's events to it.
 *
 * Two things in @statelyai/inspect 0.7 need care so that the demo still exits on its own:
 * - the WebSocket inspector reconnects 5 s after any socket error, forever, on a timer that
 *   keeps Node alive; closing its socket while it is still connecting is such an error. So we
 *   only start it once the server listens, wait for it to connect before the run, and close it
 *   (and wait for the close) before the server stops.
 * - the server's `stop()` does not close connections already open (a browser tab showing the
 *   inspector). The demo's last resort for that case is in main.ts.
 * @module
 */
import { once } from 'node:events';
import { connect, createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import type { AnyEventObject, InspectionEvent, Observer } from 'xstate';

export interface DemoInspector {
  /** The page to open in a browser. */
  readonly url: string;
  readonly port: number;
  /** Pass as the registry's `inspect` option (or call from one). */
  readonly inspect: Observer<InspectionEvent>;
  /** Disconnects and stops the server; the process can then exit. */
  stop(): Promise<void>;
}

export interface InspectorOptions {
  /** 0: any free port; a busy port falls back to a free one. */
  readonly port: number;
  /** Open the page in the default browser. */
  readonly open: boolean;
}

const CONNECT_TIMEOUT_MS = 3000;
// WebSocket readyState values.
const OPEN = 1;
const CLOSED = 3;

export async function startInspector(options: InspectorOptions): Promise<DemoInspector> {
  const port = await choosePort(options.port);
  const server = createInspectorServer({ port, autoOpen: options.open });
  try {
    await waitFor(() => canConnect(port), `the inspector server to listen on port ${port}`);
  } catch (error) {
    server.stop();
    throw error;
  }
  const inspector = createWebSocketInspector({
    url: `ws://127.0.0.1:${port}`,
    autoStart: false,
    sanitizeEvent: redactNotificationPayload,
  });
  inspector.start();
  try {
    await waitFor(
      async () => socketState(inspector.adapter) === OPEN,
      'the inspector to connect to its server',
    );
  } catch (error) {
    server.stop();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    // The bridge page itself connects to ws://localhost:{port}, so this is the name to open.
    url: `http://localhost:${port}`,
    port,
    inspect: inspector.inspect,
    stop() {
      stopping ??= (async () => {
        // xstate hands inspection events over on a timer; let the last ones go out first.
        await sleep(20);
        inspector.stop();
        await waitFor(async () => {
          const state = socketState(inspector.adapter);
          return state === undefined || state === CLOSED;
        }, 'the inspector to disconnect').catch(() => undefined);
        server.stop();
      })();
      return stopping;
    },
  };
}

/**
 * The raw Graph item of a notification event is left out of what the inspector shows: it can
 * carry participant identities (names, phone numbers, tenant ids). Everything the machine
 * decides on (state, etag, resultInfo) stays, lifted out by the parser. Tokens never reach the
 * machine at all.
 */
export function redactNotificationPayload(event: AnyEventObject): AnyEventObject {
  if (event.type !== 'notification') return event;
  const notification: unknown = event.notification;
  if (typeof notification !== 'object' || notification === null || !('raw' in notification)) {
    return event;
  }
  return { ...event, notification: { ...notification, raw: '[omitted]' } };
}

// @statelyai/inspect 0.7 keeps its socket in a private field; reading it is the only way to
// know whether it is connected. Undefined means a version without it: we then stop waiting.
function socketState(adapter: object): number | undefined {
  const ws: unknown = Reflect.get(adapter, 'ws');
  if (typeof ws !== 'object' || ws === null) return undefined;
  const state: unknown = Reflect.get(ws, 'readyState');
  return typeof state === 'number' ? state : undefined;
}

async function choosePort(wanted: number): Promise<number> {
  if (wanted !== 0) {
    const free = await tryListen(wanted);
    if (free !== undefined) return free;
  }
  const any = await tryListen(0);
  if (any === undefined) throw new Error('no free port for the inspector server');
  return any;
}

// Listens like the inspector server will (every interface), then lets the port go again.
async function tryListen(port: number): Promise<number | undefined> {
  const probe: Server = createServer();
  try {
    probe.listen(port);
    await once(probe, 'listening');
    const address = probe.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  } catch {
    return undefined;
  } finally {
    if (probe.listening) await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + CONNECT_TIMEOUT_MS;
  while (!(await condition())) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${CONNECT_TIMEOUT_MS} ms waiting for ${what}`);
    }
    await sleep(10);
  }
}
