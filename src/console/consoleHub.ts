/**
 * The pages connected to a console, and what they are sent: a snapshot when they connect, then,
 * once per tick, one update holding every row that changed in it (the same bytes for every
 * page), or a heartbeat comment when nothing changed for a while. The tick runs only while a
 * page is connected.
 * @internal
 * @module
 */
import type { ConsoleModel } from './consoleModel.js';
import type { ConsoleSnapshot, ConsoleUpdate } from './consoleTypes.js';
import { type EventStream, openEventStream } from './eventStream.js';
import { sseComment, sseEvent, sseRetry } from './sse.js';

/** How the hub paces and bounds its pages. */
export interface ConsoleHubOptions {
  readonly maxClients: number;
  readonly maxClientBufferBytes: number;
  readonly tickMs: number;
  readonly heartbeatMs: number;
  /** A recording's console: time stands still at `now()`. */
  readonly frozen: boolean;
  /** The console's time, sent with each message so the page counts ages from it. */
  readonly now: () => number;
}

export interface ConsoleHub {
  /** A new page's stream, starting with a snapshot; `undefined` when `maxClients` are connected or the hub is closed. */
  connect(): ReadableStream<Uint8Array> | undefined;
  readonly clients: number;
  readonly dropped: number;
  /** Ends every stream with a `closed` event; later `connect()` calls get `undefined`. */
  close(): void;
}

// How long a page's EventSource waits before reconnecting.
const RETRY_MS = 2_000;

export function createConsoleHub(model: ConsoleModel, options: ConsoleHubOptions): ConsoleHub {
  const clients = new Set<EventStream>();
  let dropped = 0;
  let closed = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let quietSince = Date.now();

  const broadcast = (bytes: Uint8Array): void => {
    for (const client of clients) client.send(bytes);
  };

  const tick = (): void => {
    const changes = model.takeChanges();
    if (clients.size === 0) return;
    if (changes.rows.length > 0 || changes.removed.length > 0 || changes.counters) {
      const update: ConsoleUpdate = {
        now: options.now(),
        rows: changes.rows,
        removed: changes.removed,
        counters: model.counters(),
      };
      broadcast(sseEvent('update', update));
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= options.heartbeatMs) {
      broadcast(sseComment('heartbeat'));
      quietSince = Date.now();
    }
  };

  const stopTimer = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };

  const startTimer = (): void => {
    if (timer !== undefined) return;
    timer = setInterval(tick, options.tickMs);
    // A console must not keep a process alive that has nothing else to do.
    (timer as { unref?: () => void }).unref?.();
  };

  return {
    connect() {
      if (closed || clients.size >= options.maxClients) return undefined;
      // Changes made while nobody watched are in the snapshot.
      if (clients.size === 0) model.takeChanges();
      const client = openEventStream(options.maxClientBufferBytes, (why) => {
        clients.delete(client);
        if (why === 'slow') dropped += 1;
        if (clients.size === 0) stopTimer();
      });
      const snapshot: ConsoleSnapshot = {
        now: options.now(),
        frozen: options.frozen,
        rows: model.rows(),
        counters: model.counters(),
      };
      client.send(concat(sseRetry(RETRY_MS), sseEvent('snapshot', snapshot)));
      clients.add(client);
      startTimer();
      return client.stream;
    },
    get clients() {
      return clients.size;
    },
    get dropped() {
      return dropped;
    },
    close() {
      if (closed) return;
      closed = true;
      stopTimer();
      const last = sseEvent('closed', {});
      for (const client of [...clients]) client.close(last);
      clients.clear();
    },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const both = new Uint8Array(a.byteLength + b.byteLength);
  both.set(a, 0);
  both.set(b, a.byteLength);
  return both;
}
