/**
 * The live call console for `--console`: `graph-call-machine/console` over the demo's registry,
 * served on loopback beside the fake Graph, so the calls can be watched in a browser while they
 * run. Nothing leaves the machine: the page loads nothing from anywhere but this server.
 * @module
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCallConsole } from '../src/console/index.js';
import type { CallRegistry } from '../src/index.js';

export interface DemoConsole {
  /** The page to open in a browser. */
  readonly url: string;
  /** Ends the page's live updates and closes the server. */
  stop(): Promise<void>;
}

/** Serves the console of `registry` on 127.0.0.1:`port` (0: any free port). */
export async function startConsole(registry: CallRegistry, port: number): Promise<DemoConsole> {
  // The demo's own calls only, on loopback: hanging one up from the page is part of the show.
  const callConsole = createCallConsole(registry, { allowActions: true });
  const server = createServer(callConsole.listener);
  server.listen(port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch (error) {
    await callConsole.close();
    throw new Error(
      `the console could not listen on 127.0.0.1:${port} (${(error as Error).message}); pick another with --console-port`,
    );
  }
  const { port: bound } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${bound}/`,
    stop() {
      stopping ??= (async () => {
        await callConsole.close();
        const closed = once(server, 'close');
        server.close();
        // A page still open holds its keep-alive connection; the demo is ending anyway.
        server.closeAllConnections();
        await closed;
      })();
      return stopping;
    },
  };
}
