/**
 * The lifecycle of one Microsoft Graph call, as an xstate v5 statechart.
 *
 * ```
 * call
 * ├─ starting      transient: enters the state named by input.state
 * ├─ setup         tag 'setup'        incoming · ringing · redirecting · establishing   (+ history)
 * │                                   incoming: answer / reject / redirect ─► graph.*Call ─202─► accepted
 * │                                   answer window (15 s) ─► GET ─404─► terminated (missed)
 * │                                   setupTimeoutMs ─► GET ─404─► terminated (gone)
 * ├─ active        tag 'active'       established · hold · transferring · transferAccepted   (+ history)
 * │                                   established: transfer ─► graph.transferCall ─202─► accepted
 * │                                   transferring ─established─► established (call.transferFailed)
 * ├─ terminating   tag 'terminating'  hangingUp ─204─► confirming ─deadline─► verifying ─404─► terminated
 * │                                   hangingUp ─429/5xx/no answer─► retryWait ─deadline─► hangingUp
 * │                                   hangingUp ─403…─► back to setup/active (history)
 * └─ terminated    final              output: CallOutcome
 * ```
 *
 * The machine is pure: no `invoke`, no `after`, no clock, no I/O. Effects leave as emitted
 * events (`graph.deleteCall`, `graph.getCall` and the call-control commands
 * `graph.answerCall`, `graph.rejectCall`, `graph.redirectCall`, `graph.transferCall` for the
 * runtime; `call.*` and `notification.*` for the bot), and time enters as the `at` of each
 * event. The bot's intents (`hangUp`, `answer`, `reject`, `redirect`, `transfer`) are events
 * too: each is judged against the call's state, so one intent sends one request and an intent
 * the state cannot take sends nothing (`call.commandRejected`). The command in progress lives in
 * `context.command`, orthogonal to Graph's state, because notifications may overtake its 202.
 * Deadlines are absolute times in `context.deadline`; whoever runs the machine arms a timer for
 * them and sends `deadline.reached`. Every state that waits for a request's answer has one, so
 * no call waits forever. Notifications are judged by {@link classifyNotification}.
 * `call.stateChanged` is derived by `startCall`/`stepCall` from the views before and after each
 * step.
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
  establishedAnnouncement,
  incomingAnnouncement,
  overdue,
  type UpdateName,
  updates,
} from './actions.js';
import { createCallContext } from './context.js';
import { guards } from './guards.js';
import {
  endOperations,
  recordRequestFailure,
  recordResponse,
  rejectOperation,
  runDueOperations,
  startOperation,
  trackOperation,
} from './operations.js';
import { trackRoster } from './roster.js';
import { atOf } from './timing.js';
import { hearTone } from './tones.js';
import type { CallContext, CallEmitted, CallEvent, CallInput, CallOutcome } from './types.js';

type Args = { readonly context: CallContext; readonly event: CallEvent };

const update = (name: UpdateName) =>
  assign<CallContext, CallEvent, undefined, CallEvent, never>(({ context, event }: Args) =>
    updates[name](context, event),
  );

type Reducer = (
  context: CallContext,
  event: CallEvent,
) => { readonly context: CallContext; readonly emitted: readonly CallEmitted[] };

/** A pure reducer of a call's parts (operations, roster, tones): its context and its news. */
const reduce = (reducer: Reducer) =>
  enqueueActions<
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
    for (const news of step.emitted) enqueue.emit(news);
  });

const NOTHING = { emitted: [] } as const;

/** A notification on a sub-resource of the call: an operation's progress, or the roster. */
const trackSubresource: Reducer = (context, event) => {
  if (event.type !== 'notification') return { context, ...NOTHING };
  const n = event.notification;
  if (n.resource === 'operation') return trackOperation(context, n, event.at);
  if (n.resource === 'participants') return trackRoster(context, n, event.at);
  return { context, ...NOTHING };
};

const hearToneOf: Reducer = (context, event) =>
  event.type === 'notification'
    ? hearTone(context, event.notification, event.at)
    : { context, ...NOTHING };

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
  actions: ['handOnApplied', 'applyNotification', 'hearTone'] as const,
}));

/** An input that starts the call in a live state (establishing is the default, last branch). */
const startTransitions = LIVE_STATES.filter((state) => state !== 'establishing').map((state) => ({
  guard: startsIn(state),
  target: STATE_NODES[state],
}));

