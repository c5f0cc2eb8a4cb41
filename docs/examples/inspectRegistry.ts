// inspectRegistry.ts: every call of the registry in the Stately inspector, from Node.
import { createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { type CallRegistry, createCallRegistry, type GraphClientOptions } from 'graph-call-machine';
import type { AnyEventObject } from 'xstate';

export interface InspectedRegistry {
  readonly registry: CallRegistry;
  /** Open this in a browser (it embeds https://stately.ai/inspect, so the browser needs the web). */
  readonly url: string;
  close(): Promise<void>;
}

export function createInspectedRegistry(
  graph: GraphClientOptions,
  { port = 8080, open = true }: { port?: number; open?: boolean } = {},
): InspectedRegistry {
  // An HTTP page and a WebSocket relay on `port`, on every interface: keep it to development.
  const server = createInspectorServer({ port, autoOpen: open });
  const inspector = createWebSocketInspector({
    url: `ws://localhost:${port}`,
    sanitizeEvent: withoutRawNotification,
  });
  const registry = createCallRegistry({ graph, inspect: inspector.inspect });
  return {
    registry,
    url: `http://localhost:${port}`,
    async close() {
      await registry.close();
      // The inspector first: if its server goes away under it, it reconnects every 5 s, forever.
      inspector.stop();
      server.stop();
    },
  };
}

/**
 * Leaves out the raw Graph item of notification events: it can name participants (display
 * names, phone numbers). What the machine decides on (state, etag, resultInfo) stays.
 */
export function withoutRawNotification(event: AnyEventObject): AnyEventObject {
  const notification: unknown = event.notification;
  if (event.type !== 'notification' || typeof notification !== 'object' || notification === null) {
    return event;
  }
  return { ...event, notification: { ...notification, raw: '[omitted]' } };
}
