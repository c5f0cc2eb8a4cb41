/**
 * The lifecycle of one Microsoft Graph call, as an xstate v5 statechart.
 *
 * ```
 * call
 * ├─ starting      transient: enters the state named by input.state
 * ├─ setup         tag 'setup'    incoming · ringing · redirecting · establishing   (+ history)
 * ├─ active        tag 'active'   established · hold · transferring · transferAccepted   (+ history)
 * ├─ terminating   tag 'ending'   hangingUp ─204─► confirming ─deadline─► verifying ─404─► terminated
 * │                               hangingUp ─429/5xx─► retryWait ─deadline─► hangingUp
 * │                               hangingUp ─403…─► back to setup/active (history)
 * └─ terminated    final          output: CallOutcome
 * ```
 *
 * The machine is pure: no `invoke`, no `after`, no clock, no I/O. Effects leave as emitted
 * events (`graph.deleteCall`, `graph.getCall` for the runtime; `call.*` and
 * `notification.ignored` for the bot), and time enters as the `at` of each event. Deadlines
 * are absolute times in `context.deadline`; whoever runs the machine arms a timer for them and
 * sends `deadline.reached`. Notifications are judged by {@link classifyNotification}.
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
import { assign, emit, enqueueActions, setup } from 'xstate';
import {
  announcements,
  discoveryAnnouncement,
  stateChangeBy,
  type UpdateName,
  updates,
} from './actions.js';
import { createCallContext } from './context.js';
import { guards } from './guards.js';
import type {
  CallContext,
  CallEmitted,
  CallEvent,
  CallInput,
  CallOutcome,
  KnownStateParams,
} from './types.js';

type Args = { readonly context: CallContext; readonly event: CallEvent };

const update = (name: UpdateName) =>
  assign<CallContext, CallEvent, undefined, CallEvent, never>(({ context, event }: Args) =>
    updates[name](context, event),
  );

const announce = (name: keyof typeof announcements) =>
  emit<CallContext, CallEvent, undefined, CallEvent, CallEmitted>(({ context, event }: Args) =>
    announcements[name](context, event),
  );

// `call.stateChanged` is announced before the update that makes the move, from the context
// as it was; the params name that update.
const changeThrough = (by: UpdateName) =>
  ({ type: 'announceStateChange', params: { by } }) as const;

const applyAs = (state: KnownStateParams['state']) =>
  ({ guard: { type: 'appliesAs', params: { state } } }) as const;

const startIn = (state: KnownStateParams['state']) =>
  ({ guard: { type: 'startsIn', params: { state } } }) as const;

/**
 * The call lifecycle statechart (id `call`). Create one actor per call with
 * `createActor(callMachine, { input: { callId } })`, or drive it without an actor through
 * `initialTransition` / `transition` from `xstate`.
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
    announceStateChange: emit<CallContext, CallEvent, { by: UpdateName }, CallEvent, CallEmitted>(
      ({ context, event }: Args, params: { by: UpdateName }) =>
        stateChangeBy(params.by, context, event),
    ),
    // The one announcement that may have nothing to say: only a call found through a
    // notification hands it on. It runs once per call, at start.
    announceDiscovery: enqueueActions(({ context, event, enqueue }) => {
      const found = discoveryAnnouncement(context, event);
      if (found !== undefined) enqueue.emit(found);
    }),
    applyNotification: update('applyNotification'),
    learnEtag: update('learnEtag'),
    concludeByNotification: update('concludeByNotification'),
    concludeAdopted: update('concludeAdopted'),
    beginHangUp: update('beginHangUp'),
    countDeleteAttempt: update('countDeleteAttempt'),
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
        ...applyAs('terminated'),
        target: '#call.terminated',
        actions: [
          'handOnApplied',
          changeThrough('concludeByNotification'),
          'concludeByNotification',
        ],
      },
      {
        ...applyAs('terminating'),
        target: '#call.terminating.confirming',
        actions: [
          'handOnApplied',
          changeThrough('applyNotification'),
          'applyNotification',
          'armConfirmDeadline',
        ],
      },
      {
        ...applyAs('incoming'),
        target: '#call.setup.incoming',
        actions: ['handOnApplied', changeThrough('applyNotification'), 'applyNotification'],
      },
      {
        ...applyAs('ringing'),
        target: '#call.setup.ringing',
        actions: ['handOnApplied', changeThrough('applyNotification'), 'applyNotification'],
      },
      {
        ...applyAs('redirecting'),
        target: '#call.setup.redirecting',
        actions: ['handOnApplied', changeThrough('applyNotification'), 'applyNotification'],
      },
      {
        ...applyAs('establishing'),
        target: '#call.setup.establishing',
        actions: ['handOnApplied', changeThrough('applyNotification'), 'applyNotification'],
      },
      {
        ...applyAs('established'),
        target: '#call.active.established',
        actions: ['handOnApplied', changeThrough('applyNotification'), 'applyNotification'],
      },
      {
        ...applyAs('hold'),
        target: '#call.active.hold',
        actions: ['handOnApplied', changeThrough('applyNotification'), 'applyNotification'],
      },
      {
        ...applyAs('transferring'),
        target: '#call.active.transferring',
        actions: ['handOnApplied', changeThrough('applyNotification'), 'applyNotification'],
      },
      {
        ...applyAs('transferAccepted'),
        target: '#call.active.transferAccepted',
        actions: ['handOnApplied', changeThrough('applyNotification'), 'applyNotification'],
      },
    ],
  },
  states: {
    starting: {
      description:
        'Transient: enters the state named by input.state, or reported by the notification the call was discovered in (default establishing, the state of a freshly created call).',
      entry: 'announceDiscovery',
      always: [
        { ...startIn('incoming'), target: 'setup.incoming' },
        { ...startIn('ringing'), target: 'setup.ringing' },
        { ...startIn('redirecting'), target: 'setup.redirecting' },
        { ...startIn('established'), target: 'active.established' },
        { ...startIn('hold'), target: 'active.hold' },
        { ...startIn('transferring'), target: 'active.transferring' },
        { ...startIn('transferAccepted'), target: 'active.transferAccepted' },
        {
          ...startIn('terminating'),
          target: 'terminating.confirming',
          actions: 'armConfirmDeadline',
        },
        { ...startIn('terminated'), target: 'terminated', actions: 'concludeAdopted' },
        { target: 'setup.establishing' },
      ],
    },
    setup: {
      description:
        'The call is being set up: offered to the bot, ringing, being redirected, or connecting media. Not yet talking.',
      tags: 'setup',
      initial: 'establishing',
      on: {
        hangUp: {
          target: '#call.terminating.hangingUp',
          actions: [changeThrough('beginHangUp'), 'beginHangUp'],
        },
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
        hangUp: {
          target: '#call.terminating.hangingUp',
          actions: [changeThrough('beginHangUp'), 'beginHangUp'],
        },
        // keepAlives are sent only while the call is active; a 404 for one that comes back
        // later, while ending, is left to the deadline and the verifying GET.
        'keepAlive.result': {
          guard: 'isGone',
          target: '#call.terminated',
          actions: [changeThrough('concludeGone'), 'concludeGone'],
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
      tags: 'ending',
      initial: 'hangingUp',
      states: {
        hangingUp: {
          description:
            'A DELETE is in flight (emitted as graph.deleteCall on entry); waiting for its result.',
          entry: ['requestDelete', 'countDeleteAttempt'],
          on: {
            'delete.succeeded': { target: 'confirming', actions: 'armConfirmDeadline' },
            'delete.failed': [
              {
                guard: 'isGone',
                target: '#call.terminated',
                actions: [changeThrough('concludeGone'), 'concludeGone'],
              },
              { guard: 'canRetryDelete', target: 'retryWait', actions: 'armRetryDeadline' },
              {
                guard: 'wasActive',
                target: '#call.active.hist',
                actions: ['reportHangUpFailed', changeThrough('abandonHangUp'), 'abandonHangUp'],
              },
              {
                target: '#call.setup.hist',
                actions: ['reportHangUpFailed', changeThrough('abandonHangUp'), 'abandonHangUp'],
              },
            ],
          },
        },
        retryWait: {
          description:
            'The DELETE was throttled or failed transiently; waiting until the Retry-After (or backoff) deadline to send it again.',
          on: {
            'deadline.reached': {
              guard: 'deadlineDue',
              target: 'hangingUp',
              actions: 'clearDeadline',
            },
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
            'The terminated notification is overdue; asking Graph for the call (graph.getCall on entry). 404 means it is over.',
          entry: ['requestGetCall', 'countVerification'],
          on: {
            'getCall.result': [
              {
                guard: 'isConfirmedEnded',
                target: '#call.terminated',
                actions: [changeThrough('concludeVerified'), 'concludeVerified'],
              },
              { guard: 'canVerifyAgain', target: 'confirming', actions: 'armConfirmDeadline' },
              {
                target: '#call.terminated',
                actions: [changeThrough('concludeUnconfirmed'), 'concludeUnconfirmed'],
              },
            ],
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
