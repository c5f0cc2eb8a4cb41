import type { ActorRefLike, InspectionEvent, Observer } from 'xstate';
import type { callMachine } from './callMachine.js';
import type { CallSnapshot } from './stepCall.js';
import type { CallEvent } from './types.js';

/** An xstate inspection observer: `@statelyai/inspect`'s `inspect`, or any function or observer. */
export type CallInspector = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/** What the registry tells an inspector: each call it touches, and each step it commits. */
export interface InspectionFeed {
  /** A committed step; `event` is `undefined` for the call's first snapshot (reported as `xstate.init`). */
  step(callId: string, event: CallEvent | undefined, snapshot: CallSnapshot): void;
  forget(callId: string): void;
}

interface InspectedCall {
  readonly ref: ActorRefLike;
  snapshot: CallSnapshot;
}

/**
 * Feeds an inspector from the registry's steps, in the shape xstate's own actors report
 * (`@xstate.actor` once per call, then `@xstate.event` and `@xstate.snapshot` per step), so the
 * Stately inspector shows every call live although no call runs as an actor. Each call appears
 * as a root actor whose id is the call id, running the call machine's definition.
 */
export function createInspectionFeed(
  inspect: CallInspector,
  machine: typeof callMachine,
): InspectionFeed {
  const calls = new Map<string, InspectedCall>();
  const tell = (event: InspectionEvent): void => {
    if (typeof inspect === 'function') inspect(event);
    else inspect.next?.(event);
  };
  return {
    step(callId, event, snapshot) {
      let call = calls.get(callId);
      // A call's first snapshot, however it was made (tracked, or discovered by a notification
      // the snapshot already holds), is its start, as an actor's would be.
      const told = call === undefined || event === undefined ? { type: 'xstate.init' } : event;
      if (call === undefined) {
        const made: InspectedCall = {
          snapshot,
          // What inspectors read of an actor: its ids, its logic (for the chart) and snapshot.
          // Root actors have their session id as id; the inspector then names them after the
          // machine (`call`) and tells calls apart by session.
          ref: {
            id: `call:${callId}`,
            sessionId: `call:${callId}`,
            logic: machine,
            send: () => {},
            getSnapshot: () => made.snapshot,
          } as ActorRefLike,
        };
        call = made;
        calls.set(callId, call);
        tell({ type: '@xstate.actor', actorRef: call.ref, rootId: call.ref.sessionId });
      }
      call.snapshot = snapshot;
      const rootId = call.ref.sessionId;
      tell({
        type: '@xstate.event',
        actorRef: call.ref,
        rootId,
        event: told,
        sourceRef: undefined,
      });
      tell({ type: '@xstate.snapshot', actorRef: call.ref, rootId, event: told, snapshot });
    },
    forget(callId) {
      calls.delete(callId);
    },
  };
}
