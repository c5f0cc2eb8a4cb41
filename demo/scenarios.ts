/**
 * The call-control scenarios of `--scenario`: what the fake Graph is asked to do (a user dials
 * the bot; how the call's transfers end; how long a prompt plays; which key the caller
 * presses), and what the bot does about it. The bot's part uses only the registry: its methods
 * (`answer`, `reject`, `redirect`, `transfer`, `placeCall`, `hangUp`, `subscribeToTone`,
 * `playPrompt`, `waitFor`) and its events (`call.incoming`, `call.established`,
 * `call.transferFailed`, `call.tone`); every request to Graph is the registry's.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  AnswerRequest,
  CallOutcomeReason,
  CallPredicate,
  CallRegistry,
  CallView,
  InvitationTarget,
  PlaceCallRequest,
  RegistryEvent,
  RegistryEventType,
} from '../src/index.js';
import type { ParticipantInfoSpec } from '../src/testing/index.js';
import type { Scenario } from './args.js';
import type { BotAction, Emit } from './events.js';
import type { Observer } from './observe.js';
import { runCalls, STEP_TIMEOUT_MS } from './scenario.js';
import { messageOf, type Stack } from './stack.js';

/** How long the bot stays on an established call before it hangs up or transfers it. */
export const TALK_MS = 300;
/** How long the IVR's menu plays before Graph reports the prompt completed (`ivr`). */
export const MENU_MS = 400;

export interface ScenarioInfo {
  /** The timeline's heading: `graph-call-machine demo: <title>`. */
  readonly title: string;
  /** How the scenario's calls end when all goes well. */
  readonly expected: CallOutcomeReason;
}

export const SCENARIO_INFO: Readonly<Record<Scenario, ScenarioInfo>> = {
  hangup: { title: 'one call, placed, established and hung up', expected: 'hungUp' },
  answer: {
    title: 'an incoming call, answered, established and hung up',
    expected: 'hungUp',
  },
  reject: { title: 'an incoming call, rejected as busy', expected: 'rejected' },
  redirect: { title: 'an incoming call, redirected to another user', expected: 'redirected' },
  transfer: {
    title: 'an incoming call, answered, then transferred (the first transfer fails)',
    expected: 'transferred',
  },
  place: {
    title: 'a call placed with registry.placeCall, established and hung up',
    expected: 'hungUp',
  },
  ivr: {
    title: 'an incoming call, answered, a menu played, 1 pressed, then transferred',
    expected: 'transferred',
  },
};

/** Who calls the bot in the incoming scenarios. */
const CALLER: ParticipantInfoSpec = {
  identity: {
    user: { id: '5e6f7a8b-1c2d-4e3f-9a0b-000000000101', displayName: 'Ada Lovelace' },
  },
  region: 'emea',
  languageId: 'en-GB',
};

/** Where the bot redirects or transfers a call, and whom it calls in `place`. */
const COLLEAGUE: InvitationTarget = {
  identity: {
    user: { id: '5e6f7a8b-1c2d-4e3f-9a0b-000000000102', displayName: 'Grace Hopper' },
  },
};

