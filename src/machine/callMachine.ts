/**
 * The lifecycle of one Microsoft Graph call, as an xstate v5 statechart.
 *
 * ```
 * call
 * ├─ starting      transient: enters the state named by input.state
 * ├─ setup         tag 'setup'        incoming · ringing · redirecting · establishing   (+ history)
 * │                                   setupTimeoutMs ─► GET ─404─► terminated (gone)
 * ├─ active        tag 'active'       established · hold · transferring · transferAccepted   (+ history)
 * ├─ terminating   tag 'terminating'  hangingUp ─204─► confirming ─deadline─► verifying ─404─► terminated
 * │                                   hangingUp ─429/5xx/no answer─► retryWait ─deadline─► hangingUp
 * │                                   hangingUp ─403…─► back to setup/active (history)
 * └─ terminated    final              output: CallOutcome
 * ```
 *
 * The machine is pure: no `invoke`, no `after`, no clock, no I/O. Effects leave as emitted
 * events (`graph.deleteCall`, `graph.getCall` for the runtime; `call.*` and
 * `notification.ignored` for the bot), and time enters as the `at` of each event. Deadlines
 * are absolute times in `context.deadline`; whoever runs the machine arms a timer for them and
 * sends `deadline.reached`. Every state that waits for a request's answer has one, so no call
 * waits forever. Notifications are judged by {@link classifyNotification}. `call.stateChanged`
 * is derived by `startCall`/`stepCall` from the views before and after each step.
 *
 * @example
 * ```ts
 * import { createActor } from 'xstate';
 * import { callMachine, parseNotifications } from 'graph-call-machine';
 *
 * const call = createActor(callMachine, { input: { callId: 'abc', state: 'established' } });
 * call.on('graph.deleteCall', (cmd) => console.log('DELETE', cmd.callId, 'attempt', cmd.attempt));
 * call.on('call.terminated', ({ outcome }) => console.log('ended:', outcome.reason));
 * call.start();
 *
 * call.send({ type: 'hangUp', at: Date.now() });           // emits graph.deleteCall
 * call.send({ type: 'delete.succeeded', at: Date.now() }); // 204: now confirming
 * for (const n of parseNotifications(webhookBody).notifications) {
 *   call.send({ type: 'notification', notification: n, at: Date.now() });
 * }
 * ```
 * @module
 */
import { assign, emit, enqueueActions, raise, setup } from 'xstate';
import type { KnownCallState } from '../graph/callState.js';
import {
  announcements,
  discoveryAnnouncement,
  overdue,
  type UpdateName,
  updates,
} from './actions.js';
import { createCallContext } from './context.js';
import { guards } from './guards.js';
import type { CallContext, CallEmitted, CallEvent, CallInput, CallOutcome } from './types.js';

type Args = { readonly context: CallContext; readonly event: CallEvent };

const update = (name: UpdateName) =>
  assign<CallContext, CallEvent, undefined, CallEvent, never>(({ context, event }: Args) =>
    updates[name](context, event),
  );

const announce = (name: keyof typeof announcements) =>
  emit<CallContext, CallEvent, undefined, CallEvent, CallEmitted>(({ context, event }: Args) =>
    announcements[name](context, event),
  );

/**
 * Where each live Graph state lives in the chart. The notification that reports a state, and an
 * input that starts a call in it, both lead there; adding a state is one line here.
 */
const STATE_NODES = {
  incoming: 'setup.incoming',
  ringing: 'setup.ringing',
  redirecting: 'setup.redirecting',
  establishing: 'setup.establishing',
  established: 'active.established',
  hold: 'active.hold',
  transferring: 'active.transferring',
  transferAccepted: 'active.transferAccepted',
} as const satisfies Record<Exclude<KnownCallState, 'terminating' | 'terminated'>, string>;

const LIVE_STATES = Object.keys(STATE_NODES) as (keyof typeof STATE_NODES)[];

const appliesAs = (state: KnownCallState) => ({ type: 'appliesAs', params: { state } }) as const;

const startsIn = (state: KnownCallState) => ({ type: 'startsIn', params: { state } }) as const;

/** A notification that moves the call into a live state. */
const applyTransitions = LIVE_STATES.map((state) => ({
  guard: appliesAs(state),
  target: `#call.${STATE_NODES[state]}`,
  actions: ['handOnApplied', 'applyNotification'] as const,
}));

/** An input that starts the call in a live state (establishing is the default, last branch). */
const startTransitions = LIVE_STATES.filter((state) => state !== 'establishing').map((state) => ({
  guard: startsIn(state),
  target: STATE_NODES[state],
}));

