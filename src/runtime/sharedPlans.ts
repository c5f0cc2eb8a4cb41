/**
 * The pure part of the shared registry: what one event does to a stored call (the news to hand
 * on and the snapshot to commit, if it moved), and when some instance must look at the call
 * next. No I/O here; `createSharedCallRegistry` loads, commits and performs.
 * @module
 */
import type { CallNotification } from '../graph/notification.js';
import type { callMachine } from '../machine/callMachine.js';
import { classifyNotification } from '../machine/classifyNotification.js';
import { verdictOf } from '../machine/guards.js';
import type { CallSnapshot } from '../machine/stepCall.js';
import type {
  CallEmitted,
  CallEvent,
  CallOptions,
  CallView,
  NotificationVerdict,
} from '../machine/types.js';
import type { DueChange } from './sharedCallStore.js';
import { hasMoved, startSnapshot, stepSnapshot } from './sharedSnapshot.js';

/** A stored call as one instance last saw it. Version 0: tracked there, not yet committed. */
export interface Known {
  readonly version: number;
  readonly savedAt: number;
  readonly snapshot: CallSnapshot;
  readonly view: CallView;
}

/** What one event does to a call: news to hand on, and the snapshot to commit when it moved. */
export interface Plan<T> {
  readonly result: T;
  readonly emitted: readonly CallEmitted[];
  readonly write?: CallSnapshot;
}

/** How a notification was judged, and whether it made the call known. */
export interface NotificationOutcome {
  readonly verdict: NotificationVerdict;
  readonly discovered: boolean;
}

/** When the due time of a call is computed: the lease of a command, the keepAlive period. */
export interface DueTiming {
  readonly leaseMs: number;
  readonly keepAliveMs: number;
}

type CallMachine = typeof callMachine;

const CLEAR: DueChange = { kind: 'clear' };

export function planNotification(
  machine: CallMachine,
  callOptions: CallOptions,
  notification: CallNotification,
  at: number,
  current: Known | undefined,
): Plan<NotificationOutcome> {
  const callId = notification.callId;
  if (current === undefined) {
    if (notification.resource !== 'call') {
      return {
        result: { verdict: 'subresource', discovered: false },
        emitted: [{ type: 'notification.subresource', callId, notification, at }],
      };
    }
    const started = startSnapshot(machine, {
      callId,
      discoveredBy: notification,
      at,
      options: callOptions,
    });
    return {
      result: { verdict: 'apply', discovered: true },
      emitted: started.emitted,
      write: started.snapshot,
    };
  }
  const snapshot = current.snapshot;
  if (snapshot.status !== 'active') {
    // An ended call's machine is final and takes no events: judge with the same rules here.
    const subresource = classifyNotification(current.view, notification) === 'subresource';
    return {
      result: { verdict: subresource ? 'subresource' : 'late', discovered: false },
      emitted: [
        subresource
          ? { type: 'notification.subresource', callId, notification, at }
          : { type: 'notification.ignored', callId, notification, verdict: 'late', at },
      ],
    };
  }
  const event: CallEvent = { type: 'notification', notification, at };
  // The guards ask for the same verdict and get it from the memo: one classification.
  const verdict = verdictOf(snapshot.context, event) ?? 'unchanged';
  const step = stepSnapshot(machine, snapshot, event);
  const result = { verdict, discovered: false };
  return hasMoved(snapshot, step.snapshot)
    ? { result, emitted: step.emitted, write: step.snapshot }
    : { result, emitted: step.emitted };
}

/** Any other event: resolves whether it moved the call. Unknown and ended calls take none. */
export function planEvent(
  machine: CallMachine,
  event: CallEvent,
  current: Known | undefined,
): Plan<boolean> {
  if (current === undefined || current.snapshot.status !== 'active') {
    return { result: false, emitted: [] };
  }
  const step = stepSnapshot(machine, current.snapshot, event);
  return hasMoved(current.snapshot, step.snapshot)
    ? { result: true, emitted: step.emitted, write: step.snapshot }
    : { result: false, emitted: step.emitted };
}

/** The earliest moment some instance must look at the call again, from the snapshot committed. */
export function dueChangeOf(
  next: CallSnapshot,
  previous: CallSnapshot | undefined,
  now: number,
  timing: DueTiming,
): DueChange {
  if (next.status !== 'active') return CLEAR;
  // A request in flight: if it is still in flight after the lease, its instance is gone.
  if (next.matches({ terminating: 'hangingUp' }) || next.matches({ terminating: 'verifying' })) {
    return { kind: 'set', at: now + timing.leaseMs };
  }
  const deadline = next.context.deadline;
  if (deadline !== null) return { kind: 'set', at: deadline.at };
  if (timing.keepAliveMs > 0 && next.hasTag('active')) {
    // The keepAlive period runs from when the call became active, not from its last change.
    const wasActive = previous?.status === 'active' && previous.hasTag('active');
    return { kind: wasActive ? 'keep' : 'set', at: now + timing.keepAliveMs };
  }
  return CLEAR;
}

/** A hang-up is in progress until its DELETE was taken (or the call is known gone). */
export function isHangUpPending(snapshot: CallSnapshot): boolean {
  return (
    snapshot.status === 'active' &&
    (snapshot.matches({ terminating: 'hangingUp' }) ||
      snapshot.matches({ terminating: 'retryWait' }))
  );
}

/** The same stored record: same version, same save. */
export function sameRecord(a: Known | undefined, b: Known | undefined): boolean {
  return a === b || (a?.version === b?.version && a?.savedAt === b?.savedAt);
}
