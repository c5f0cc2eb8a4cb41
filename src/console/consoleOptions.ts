/**
 * The options of a call console, what it returns, and how the options are checked: each bad
 * option is a `TypeError` (wrong kind of value) or a `RangeError` (a number out of bounds) that
 * names it.
 *
 * @example
 * ```ts
 * import type { CallConsoleOptions } from 'graph-call-machine/console';
 *
 * const options: CallConsoleOptions = { basePath: '/console/', redact: true, maxEndedCalls: 5_000 };
 * ```
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What `authorize` decides: `true` lets the request in; `false` answers `403`; an object
 * answers `401` or `403`, and a `401` with a `challenge` sends it as `WWW-Authenticate` (with
 * `Basic realm="calls"`, the browser asks for a user and password).
 */
export type ConsoleAuthorization =
  | boolean
  | { readonly status: 401 | 403; readonly challenge?: string; readonly reason?: string };

/** Options of `createCallConsole` and `createRecordedConsole`. */
export interface CallConsoleOptions {
  /**
   * Where the console is mounted: the page is served at `basePath`, its stream and data below
   * it, all reached by relative URLs. Starts and ends with `/` (a missing trailing `/` is
   * added). Default `'/'`.
   */
  readonly basePath?: string;
  /**
   * Decides, for every request, whether it may see the console (a shared secret, the host's
   * own session check). Asked before anything else is done; a throw answers `500`.
   * **Without it every request is let in**: bind the server to loopback (`127.0.0.1`) then, or
   * put it behind something that authenticates.
   */
  readonly authorize?: (request: Request) => ConsoleAuthorization | Promise<ConsoleAuthorization>;
  /**
   * The `Host` names the console answers to (`421` for others), so that a web page cannot reach
   * a loopback console by rebinding its own domain name to 127.0.0.1. Entries are host names,
   * with or without a port (`console.example.com`, `localhost:8080`). Default: without
   * `authorize`, loopback names and IP addresses only (`localhost`, `*.localhost`, `127.0.0.1`,
   * `[::1]`, any IP literal); with `authorize`, `'any'`.
   */
  readonly allowedHosts?: readonly string[] | 'any';
  /**
   * Show a hang-up button that asks the registry to hang up the selected call. Default
   * `false`: the console is read-only and has no action endpoint at all. The button's `POST`
   * must come from the console's own origin (`Origin`), carry `X-Call-Console: hang-up` and a
   * JSON body, which a page of another origin cannot send without the console's consent.
   */
  readonly allowActions?: boolean;
  /**
   * Show `[redacted]` for the names and ids of people and phone numbers, by the flight
   * recorder's rule (bots stay readable). Default `false`.
   */
  readonly redact?: boolean;
  /** The page's title. Default `'Calls'`. */
  readonly title?: string;
  /** Ended calls kept, the oldest let go first. Default 1 000. */
  readonly maxEndedCalls?: number;
  /** Live calls kept, the least recently changed let go first. Default 10 000. */
  readonly maxLiveCalls?: number;
  /** Timeline entries kept per call, the oldest let go first. Default 200. */
  readonly maxTimelineEntries?: number;
  /** Pages connected at once; one more gets `503`. Default 16. */
  readonly maxClients?: number;
  /**
   * Bytes of updates waiting for one page that does not read them; past it the page is
   * dropped (its browser reconnects and starts afresh), so a stalled page cannot grow the
   * server's memory. Default 4 MiB.
   */
  readonly maxClientBufferBytes?: number;
  /** How often changes are sent, in ms: every change of a tick goes in one update. Default 100. */
  readonly tickMs?: number;
  /** How often an idle stream gets a comment line, so proxies keep it open, in ms. Default 15 000. */
  readonly heartbeatMs?: number;
  /**
   * The time ages count from, epoch ms. Default `Date.now`; give the registry's clock when it
   * has its own (a test's manual clock), so ages agree with the calls' times.
   */
  readonly now?: () => number;
  /** Told about failures of the console itself (`authorize` threw, a hang-up failed oddly). Default: ignored. */
  readonly onError?: (error: unknown) => void;
}

/** A console: a fetch handler, the same as a `node:http` listener, and its end. */
export interface CallConsole {
  /** The console as a WHATWG handler (Node 20, Deno, Bun, workers, route handlers). */
  readonly handler: (request: Request) => Promise<Response>;
  /**
   * The console as a `node:http` listener, streaming its events: `createServer(listener)`, or
   * mounted in Express or Fastify (raw) under `basePath`.
   */
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** How many pages are connected, and how many were dropped for not reading. */
  stats(): ConsoleStats;
  /**
   * Ends every event stream (pages show "console closed" and stop reconnecting; over
   * `listener`, a page that has not taken that end a second later loses its connection), stops
   * listening to the registry, and answers `503` from then on. Resolves at once; idempotent.
   */
  close(): Promise<void>;
}

/** See {@link CallConsole.stats}. */
export interface ConsoleStats {
  readonly clients: number;
  /** Pages dropped because their updates piled up past `maxClientBufferBytes`. */
  readonly droppedClients: number;
  /** Calls held. */
  readonly calls: number;
}

