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
import { enqueueActions, setup } from 'xstate';
import { reducers, type Step } from './actions.js';
import { createCallContext, phaseOfContext } from './context.js';
import { guards } from './guards.js';
import type {
  CallContext,
  CallEmitted,
  CallEvent,
  CallInput,
  CallOutcome,
  KnownStateParams,
} from './types.js';

type Reducer = (context: CallContext, event: CallEvent) => Step;

function announceIfMoved(
  before: CallContext,
  after: CallContext,
  at: number,
): CallEmitted | undefined {
  if (before === after) return undefined;
  const from = { state: before.state, phase: phaseOfContext(before) };
  const to = { state: after.state, phase: phaseOfContext(after) };
  if (from.state === to.state && from.phase === to.phase) return undefined;
  return after.etag === null
    ? { type: 'call.stateChanged', callId: after.callId, from, to, at }
    : { type: 'call.stateChanged', callId: after.callId, from, to, etag: after.etag, at };
}

function perform(reducer: Reducer) {
  return enqueueActions<
    CallContext,
    CallEvent,
    undefined,
    CallEvent,
    never,
    never,
    never,
    never,
    CallEmitted
  >(({ context, event, enqueue }) => {
    const step = reducer(context, event);
    if (step.context !== context) enqueue.assign(() => step.context);
    for (const emitted of step.emitted ?? []) enqueue.emit(emitted);
    const moved = announceIfMoved(context, step.context, step.context.updatedAt);
    if (moved !== undefined) enqueue.emit(moved);
  });
}

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
    handOnSubresource: perform(reducers.handOnSubresource),
    announceDiscovery: perform(reducers.announceDiscovery),
    concludeAdopted: perform(reducers.concludeAdopted),
    handOnUnchanged: perform(reducers.handOnUnchanged),
    reportIgnored: perform(reducers.reportIgnored),
    applyNotification: perform(reducers.applyNotification),
    concludeByNotification: perform(reducers.concludeByNotification),
    beginHangUp: perform(reducers.beginHangUp),
    requestDelete: perform(reducers.requestDelete),
    armConfirmDeadline: perform(reducers.armConfirmDeadline),
    armRetryDeadline: perform(reducers.armRetryDeadline),
    clearDeadline: perform(reducers.clearDeadline),
    abandonHangUp: perform(reducers.abandonHangUp),
    requestGetCall: perform(reducers.requestGetCall),
    concludeGone: perform(reducers.concludeGone),
    concludeVerified: perform(reducers.concludeVerified),
    concludeUnconfirmed: perform(reducers.concludeUnconfirmed),
    announceTermination: perform(reducers.announceTermination),
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
      { guard: 'isUnchanged', actions: 'handOnUnchanged' },
      { ...applyAs('terminated'), target: '#call.terminated', actions: 'concludeByNotification' },
      {
        ...applyAs('terminating'),
        target: '#call.terminating.confirming',
        actions: ['applyNotification', 'armConfirmDeadline'],
      },
      { ...applyAs('incoming'), target: '#call.setup.incoming', actions: 'applyNotification' },
      { ...applyAs('ringing'), target: '#call.setup.ringing', actions: 'applyNotification' },
      {
        ...applyAs('redirecting'),
        target: '#call.setup.redirecting',
        actions: 'applyNotification',
      },
      {
        ...applyAs('establishing'),
        target: '#call.setup.establishing',
        actions: 'applyNotification',
      },
      {
        ...applyAs('established'),
        target: '#call.active.established',
        actions: 'applyNotification',
      },
      { ...applyAs('hold'), target: '#call.active.hold', actions: 'applyNotification' },
      {
        ...applyAs('transferring'),
        target: '#call.active.transferring',
        actions: 'applyNotification',
      },
      {
        ...applyAs('transferAccepted'),
        target: '#call.active.transferAccepted',
        actions: 'applyNotification',
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
        hangUp: { target: '#call.terminating.hangingUp', actions: 'beginHangUp' },
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
      tags: 'ending',
      initial: 'hangingUp',
      states: {
        hangingUp: {
          description:
            'A DELETE is in flight (emitted as graph.deleteCall on entry); waiting for its result.',
          entry: 'requestDelete',
          on: {
            'delete.succeeded': { target: 'confirming', actions: 'armConfirmDeadline' },
            'delete.failed': [
              { guard: 'isGone', target: '#call.terminated', actions: 'concludeGone' },
              { guard: 'canRetryDelete', target: 'retryWait', actions: 'armRetryDeadline' },
              { guard: 'wasActive', target: '#call.active.hist', actions: 'abandonHangUp' },
              { target: '#call.setup.hist', actions: 'abandonHangUp' },
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
          entry: 'requestGetCall',
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