// The results of a command's request, in the states it can be in flight from. In setup the
// state's own deadline (the answer window, or the wait for established) is armed again once the
// command no longer holds it.
const commandAccepted = { guard: 'awaitsCommandResult', actions: 'acceptCommand' } as const;
const commandAcceptedInSetup = {
  guard: 'awaitsCommandResult',
  actions: ['acceptCommand', 'armSetupDeadline'],
} as const;
// Reported as failed too, so that whoever awaits the command learns Graph's 404 and its error.
const commandGone = {
  guard: 'commandFoundGone',
  target: '#call.terminated',
  actions: ['reportCommandFailed', 'concludeGone'],
} as const;
const commandRetried = { guard: 'canRetryCommand', actions: 'armCommandRetry' } as const;
const commandFailed = [
  commandGone,
  commandRetried,
  { guard: 'awaitsCommandResult', actions: ['reportCommandFailed', 'dropCommand'] },
] as const;
const commandFailedInSetup = [
  commandGone,
  commandRetried,
  {
    guard: 'awaitsCommandResult',
    actions: ['reportCommandFailed', 'dropCommand', 'armSetupDeadline'],
  },
] as const;

/** An intent the state cannot take: reported, nothing sent. A repeat of the last one does nothing. */
const refused = [{ guard: 'repeatsCommand' }, { actions: 'rejectCommand' }] as const;

const sendCommand = [
  'beginCommand',
  'requestCommand',
  'countCommandAttempt',
  'armCommandDeadline',
] as const;

