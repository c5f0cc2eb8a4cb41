/**
 * What a live console and a recorded one share once their model is fed: the hub of pages, the
 * handler, the node listener, the stats and the end.
 * @internal
 * @module
 */
import { callMachine } from '../machine/callMachine.js';
import type { CallView } from '../machine/types.js';
import { chartSvgOf } from './chartSvg.js';
import { createConsoleHandler } from './consoleHandler.js';
import { createConsoleHub } from './consoleHub.js';
import type { ConsoleModel } from './consoleModel.js';
import type { CallConsole, ResolvedConsoleOptions } from './consoleOptions.js';
import type { ConsoleCallDetail } from './consoleTypes.js';
import { createConsoleClosing, toStreamingListener } from './nodeListener.js';

/** Where the console's calls come from, beyond the model. */
export interface ConsoleSource {
  /** A recording: time stands still. */
  readonly frozen: boolean;
  now(): number;
  /** The detail of a call, the model's with whatever the source knows better. */
  detail(callId: string): ConsoleCallDetail | undefined;
  readonly hangUp?: ((callId: string) => Promise<CallView>) | undefined;
  /** Stops feeding the model. */
  stop(): void;
}

export function serveConsole(
  model: ConsoleModel,
  source: ConsoleSource,
  options: ResolvedConsoleOptions,
): CallConsole {
  let closed = false;
  const closing = createConsoleClosing();
  const hub = createConsoleHub(model, {
    maxClients: options.maxClients,
    maxClientBufferBytes: options.maxClientBufferBytes,
    tickMs: options.tickMs,
    heartbeatMs: options.heartbeatMs,
    frozen: source.frozen,
    now: () => source.now(),
  });
  const handler = createConsoleHandler(
    {
      model,
      hub,
      frozen: source.frozen,
      chart: chartSvgOf(callMachine),
      now: () => source.now(),
      detail: (callId) => source.detail(callId),
      hangUp: options.allowActions ? source.hangUp : undefined,
      isClosed: () => closed,
    },
    options,
  );
  return {
    handler,
    listener: toStreamingListener(handler, options.onError, closing),
    stats: () => ({ clients: hub.clients, droppedClients: hub.dropped, calls: model.size }),
    async close() {
      if (closed) return;
      closed = true;
      source.stop();
      hub.close();
      closing.close();
    },
  };
}
