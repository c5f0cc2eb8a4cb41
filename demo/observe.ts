/**
 * Turns what the library tells a bot into demo events: the registry's events (notifications
 * and how they were judged, state changes, operations, key presses, the end) and, through the registry's `inspect`
 * option, each step of every call's machine (its position in the chart and its deadline).
 * @module
 */
import type { InspectionEvent } from 'xstate';
import {
  type CallContext,
  type CallNotification,
  type CallParticipantInfo,
  type CallRegistry,
  type CallStateChange,
  type CallView,
  IDENTITY_KINDS,
} from '../src/index.js';
import type { Bucket, ConfirmedBy, DemoEventInput, Emit } from './events.js';

export interface Observer {
  /** Pass as the registry's `inspect` option. */
  readonly inspect: (event: InspectionEvent) => void;
  /** Subscribes to the registry's events; call once the registry exists. */
  attach(registry: CallRegistry): void;
  /** Tells the observer when the bot hung up a call, to time the end from there. */
  hungUp(callId: string): void;
}

interface CallTrack {
  chart: string | null;
  deadlineAt: number | null;
  state?: { from: CallStateChange; to: CallStateChange };
  hangUpAt?: number;
  /** JSON of every notification item seen, to tell a duplicate from a new one. */
  readonly seen: Set<string>;
  /** The newest numeric etag received, to tell a notification that was overtaken. */
  newestEtag: number;
  /** The registry's news for the bot (`call.incoming`, …), shown after the step that made it. */
  news: DemoEventInput[];
}

