/**
 * Between the registries and the Graph client: the client from the options, the call options
 * passed to every machine, and the machine events Graph's answers become.
 * @module
 */
import type { CallEvent, CallOptions } from '../machine/types.js';
import { createGraphClient, type GraphClientOptions } from './graphClient.js';
import type { GetCallResult, GraphClient, GraphResult } from './types.js';

export function graphClientOf(graph: GraphClient | GraphClientOptions): GraphClient {
  return typeof (graph as Partial<GraphClient>).deleteCall === 'function'
    ? (graph as GraphClient)
    : createGraphClient(graph as GraphClientOptions);
}

export function pickCallOptions(options: CallOptions): CallOptions {
  const picked: { -readonly [K in keyof CallOptions]: CallOptions[K] } = {};
  if (options.confirmTimeoutMs !== undefined) picked.confirmTimeoutMs = options.confirmTimeoutMs;
  if (options.maxDeleteAttempts !== undefined) picked.maxDeleteAttempts = options.maxDeleteAttempts;
  if (options.maxVerifications !== undefined) picked.maxVerifications = options.maxVerifications;
  if (options.retryBaseDelayMs !== undefined) picked.retryBaseDelayMs = options.retryBaseDelayMs;
  if (options.maxRetryDelayMs !== undefined) picked.maxRetryDelayMs = options.maxRetryDelayMs;
  return picked;
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