/** The command's own deadlines: send again after a throttle, or count a request unanswered as failed. */
const commandDeadlines = [
  {
    guard: 'commandRetryDue',
    actions: ['requestCommand', 'countCommandAttempt', 'armCommandDeadline'],
  },
  { guard: 'commandTimedOut', actions: 'failOverdueCommand' },
] as const;

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
    requestCommand: announce('requestCommand'),
    rejectCommand: announce('rejectCommand'),
    reportCommandFailed: announce('reportCommandFailed'),
    reportTransferFailed: announce('reportTransferFailed'),
    // Once per call: entering incoming again (a re-created offer) or established again (a
    // failed transfer) says nothing new.
    announceIncoming: enqueueActions(({ context, event, enqueue }) => {
      const offered = incomingAnnouncement(context, event);
      if (offered !== undefined) enqueue.emit(offered);
    }),
    announceEstablished: enqueueActions(({ context, event, enqueue }) => {
      const connected = establishedAnnouncement(context, event);
      if (connected !== undefined) enqueue.emit(connected);
    }),
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
    failOverdueCommand: raise(({ context, event }: Args) => overdue.command(context, event)),
    startOperation: reduce(startOperation),
    rejectOperation: emit<CallContext, CallEvent, undefined, CallEvent, CallEmitted>(
      ({ context, event }: Args) => rejectOperation(context, event),
    ),
    recordOperationResponse: reduce(recordResponse),
    recordOperationFailure: reduce(recordRequestFailure),
    runDueOperations: reduce(runDueOperations),
    trackSubresource: reduce(trackSubresource),
    hearTone: reduce(hearToneOf),
    endOperations: reduce((context, event) => endOperations(context, atOf(context, event))),
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
    learnParties: update('learnParties'),
    concludeMissed: update('concludeMissed'),
    adoptCheckedState: update('adoptCheckedState'),
    beginCommand: update('beginCommand'),
    countCommandAttempt: update('countCommandAttempt'),
    armCommandDeadline: update('armCommandDeadline'),
    armCommandRetry: update('armCommandRetry'),
    acceptCommand: update('acceptCommand'),
    dropCommand: update('dropCommand'),
    noteOffered: update('noteOffered'),
    noteEstablished: update('noteEstablished'),
    noteKeepAlive: update('noteKeepAlive'),
  },
}).createMachine({
  id: 'call',
  description:
    "The lifecycle of one Microsoft Graph call, reconciled from change notifications, the bot's intents (hang up, answer, reject, redirect, transfer) and the results of the requests it asks for.",
  context: ({ input }) => createCallContext(input),
  initial: 'starting',
  output: ({ context }) => context.outcome as CallOutcome,
  on: {
    notification: [
      { guard: 'isSubresource', actions: ['handOnSubresource', 'trackSubresource'] },
      { guard: 'isStale', actions: 'reportIgnored' },
      {
        guard: 'transferFailedInPlace',
        actions: [
          'handOnUnchanged',
          'learnEtag',
          'learnParties',
          'reportTransferFailed',
          'dropCommand',
          'hearTone',
        ],
      },
      {
        guard: 'isUnchanged',
        actions: ['handOnUnchanged', 'learnEtag', 'learnParties', 'hearTone'],
      },
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
      {
        guard: 'transferFellBack',
        target: '#call.active.established',
        actions: ['handOnApplied', 'applyNotification', 'reportTransferFailed', 'dropCommand'],
      },
      ...applyTransitions,
    ],
    // Operations live beside the call's state: taken while the call is connected, tracked until
    // final, ended with the call (see operations.ts).
    operation: [
      { guard: 'isMalformedOperation' },
      { guard: 'repeatsOperation' },
      { guard: 'canRunOperation', actions: 'startOperation' },
      { actions: 'rejectOperation' },
    ],
    'operation.responded': {
      guard: 'awaitsOperationResponse',
      actions: 'recordOperationResponse',
    },
    'operation.requestFailed': {
      guard: 'awaitsOperationResponse',
      actions: 'recordOperationFailure',
    },
    // Reached only when the state's own deadline is not due: an operation's is.
    'deadline.reached': { guard: 'hasDueOperation', actions: 'runDueOperations' },
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
        answer: [...refused.slice(0, 1), { guard: 'isOffered', actions: sendCommand }, refused[1]],
        reject: [...refused.slice(0, 1), { guard: 'isOffered', actions: sendCommand }, refused[1]],
        redirect: [
          ...refused.slice(0, 1),
          { guard: 'isOffered', actions: sendCommand },
          refused[1],
        ],
        transfer: refused,
        'answer.succeeded': commandAcceptedInSetup,
        'answer.failed': commandFailedInSetup,
        'reject.succeeded': commandAcceptedInSetup,
        'reject.failed': commandFailedInSetup,
        'redirect.succeeded': commandAcceptedInSetup,
        'redirect.failed': commandFailedInSetup,
        'deadline.reached': [
          ...commandDeadlines,
          { guard: 'setupTimedOut', actions: ['requestGetCall', 'armRequestDeadline'] },
          { guard: 'requestTimedOut', actions: 'failOverdueGetCall' },
        ],
        'getCall.result': [
          {
            guard: 'windowPassedUnanswered',
            target: '#call.terminated',
            actions: 'concludeMissed',
          },
          { guard: 'setupCheckFoundGone', target: '#call.terminated', actions: 'concludeGone' },
          {
            guard: 'setupCheckFoundEstablished',
            target: '#call.active.established',
            actions: 'adoptCheckedState',
          },
          // Graph still has the call (or did not answer): look again after another wait.
          { guard: 'awaitsSetupCheck', actions: ['clearDeadline', 'armSetupDeadline'] },
        ],
      },
      states: {
        incoming: {
          description:
            'Graph offers an incoming call to the bot (created notification; call.incoming once per call). The bot may answer, reject or redirect it within the answer window (answerWindowMs); after that a GET decides, and a call Graph dropped ends as missed.',
          entry: ['announceIncoming', 'noteOffered'],
        },
        ringing: {
          description: 'The far end is being alerted (beta, and 2018-era payloads).',
        },
        redirecting: {
          description: 'The bot asked Graph to redirect the incoming call elsewhere.',
        },
        establishing: {
          description:
            'The call was answered or placed and media is being connected. A freshly created call reports this state. After an accepted answer, established must follow within answerTimeoutMs, or a GET decides.',
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
        answer: refused,
        reject: refused,
        redirect: refused,
        transfer: [
          ...refused.slice(0, 1),
          { guard: 'canTransfer', actions: sendCommand },
          refused[1],
        ],
        // An answer's result that comes after established changes nothing: the notification
        // already accepted it (see settleByProgress in actions.ts).
        'transfer.succeeded': commandAccepted,
        'transfer.failed': commandFailed,
        'deadline.reached': commandDeadlines,
        // keepAlives are sent only while the call is active; a 404 for one that comes back
        // later, while ending, is left to the deadline and the verifying GET. Any other answer
        // notes when the keepAlive went out: the next is due a period later.
        'keepAlive.result': [
          { guard: 'isGone', target: '#call.terminated', actions: 'concludeGone' },
          { actions: 'noteKeepAlive' },
        ],
      },
      states: {
        established: {
          description:
            'Connected and talking (call.established once per call). Tone, roster and media updates arrive as unchanged notifications in this state. The bot may transfer the call from here.',
          entry: ['announceEstablished', 'noteEstablished'],
        },
        hold: { description: 'Connected, on hold.' },
        transferring: {
          description:
            'A transfer was requested; if it fails the call returns to established (call.transferFailed).',
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
      on: { answer: refused, reject: refused, redirect: refused, transfer: refused },
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
        'The call is over; context.outcome (and the machine output) says why. Operations still under way end as callEnded. Final: later notifications are late.',
      type: 'final',
      entry: ['announceTermination', 'endOperations'],
    },
  },
});