const SERVICE_HOSTED = { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' } as const;

/** The IVR's menu: "Press 1 to speak to Grace Hopper." (Graph fetches it; the fake does not.) */
const MENU_PROMPT = 'https://bot.example.com/audio/menu.wav';

interface Context {
  readonly stack: Stack;
  readonly observer: Observer;
  readonly emit: Emit;
}

/**
 * Runs the scenario's calls to their end. Resolves with what went wrong (nothing, normally);
 * never rejects. `hangup` is {@link runCalls}, with `count` calls.
 */
export async function runScenario(
  scenario: Scenario,
  stack: Stack,
  observer: Observer,
  emit: Emit,
  count: number,
): Promise<string[]> {
  if (scenario === 'hangup') return runCalls(stack, observer, emit, count);
  const context: Context = { stack, observer, emit };
  try {
    await FLOWS[scenario](context);
    return [];
  } catch (error) {
    return [messageOf(error)];
  }
}

const FLOWS: Readonly<Record<Exclude<Scenario, 'hangup'>, (context: Context) => Promise<void>>> = {
  async answer(context) {
    const callId = await ring(context);
    await answer(context, callId);
    await sleep(TALK_MS);
    await hangUp(context, callId);
  },

  async reject(context) {
    const { registry } = context.stack;
    const callId = await ring(context);
    bot(context, callId, 'reject', "await registry.reject(id, 'busy')");
    await registry.reject(callId, 'busy');
    await ended(registry, callId);
  },

  async redirect(context) {
    const { registry } = context.stack;
    const callId = await ring(context);
    bot(context, callId, 'redirect', 'await registry.redirect(id, Grace Hopper, { timeout: 30 })');
    await registry.redirect(callId, COLLEAGUE, { timeout: 30 });
    await ended(registry, callId);
  },

  async transfer(context) {
    const { registry } = context.stack;
    // Graph fails the first transfer and completes the second.
    const callId = await ring(context, (id) => {
      context.stack.fake.scriptTransfers(id, 'failed', 'completed');
      context.emit({
        type: 'fake',
        callId: id,
        detail: "fake.scriptTransfers(id, 'failed', 'completed')",
      });
    });
    await answer(context, callId);
    await sleep(TALK_MS);

    const failed = nextEvent(registry, 'call.transferFailed', callId);
    bot(context, callId, 'transfer', 'await registry.transfer(id, Grace Hopper)');
    await registry.transfer(callId, COLLEAGUE);
    const first = await Promise.race([
      failed.then(() => 'failed' as const),
      ended(registry, callId).then(() => 'ended' as const),
    ]);
    if (first === 'ended') {
      throw new Error(
        `call ${callId}: the first transfer was scripted to fail, but the call ended`,
      );
    }
    // The call is back to established: try again.
    bot(
      context,
      callId,
      'transfer',
      'on call.transferFailed: await registry.transfer(id, Grace Hopper)',
    );
    await registry.transfer(callId, COLLEAGUE);
    await ended(registry, callId);
  },

  async ivr(context) {
    const { registry, fake } = context.stack;
    // Graph reports the menu completed MENU_MS after the bot asked for it, as a prompt that plays.
    const callId = await ring(context, (id) => {
      fake.scriptOperations(id, { result: 'completes', afterMs: MENU_MS });
      context.emit({
        type: 'fake',
        callId: id,
        detail: `fake.scriptOperations(id, { result: 'completes', afterMs: ${MENU_MS} })`,
      });
    });
    await answer(context, callId);

    // Key presses reach the bot only once it subscribed to them.
    bot(
      context,
      callId,
      'subscribeToTone',
      'on call.established: await registry.subscribeToTone(id)',
    );
    await registry.subscribeToTone(callId);
    bot(context, callId, 'playPrompt', 'await registry.playPrompt(id, menu.wav)');
    await registry.playPrompt(callId, MENU_PROMPT);

    // The caller heard the menu, and presses 1.
    const pressed = nextEvent(registry, 'call.tone', callId);
    context.emit({ type: 'fake', callId, detail: "fake.pressTone(id, 'tone1')" });
    fake.pressTone(callId, 'tone1');
    const { tone } = await pressed;
    if (tone !== 'tone1') {
      throw new Error(`call ${callId}: the caller pressed tone1, but the bot heard ${tone}`);
    }
    bot(
      context,
      callId,
      'transfer',
      'on call.tone tone1: await registry.transfer(id, Grace Hopper)',
    );
    await registry.transfer(callId, COLLEAGUE);
    await ended(registry, callId);
  },

  async place(context) {
    const { registry, webhookUrl } = context.stack;
    const request: PlaceCallRequest = {
      callbackUri: webhookUrl,
      targets: [COLLEAGUE],
      requestedModalities: ['audio'],
      mediaConfig: SERVICE_HOSTED,
    };
    bot(
      context,
      undefined,
      'placeCall',
      'await registry.placeCall({ targets: [Grace Hopper], … })',
    );
    const { callId } = await registry.placeCall(request);
    await waitUntil(registry, callId, (view) => view.establishedAt !== undefined, 'established');
    await sleep(TALK_MS);
    await hangUp(context, callId);
  },
};

/**
 * A user dials the bot (the fake Graph notifies `created incoming`); resolves with the call's
 * id once the bot heard of it as `call.incoming`, which is how a bot learns of it.
 */
async function ring(context: Context, script?: (callId: string) => void): Promise<string> {
  const { stack, emit } = context;
  const offered = nextEvent(stack.registry, 'call.incoming');
  const callId = stack.fake.incomingCall({ source: CALLER });
  emit({ type: 'fake', callId, detail: 'fake.incomingCall({ source: Ada Lovelace })' });
  script?.(callId);
  return (await offered).callId;
}

async function answer(context: Context, callId: string): Promise<CallView> {
  const { registry, webhookUrl } = context.stack;
  // On loopback the webhook is http; Graph itself takes https only, and the fake takes both.
  const request: AnswerRequest = {
    callbackUri: webhookUrl,
    mediaConfig: SERVICE_HOSTED,
    acceptedModalities: ['audio'],
  };
  bot(context, callId, 'answer', 'await registry.answer(id, { callbackUri, mediaConfig, … })');
  await registry.answer(callId, request);
  return waitUntil(registry, callId, (view) => view.establishedAt !== undefined, 'established');
}

async function hangUp(context: Context, callId: string): Promise<void> {
  const { stack, observer } = context;
  bot(context, callId, 'hangUp', 'await registry.hangUp(id)');
  observer.hungUp(callId);
  await stack.registry.hangUp(callId);
  await ended(stack.registry, callId);
}

function bot(
  context: Context,
  callId: string | undefined,
  action: Exclude<BotAction, 'track'>,
  detail: string,
): void {
  context.emit({ type: 'bot', ...(callId !== undefined && { callId }), action, detail });
}

function ended(registry: CallRegistry, callId: string): Promise<CallView> {
  return registry.waitFor(callId, 'terminated', { timeoutMs: STEP_TIMEOUT_MS });
}

/** Waits for the call to be `what`, or to end: a call that ended first is an error. */
async function waitUntil(
  registry: CallRegistry,
  callId: string,
  predicate: CallPredicate,
  what: string,
): Promise<CallView> {
  const view = await registry.waitFor(callId, (v) => predicate(v) || v.phase === 'terminated', {
    timeoutMs: STEP_TIMEOUT_MS,
  });
  if (!predicate(view)) {
    throw new Error(
      `call ${callId} ended (${view.outcome?.reason ?? view.state}) before it was ${what}`,
    );
  }
  return view;
}

/**
 * The next registry event of `type` (for `callId`, when given). Rejects after
 * {@link STEP_TIMEOUT_MS}; the timer does not hold the process.
 */
function nextEvent<T extends RegistryEventType>(
  registry: CallRegistry,
  type: T,
  callId?: string,
): Promise<Extract<RegistryEvent, { type: T }>> {
  const promise = new Promise<Extract<RegistryEvent, { type: T }>>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(
        new Error(
          `no ${type}${callId === undefined ? '' : ` for call ${callId}`} within ${STEP_TIMEOUT_MS} ms`,
        ),
      );
    }, STEP_TIMEOUT_MS);
    timer.unref();
    const off = registry.on(type, (event) => {
      if (callId !== undefined && (event as { callId?: string }).callId !== callId) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
  // A flow that fails before it awaits this must not leave an unhandled rejection behind.
  promise.catch(() => undefined);
  return promise;
}
