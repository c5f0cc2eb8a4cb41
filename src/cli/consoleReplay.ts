/**
 * `graph-call-machine replay --console`: the selected calls of a recording shown in the live
 * call console (`graph-call-machine/console`), served on loopback until the command is stopped.
 * Nothing leaves the machine, unlike `--inspect`.
 * @module
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRecordedConsole } from '../console/createRecordedConsole.js';
import type { ReplayedCall } from '../runtime/replayRecords.js';

/** Where `--console` reports, and what keeps it up. */
export interface ConsoleIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** The port on 127.0.0.1; 0 takes any free one. */
  readonly port: number;
  /**
   * Resolves when the console should close. Default: Ctrl+C or SIGTERM. A test passes its own,
   * given the page's URL.
   */
  readonly until?: ((url: string) => Promise<void>) | undefined;
}

/** Serves `calls` in the console. Resolves with the exit code once it was closed (2 when it could not listen). */
export async function serveRecordedCalls(
  calls: readonly ReplayedCall[],
  io: ConsoleIo,
): Promise<number> {
  const problems: string[] = [];
  const callConsole = createRecordedConsole(
    calls.flatMap((call) => call.records),
    { onError: (error) => problems.push(error instanceof Error ? error.message : String(error)) },
  );
  const server = createServer(callConsole.listener);
  server.listen(io.port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch (error) {
    await callConsole.close();
    io.stderr.write(
      `cannot serve the console on 127.0.0.1:${io.port}: ${(error as Error).message}; pick another port with --console-port\n`,
    );
    return 2;
  }
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  for (const problem of problems) io.stderr.write(`${problem}\n`);
  io.stdout.write(
    `${calls.length} ${calls.length === 1 ? 'call' : 'calls'} in the console at ${url} (Ctrl+C ends it)\n`,
  );
  try {
    await (io.until ?? untilStopped)(url);
  } finally {
    await callConsole.close();
    const closed = once(server, 'close');
    server.close();
    server.closeAllConnections();
    await closed;
  }
  return 0;
}

function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