/** The options with every default filled in. */
export interface ResolvedConsoleOptions {
  readonly basePath: string;
  readonly authorize: CallConsoleOptions['authorize'];
  readonly allowedHosts: readonly string[] | 'any' | 'loopback';
  readonly allowActions: boolean;
  readonly redact: boolean;
  readonly title: string;
  readonly maxEndedCalls: number;
  readonly maxLiveCalls: number;
  readonly maxTimelineEntries: number;
  readonly maxClients: number;
  readonly maxClientBufferBytes: number;
  readonly tickMs: number;
  readonly heartbeatMs: number;
  readonly now: () => number;
  readonly onError: (error: unknown) => void;
}

const DEFAULTS = {
  maxEndedCalls: 1_000,
  maxLiveCalls: 10_000,
  maxTimelineEntries: 200,
  maxClients: 16,
  maxClientBufferBytes: 4 * 1024 * 1024,
  tickMs: 100,
  heartbeatMs: 15_000,
} as const;

// The smallest values that make sense; a timer shorter than a few ms only burns CPU.
const MINIMUM: Readonly<Record<keyof typeof DEFAULTS, number>> = {
  maxEndedCalls: 0,
  maxLiveCalls: 1,
  maxTimelineEntries: 1,
  maxClients: 1,
  maxClientBufferBytes: 1024,
  tickMs: 10,
  heartbeatMs: 1_000,
};

/** Checks the options and fills in the defaults; `who` names the function in the errors. */
export function resolveConsoleOptions(
  who: string,
  options: CallConsoleOptions | undefined,
): ResolvedConsoleOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`${who}: options must be an object, got ${describe(options)}.`);
  }
  const given = options ?? {};
  const count = (name: keyof typeof DEFAULTS): number => {
    const value: unknown = given[name] === undefined ? DEFAULTS[name] : given[name];
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw new TypeError(`${who}: ${name} must be a number, got ${describe(value)}.`);
    }
    if (!Number.isInteger(value) || value < MINIMUM[name] || value > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(
        `${who}: ${name} must be a whole number of at least ${MINIMUM[name]}, got ${String(value)}.`,
      );
    }
    return value;
  };
  const flag = (name: 'allowActions' | 'redact'): boolean => {
    const value: unknown = given[name] === undefined ? false : given[name];
    if (typeof value !== 'boolean') {
      throw new TypeError(`${who}: ${name} must be true or false, got ${describe(value)}.`);
    }
    return value;
  };
  const authorize: unknown = given.authorize;
  if (authorize !== undefined && typeof authorize !== 'function') {
    throw new TypeError(
      `${who}: authorize must be a function of the request (true lets it in), got ${describe(authorize)}.`,
    );
  }
  const onError: unknown = given.onError;
  if (onError !== undefined && typeof onError !== 'function') {
    throw new TypeError(`${who}: onError must be a function, got ${describe(onError)}.`);
  }
  const now: unknown = given.now;
  if (now !== undefined && typeof now !== 'function') {
    throw new TypeError(`${who}: now must be a function returning epoch ms, got ${describe(now)}.`);
  }
  const title: unknown = given.title === undefined ? 'Calls' : given.title;
  if (typeof title !== 'string') {
    throw new TypeError(`${who}: title must be text, got ${describe(title)}.`);
  }
  return {
    basePath: basePathOf(who, given.basePath),
    authorize: given.authorize,
    allowedHosts: allowedHostsOf(who, given.allowedHosts, authorize !== undefined),
    allowActions: flag('allowActions'),
    redact: flag('redact'),
    title,
    maxEndedCalls: count('maxEndedCalls'),
    maxLiveCalls: count('maxLiveCalls'),
    maxTimelineEntries: count('maxTimelineEntries'),
    maxClients: count('maxClients'),
    maxClientBufferBytes: count('maxClientBufferBytes'),
    tickMs: count('tickMs'),
    heartbeatMs: count('heartbeatMs'),
    now: given.now ?? Date.now,
    onError: given.onError ?? (() => {}),
  };
}

function basePathOf(who: string, value: unknown): string {
  if (value === undefined) return '/';
  if (typeof value !== 'string') {
    throw new TypeError(
      `${who}: basePath must be a path such as '/console/', got ${describe(value)}.`,
    );
  }
  if (
    !value.startsWith('/') ||
    /[?#\s\\]/.test(value) ||
    value.split('/').some((s) => s === '..' || s === '.')
  ) {
    throw new TypeError(
      `${who}: basePath must be an absolute path such as '/console/' (starting with '/', without '?', '#', '.' or '..' segments, spaces or '\\'), got ${JSON.stringify(value)}.`,
    );
  }
  return value.endsWith('/') ? value : `${value}/`;
}

function allowedHostsOf(
  who: string,
  value: unknown,
  authorized: boolean,
): ResolvedConsoleOptions['allowedHosts'] {
  if (value === undefined) return authorized ? 'any' : 'loopback';
  if (value === 'any') return 'any';
  if (!Array.isArray(value) || value.some((host) => typeof host !== 'string' || host === '')) {
    throw new TypeError(
      `${who}: allowedHosts must be 'any' or a list of host names (e.g. ['console.example.com']), got ${describe(value)}.`,
    );
  }
  return value.map((host: string) => host.toLowerCase());
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