export function createObserver(emit: Emit): Observer {
  const calls = new Map<string, CallTrack>();
  const trackOf = (callId: string): CallTrack => {
    let track = calls.get(callId);
    if (track === undefined) {
      track = { chart: null, deadlineAt: null, seen: new Set(), newestEtag: 0, news: [] };
      calls.set(callId, track);
    }
    return track;
  };

  function notification(n: CallNotification, bucket: Bucket): void {
    const track = trackOf(n.callId);
    const key = JSON.stringify(n.raw);
    const duplicate = track.seen.has(key);
    track.seen.add(key);
    const etag = numericEtag(n.etag);
    const outOfOrder = etag !== undefined && etag < track.newestEtag;
    if (etag !== undefined && etag > track.newestEtag) track.newestEtag = etag;
    emit({
      type: 'notification',
      callId: n.callId,
      changeType: n.changeType,
      resource: n.resource,
      ...(n.state !== undefined && { state: n.state }),
      ...(n.etag !== undefined && { etag: n.etag }),
      ...(n.operation !== undefined && {
        operation: {
          ...(n.operation.status !== undefined && { status: n.operation.status }),
          ...(n.operation.dataType !== undefined && {
            type: n.operation.dataType.replace(/^#?microsoft\.graph\./, ''),
          }),
        },
      }),
      ...(n.tone !== undefined && { tone: n.tone.tone }),
      bucket,
      duplicate,
      outOfOrder,
    });
  }

  // The registry announces a step's news before the inspector reports the step's snapshot; the
  // timeline reads better the other way round (the state changed, then the bot was told), so
  // the news waits for the snapshot, or for the end of the tick when the step moved nothing.
  function news(callId: string, event: DemoEventInput): void {
    const track = trackOf(callId);
    track.news.push(event);
    if (track.news.length === 1) queueMicrotask(() => flushNews(track));
  }

  function flushNews(track: CallTrack): void {
    const pending = track.news;
    track.news = [];
    for (const event of pending) emit(event);
  }

  // xstate reports a snapshot after every event an actor took, after the events the step
  // emitted (so `call.stateChanged` is already known here): one demo event per step.
  function onSnapshot(event: Extract<InspectionEvent, { type: '@xstate.snapshot' }>): void {
    const snapshot = readSnapshot(event.snapshot);
    if (snapshot === undefined) return;
    const { context } = snapshot;
    const track = trackOf(context.callId);
    const chart = chartPosition(snapshot.value);
    const deadlineAt = context.deadline?.at ?? null;
    const newDeadline = deadlineAt !== null && deadlineAt !== track.deadlineAt;
    const state = track.state;
    delete track.state;
    if (chart !== track.chart || state !== undefined || newDeadline) {
      emit({
        type: 'transition',
        callId: context.callId,
        on: event.event.type,
        chart: { from: track.chart, to: chart },
        ...(state !== undefined && { state }),
        ...(newDeadline &&
          context.deadline !== null && {
            deadline: {
              kind: context.deadline.kind,
              // Deadlines count from the `at` of the event that set them.
              inMs: Math.max(0, context.deadline.at - atOf(event.event)),
            },
          }),
      });
    }
    track.chart = chart;
    track.deadlineAt = deadlineAt;
    flushNews(track);
    if (snapshot.status === 'done' && context.outcome !== null) {
      emit({
        type: 'terminated',
        callId: context.callId,
        outcome: context.outcome,
        confirmedBy: confirmedBy(event.event.type),
        ...(track.hangUpAt !== undefined && {
          sinceHangUpMs: Math.round((performance.now() - track.hangUpAt) * 10) / 10,
        }),
      });
    }
  }

  return {
    inspect(event) {
      if (event.type === '@xstate.snapshot') onSnapshot(event);
    },
    attach(registry) {
      registry.on('call.notification', (e) =>
        notification(e.notification, e.verdict === 'apply' ? 'applied' : 'unchanged'),
      );
      registry.on('notification.ignored', (e) => notification(e.notification, e.verdict));
      registry.on('notification.subresource', (e) => notification(e.notification, 'subresource'));
      registry.on('notification.rejected', ({ rejection }) =>
        emit({ type: 'rejected', code: rejection.code, message: rejection.message }),
      );
      registry.on('call.stateChanged', (e) => {
        trackOf(e.callId).state = { from: e.from, to: e.to };
      });
      registry.on('call.incoming', (e) =>
        news(e.callId, {
          type: 'incoming',
          callId: e.callId,
          caller: describeParty(e.source),
          ...(e.source !== undefined && { source: e.source }),
        }),
      );
      registry.on('call.established', (e) =>
        news(e.callId, { type: 'established', callId: e.callId }),
      );
      registry.on('call.commandRejected', (e) =>
        news(e.callId, {
          type: 'commandRejected',
          callId: e.callId,
          verb: e.verb,
          state: e.state,
          phase: e.phase,
          reason: e.reason,
        }),
      );
      registry.on('call.commandFailed', (e) =>
        news(e.callId, {
          type: 'commandFailed',
          callId: e.callId,
          verb: e.verb,
          status: e.status,
          attempts: e.attempts,
          ...(e.error?.message !== undefined && { error: e.error.message }),
        }),
      );
      registry.on('call.transferFailed', (e) =>
        news(e.callId, {
          type: 'transferFailed',
          callId: e.callId,
          ...(e.resultInfo !== undefined && { resultInfo: e.resultInfo }),
        }),
      );
      registry.on('call.tone', (e) =>
        news(e.callId, {
          type: 'tone',
          callId: e.callId,
          tone: e.tone,
          sequenceId: e.sequenceId,
        }),
      );
      registry.on('operation.completed', ({ callId, operation: op }) =>
        news(callId, {
          type: 'operationCompleted',
          callId,
          kind: op.kind,
          ...(op.id !== undefined && { id: op.id }),
          ...(op.resultInfo !== undefined && { resultInfo: op.resultInfo }),
          ...(op.completionReason !== undefined && { completionReason: op.completionReason }),
          durationMs: Math.max(0, op.updatedAt - op.requestedAt),
        }),
      );
      registry.on('operation.failed', ({ callId, operation: op }) =>
        news(callId, {
          type: 'operationFailed',
          callId,
          kind: op.kind,
          ...(op.id !== undefined && { id: op.id }),
          ...(op.failure !== undefined && { failure: op.failure }),
          ...(op.resultInfo !== undefined && { resultInfo: op.resultInfo }),
          ...(op.completionReason !== undefined && { completionReason: op.completionReason }),
          ...(op.httpStatus !== undefined && { httpStatus: op.httpStatus }),
          ...(op.error?.message !== undefined && { error: op.error.message }),
          durationMs: Math.max(0, op.updatedAt - op.requestedAt),
        }),
      );
      registry.on('operation.rejected', (e) =>
        news(e.callId, {
          type: 'operationRejected',
          callId: e.callId,
          kind: e.kind,
          state: e.state,
          reason: e.reason,
        }),
      );
      registry.on('call.hangUpFailed', (e) =>
        emit({ type: 'hangUpFailed', callId: e.callId, status: e.status, attempts: e.attempts }),
      );
      registry.on('registry.error', (e) =>
        emit({
          type: 'registryError',
          ...(e.callId !== undefined && { callId: e.callId }),
          message: e.error.message,
        }),
      );
    },
    hungUp(callId) {
      trackOf(callId).hangUpAt = performance.now();
    },
  };
}

/**
 * Names a party as a person would: its display name (`Ada Lovelace`), else its kind and id
 * (`phone +14255550100`), from the first identity a caller is best named by.
 */
export function describeParty(party: CallParticipantInfo | undefined): string {
  if (party === undefined) return 'an unknown caller';
  for (const kind of IDENTITY_KINDS) {
    const identity = party.identity[kind];
    if (identity === undefined) continue;
    if (identity.displayName !== undefined) return identity.displayName;
    if (identity.id !== undefined) return `${kind} ${identity.id}`;
  }
  return 'an unknown caller';
}

/** `{ terminating: 'hangingUp' }` → `terminating.hangingUp`. */
export function chartPosition(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  return Object.entries(value)
    .map(([key, child]) => `${key}.${chartPosition(child)}`)
    .join(',');
}

// `W/"5445"` → 5445. Graph's etag order is undocumented; the demo only uses it to annotate.
function numericEtag(etag: string | undefined): number | undefined {
  const digits = /^(?:W\/)?"(\d+)"$/.exec(etag ?? '')?.[1];
  return digits === undefined ? undefined : Number(digits);
}

function atOf(event: { readonly type: string }): number {
  const at: unknown = (event as { readonly at?: unknown }).at;
  return typeof at === 'number' ? at : Date.now();
}

function confirmedBy(eventType: string): ConfirmedBy {
  if (eventType === 'notification') return 'notification';
  if (eventType === 'delete.failed') return 'delete';
  if (eventType === 'getCall.result') return 'getCall';
  return 'other';
}

interface CallSnapshotShape {
  readonly value: unknown;
  readonly status: string;
  readonly context: CallContext;
}

// Inspection hands snapshots over untyped (any actor could be inspected); only the call
// machine's have a context with a callId.
function readSnapshot(snapshot: unknown): CallSnapshotShape | undefined {
  if (typeof snapshot !== 'object' || snapshot === null) return undefined;
  const { value, status, context } = snapshot as Partial<Record<string, unknown>>;
  if (typeof status !== 'string' || typeof context !== 'object' || context === null) {
    return undefined;
  }
  if (typeof (context as Partial<CallView>).callId !== 'string') return undefined;
  return { value, status, context: context as CallContext };
}
