/**
 * Reads a Graph `commsOperation` (the body of an operation's response, or the resource of a
 * notification on `…/operations/{id}`) into a small, typed, JSON-safe report. Never throws.
 *
 * @example
 * ```ts
 * import { readOperationReport } from 'graph-call-machine';
 *
 * readOperationReport({ '@odata.type': '#microsoft.graph.playPromptOperation', id: '0fe0…', status: 'running' });
 * // { id: '0fe0…', status: 'running', dataType: '#microsoft.graph.playPromptOperation' }
 * ```
 * @module
 */
import { isJsonObject, own } from './jsonObject.js';
import type { ResultInfo } from './notification.js';
import { readResultInfo } from './resultInfo.js';

/** Graph's `operationStatus`. */
export type GraphOperationStatus = 'notStarted' | 'running' | 'completed' | 'failed';

/** What Graph said about one operation. Fields of the wrong type are left out. */
export interface OperationReport {
  readonly id?: string;
  readonly status?: GraphOperationStatus;
  readonly clientContext?: string;
  readonly resultInfo?: ResultInfo;
  /** `completedSuccessfully`, `operationCanceled`, `maxRecordDurationReached`, … */
  readonly completionReason?: string;
  /** Where a recording can be fetched (`recordOperation`). Its access token is never read. */
  readonly recordingLocation?: string;
  /** `@odata.type`, as received (`#microsoft.graph.recordOperation`). */
  readonly dataType?: string;
}

const STATUSES: ReadonlySet<string> = new Set(['notStarted', 'running', 'completed', 'failed']);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Reads a `commsOperation`; `undefined` when the value is not an object. */
export function readOperationReport(value: unknown): OperationReport | undefined {
  if (!isJsonObject(value)) return undefined;
  const report: Mutable<OperationReport> = {};
  const id = own(value, 'id');
  if (typeof id === 'string' && id !== '') report.id = id;
  const status = own(value, 'status');
  if (typeof status === 'string' && STATUSES.has(status)) {
    report.status = status as GraphOperationStatus;
  }
  const clientContext = own(value, 'clientContext');
  if (typeof clientContext === 'string' && clientContext !== '') {
    report.clientContext = clientContext;
  }
  const resultInfo = readResultInfo(own(value, 'resultInfo'));
  if (resultInfo !== undefined) report.resultInfo = resultInfo;
  const completionReason = own(value, 'completionReason');
  if (typeof completionReason === 'string' && completionReason !== '') {
    report.completionReason = completionReason;
  }
  const recordingLocation = own(value, 'recordingLocation');
  if (typeof recordingLocation === 'string' && recordingLocation !== '') {
    report.recordingLocation = recordingLocation;
  }
  const dataType = own(value, '@odata.type');
  if (typeof dataType === 'string') report.dataType = dataType;
  return report;
}

/**
 * The form in which two spellings of one operation id compare equal: Graph writes the same id
 * as `0fe0623f-d628-42ed-…` in a body and `0FE0623FD62842ED…` in a resource path.
 */
export function operationIdKey(id: string): string {
  return id.replace(/[-{}]/g, '').toLowerCase();
}

/** Whether Graph's status is final. */
export function isFinalStatus(status: GraphOperationStatus | undefined): boolean {
  return status === 'completed' || status === 'failed';
}