/**
 * The call lifecycle statechart (id `call`). Create one actor per call with
 * `createActor(callMachine, { input: { callId } })`, or drive it without an actor through
 * `startCall` / `stepCall`.
 */
export const callMachine = setup({
  types: {
    context: {} as CallContext,
    events: {} as CallEvent,
    input: {} as CallInput,
    output: {} as CallOutcome,
    emitted: {} as CallEmitted,
  },
  guards,
  actions: {
    handOnSubresource: announce('handOnSubresource'),
    handOnUnchanged: announce('handOnUnchanged'),
    handOnApplied: announce('handOnApplied'),
    reportIgnored: announce('reportIgnored'),
    requestDelete: announce('requestDelete'),
    requestGetCall: announce('requestGetCall'),
    reportHangUpFailed: announce('reportHangUpFailed'),
    announceTermination: announce('announceTermination'),
    // The one announcement that may have nothing to say: only a call found through a
    // notification hands it on. It runs once per call, at start.
    announceDiscovery: enqueueActions(({ context, event, enqueue }) => {
      const found = discoveryAnnouncement(context, event);
      if (found !== undefined) enqueue.emit(found);
    }),
    // A request with no answer in time is a transient failure: the same event a network error
    // brings, so it is retried (or given up) by the same rules.
    failOverdueDelete: raise(({ context, event }: Args) => overdue.delete(context, event)),
    failOverdueGetCall: raise(({ context, event }: Args) => overdue.getCall(context, event)),
    applyNotification: update('applyNotification'),
    learnEtag: update('learnEtag'),
    concludeByNotification: update('concludeByNotification'),
    concludeAdopted: update('concludeAdopted'),
    beginHangUp: update('beginHangUp'),
    countDeleteAttempt: update('countDeleteAttempt'),
    armRequestDeadline: update('armRequestDeadline'),
    armSetupDeadline: update('armSetupDeadline'),
    armConfirmDeadline: update('armConfirmDeadline'),
    armRetryDeadline: update('armRetryDeadline'),
    clearDeadline: update('clearDeadline'),
    abandonHangUp: update('abandonHangUp'),
    countVerification: update('countVerification'),
    concludeGone: update('concludeGone'),
    concludeVerified: update('concludeVerified'),
    concludeUnconfirmed: update('concludeUnconfirmed'),
  },
}).createMachine({
  id: 'call',
  description:
    'The lifecycle of one Microsoft Graph call, reconciled from change notifications and the results of the DELETE and GET requests it asks for.',
  context: ({ input }) => createCallContext(input),
  initial: 'starting',
  output: ({ context }) => context.outcome as CallOutcome,
  on: {
    notification: [
      { guard: 'isSubresource', actions: 'handOnSubresource' },
      { guard: 'isStale', actions: 'reportIgnored' },
      { guard: 'isUnchanged', actions: ['handOnUnchanged', 'learnEtag'] },
      {
        guard: appliesAs('terminated'),
        target: '#call.terminated',
        actions: ['handOnApplied', 'concludeByNotification'],
      },
      {
        guard: appliesAs('terminating'),
        target: '#call.terminating.confirming',
        actions: ['handOnApplied', 'applyNotification', 'armConfirmDeadline'],
      },
      ...applyTransitions,
    ],
  },
  states: {
    starting: {
      description:
        'Transient: enters the state named by input.state, or reported by the notification the call was discovered in (default establishing, the state of a freshly created call).',
      entry: 'announceDiscovery',
      always: [
        ...startTransitions,
        {
          guard: startsIn('terminating'),
          target: 'terminating.confirming',
          actions: 'armConfirmDeadline',
        },
        { guard: startsIn('terminated'), target: 'terminated', actions: 'concludeAdopted' },
        { target: 'setup.establishing' },
      ],
    },
    setup: {
      description:
        'The call is being set up: offered to the bot, ringing, being redirected, or connecting media. Not yet talking. If it is still here setupTimeoutMs after it arrived, Graph is asked whether it still exists.',
      tags: 'setup',
      initial: 'establishing',
      entry: 'armSetupDeadline',
      on: {
        hangUp: { target: '#call.terminating.hangingUp', actions: 'beginHangUp' },
        'deadline.reached': [
          { guard: 'setupTimedOut', actions: ['requestGetCall', 'armRequestDeadline'] },
          { guard: 'requestTimedOut', actions: 'failOverdueGetCall' },
        ],
        'getCall.result': [
          { guard: 'setupCheckFoundGone', target: '#call.terminated', actions: 'concludeGone' },
          // Graph still has the call (or did not answer): look again after another setupTimeoutMs.
          { guard: 'awaitsSetupCheck', actions: ['clearDeadline', 'armSetupDeadline'] },
        ],
      },
      states: {
        incoming: {
          description:
            'Graph offers an incoming call to the bot (created notification); it may answer, reject or redirect it.',
        },
        ringing: {
          description: 'The far end is being alerted (beta, and 2018-era payloads).',
        },
        redirecting: {
          description: 'The bot asked Graph to redirect the incoming call elsewhere.',
        },
        establishing: {
          description:
            'The call was answered or placed and media is being connected. A freshly created call reports this state.',
        },
        hist: {
          type: 'history',
          description: 'Where a failed hang-up returns to when the call was still being set up.',
        },
      },
    },
    active: {
      description: 'The call is connected: established, on hold, or being transferred.',
      tags: 'active',
      initial: 'established',
      on: {
        hangUp: { target: '#call.terminating.hangingUp', actions: 'beginHangUp' },
        // keepAlives are sent only while the call is active; a 404 for one that comes back
        // later, while ending, is left to the deadline and the verifying GET.
        'keepAlive.result': {
          guard: 'isGone',
          target: '#call.terminated',
          actions: 'concludeGone',
        },
      },
      states: {
        established: {
          description:
            'Connected and talking. Tone, roster and media updates arrive as unchanged notifications in this state.',
        },
        hold: { description: 'Connected, on hold.' },
        transferring: {
          description: 'A transfer was requested; if it fails the call returns to established.',
        },
        transferAccepted: {
          description:
            'The transfer target accepted; the call will end (transferred) or fall back to established if the transfer fails.',
        },
        hist: {
          type: 'history',
          description: 'Where a failed hang-up returns to when the call was connected.',
        },
      },
    },
    terminating: {
      description:
        'The call is ending: the bot asked to hang up, or Graph reported terminating. A second hangUp here does nothing, so one hang-up sends one DELETE.',
      tags: 'terminating',
      initial: 'hangingUp',
      states: {
        hangingUp: {
          description:
            'A DELETE is in flight (emitted as graph.deleteCall on entry); waiting for its result until requestTimeoutMs, after which it counts as a transient failure.',
          entry: ['requestDelete', 'countDeleteAttempt', 'armRequestDeadline'],
          on: {
            'delete.succeeded': { target: 'confirming', actions: 'armConfirmDeadline' },
            'delete.failed': [
              { guard: 'isGone', target: '#call.terminated', actions: 'concludeGone' },
              { guard: 'canRetryDelete', target: 'retryWait', actions: 'armRetryDeadline' },
              {
                guard: 'wasActive',
                target: '#call.active.hist',
                actions: ['reportHangUpFailed', 'abandonHangUp'],
              },
              { target: '#call.setup.hist', actions: ['reportHangUpFailed', 'abandonHangUp'] },
            ],
            'deadline.reached': { guard: 'deadlineDue', actions: 'failOverdueDelete' },
          },
        },
        retryWait: {
          description:
            'The DELETE was throttled, failed transiently or went unanswered; waiting until the Retry-After (or backoff) deadline to send it again. A late 204 for the earlier DELETE still counts.',
          on: {
            'deadline.reached': {
              guard: 'deadlineDue',
              target: 'hangingUp',
              actions: 'clearDeadline',
            },
            'delete.succeeded': { target: 'confirming', actions: 'armConfirmDeadline' },
          },
        },
        confirming: {
          description:
            'Graph accepted the hang-up or reported terminating; waiting for the terminated notification until the confirm deadline.',
          on: {
            'deadline.reached': {
              guard: 'deadlineDue',
              target: 'verifying',
              actions: 'clearDeadline',
            },
          },
        },
        verifying: {
          description:
            'The terminated notification is overdue; asking Graph for the call (graph.getCall on entry). 404 means it is over; no answer within requestTimeoutMs counts as a failed GET.',
          entry: ['requestGetCall', 'countVerification', 'armRequestDeadline'],
          on: {
            'getCall.result': [
              {
                guard: 'isConfirmedEnded',
                target: '#call.terminated',
                actions: 'concludeVerified',
              },
              { guard: 'canVerifyAgain', target: 'confirming', actions: 'armConfirmDeadline' },
              { target: '#call.terminated', actions: 'concludeUnconfirmed' },
            ],
            'deadline.reached': { guard: 'deadlineDue', actions: 'failOverdueGetCall' },
          },
        },
      },
    },
    terminated: {
      description:
        'The call is over; context.outcome (and the machine output) says why. Final: later notifications are late.',
      type: 'final',
      entry: 'announceTermination',
    },
  },
});
