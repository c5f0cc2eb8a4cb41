// A real redis-server for the tests, on a free loopback port, started and stopped by the test
// file that needs it. No mocks: when the binary is missing the Redis tests are skipped, loudly.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARY = process.env.REDIS_SERVER_BIN ?? 'redis-server';

/** Whether `redis-server` can be run here. */
export const hasRedisServer: boolean = spawnSync(BINARY, ['--version']).status === 0;

export const SKIP_REASON = `${BINARY} was not found on PATH, so the Redis tests are SKIPPED. Install it (Debian/Ubuntu: apt-get install -y redis-server) to run them; .ci/run does.`;

if (!hasRedisServer) console.warn(`\n⚠ ${SKIP_REASON}\n`);

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server gracefully (SIGTERM: it writes its append-only file when it has one). */
  stop(): Promise<void>;
  /** Kills it at once (SIGKILL). */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (after stop or kill). */
  start(): Promise<void>;
  /** Removes its directory; stops it first if need be. */
  dispose(): Promise<void>;
}

export interface RedisServerOptions {
  /** Append-only file with fsync on every write, so a restart loses nothing committed. */
  readonly persistent?: boolean;
}

/** Starts a redis-server on 127.0.0.1 and waits until it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gcm-redis-'));
  let port = 0;
  let child: ChildProcess | undefined;

  async function launch(): Promise<void> {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      ...(options.persistent === true
        ? ['--appendonly', 'yes', '--appendfsync', 'always']
        : ['--appendonly', 'no']),
    ];
    const started = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    started.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    started.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child = started;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (started.exitCode !== null) {
        throw new Error(`redis-server exited with ${started.exitCode} on port ${port}:\n${output}`);
      }
      if (await answersPing(port)) return;
      await sleep(25);
    }
    started.kill('SIGKILL');
    throw new Error(`redis-server did not answer PING on port ${port} within 10 s:\n${output}`);
  }

  async function halt(signal: NodeJS.Signals): Promise<void> {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    await exited;
  }

  for (let tries = 0; ; tries += 1) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      // Another process took the port between the probe and the start: try another one.
      if (tries >= 3) throw error;
    }
  }

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    start: launch,
    async dispose() {
      await halt('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      // While loading its data set Redis answers -LOADING; only +PONG means ready.
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
