/**
 * Between the registry and the Graph client: the client from the options, and the machine
 * events Graph's answers become.
 * @module
 */
import type { CallEvent } from '../machine/types.js';
import { createGraphClient, type GraphClientOptions } from './graphClient.js';
import type { GetCallResult, GraphClient, GraphResult } from './types.js';

export function graphClientOf(graph: GraphClient | GraphClientOptions): GraphClient {
  return typeof (graph as Partial<GraphClient>).deleteCall === 'function'
    ? (graph as GraphClient)
    : createGraphClient(graph as GraphClientOptions);
}

export function toDeleteEvent(result: GraphResult, at: number): CallEvent {
  if (result.ok) return { type: 'delete.succeeded', at };
  return {
    type: 'delete.failed',
    status: result.status,
    ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
    ...(result.error === undefined ? {} : { error: result.error }),
    at,
  };
}

export function toGetCallEvent(result: GetCallResult, at: number): CallEvent {
  return result.state === undefined
    ? { type: 'getCall.result', status: result.status, at }
    : { type: 'getCall.result', status: result.status, state: result.state, at };
}
