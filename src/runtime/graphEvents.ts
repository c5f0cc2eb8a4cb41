/**
 * Between the registry and the Graph client: the client from the options, and the machine
 * events Graph's answers become.
 * @module
 */
import type { CallControlVerb } from '../graph/callRequests.js';
import type {
  CallEvent,
  CommandEmitted,
  CommandFailedType,
  CommandSucceededType,
} from '../machine/types.js';
import { createGraphClient, type GraphClientOptions } from './graphClient.js';
import type { GetCallResult, GraphClient, GraphResult, OperationResult } from './types.js';

export function graphClientOf(graph: GraphClient | GraphClientOptions): GraphClient {
  return typeof (graph as Partial<GraphClient>).deleteCall === 'function'
    ? (graph as GraphClient)
    : createGraphClient(graph as GraphClientOptions);
}

export function toDeleteEvent(result: GraphResult, at: number): CallEvent {
  return resultEvent('delete.succeeded', 'delete.failed', result, at);
}

/** The machine event a command's result becomes: `answer.succeeded`, `transfer.failed`, … */
export function toCommandEvent(verb: CallControlVerb, result: GraphResult, at: number): CallEvent {
  return resultEvent(`${verb}.succeeded`, `${verb}.failed`, result, at);
}

/** A request's answer as its machine event: success, or the failure with what Graph said. */
function resultEvent(
  succeeded: 'delete.succeeded' | CommandSucceededType,
  failed: 'delete.failed' | CommandFailedType,
  result: GraphResult,
  at: number,
): CallEvent {
  if (result.ok) return { type: succeeded, at };
  return {
    type: failed,
    status: result.status,
    ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
    ...(result.error === undefined ? {} : { error: result.error }),
    at,
  };
}

/** Sends a command with the client's verb for it. */
export function sendCommand(client: GraphClient, command: CommandEmitted): Promise<GraphResult> {
  switch (command.type) {
    case 'graph.answerCall':
      return client.answerCall(command.callId, command.request);
    case 'graph.rejectCall':
      return client.rejectCall(command.callId, command.request);
    case 'graph.redirectCall':
      return client.redirectCall(command.callId, command.request);
    case 'graph.transferCall':
      return client.transferCall(command.callId, command.request);
  }
}

/** The verb of a command. */
export function verbOfCommand(command: CommandEmitted): CallControlVerb {
  switch (command.type) {
    case 'graph.answerCall':
      return 'answer';
    case 'graph.rejectCall':
      return 'reject';
    case 'graph.redirectCall':
      return 'redirect';
    case 'graph.transferCall':
      return 'transfer';
  }
}

export function toGetCallEvent(result: GetCallResult, at: number): CallEvent {
  return result.state === undefined
    ? { type: 'getCall.result', status: result.status, at }
    : { type: 'getCall.result', status: result.status, state: result.state, at };
}

/** The machine event an operation's answer becomes, keyed by the operation's `clientContext`. */
export function toOperationEvent(key: string, result: OperationResult, at: number): CallEvent {
  if (result.ok) {
    return result.operation === undefined
      ? { type: 'operation.responded', key, status: result.status, at }
      : { type: 'operation.responded', key, status: result.status, report: result.operation, at };
  }
  return {
    type: 'operation.requestFailed',
    key,
    status: result.status,
    ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
    ...(result.error === undefined ? {} : { error: result.error }),
    at,
  };
}
