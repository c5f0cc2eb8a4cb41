import type { CallControlVerb } from '../graph/callRequests.js';
import { commandStatusOf, isHangUpPending, operationOf } from '../machine/callQueries.js';
import { getCallView } from '../machine/callView.js';
import { INTENDED_END } from '../machine/outcome.js';
import type { CallSnapshot } from '../machine/stepCall.js';
import type { CallOperation, CallView } from '../machine/types.js';
import type { Clock, TimerHandle } from './clock.js';
import {
  CallVanishedError,
  CommandFailedError,
  HangUpFailedError,
  OperationFailedError,
  RegistryClosedError,
  WaitTimeoutError,
} from './errors.js';
import type { CallPredicate } from './types.js';

/** What a snapshot says to a waiter: keep waiting (`undefined`), or settle with a value or an error. */
type Answer<T> = T | Error | undefined;

interface Waiter {
  readonly kind: 'hangUp' | 'waitFor' | 'operation' | CallControlVerb;
  readonly answer: (snapshot: CallSnapshot) => Answer<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  timer?: TimerHandle;
}

/**
 * Who awaits a call in one registry: pending `hangUp`s and `waitFor`s. Either may be answered by
 * this registry's commits or by another registry's over the same store, which the registry finds
 * when it reads the call again (`watched()`).
 */
export class Waiters {
  readonly #clock: Clock;
  readonly #byCall = new Map<string, Set<Waiter>>();
  /** Calls waited on that were seen stored since the wait began. */
  readonly #seen = new Set<string>();
  readonly #onCountChange: (count: number) => void;
  #count = 0;

  /** `onCountChange` hears how many promises are pending, to keep the process alive for them. */
  constructor(clock: Clock, onCountChange: (count: number) => void) {
    this.#clock = clock;
    this.#onCountChange = onCountChange;
  }

  get count(): number {
    return this.#count;
  }

  has(callId: string): boolean {
    return this.#byCall.has(callId);
  }

  /** The calls somebody here waits on. */
  watched(): string[] {
    return [...this.#byCall.keys()];
  }

  /** Settles once the hang-up no longer waits for Graph: taken (terminating, or over), or failed. */
  hangUp(callId: string): Promise<CallView> {
    const [waiting] = this.#add<CallView>(callId, 'hangUp', (snapshot) => {
      if (isHangUpPending(snapshot)) return undefined;
      const view = getCallView(snapshot);
      if (view.phase === 'terminating' || view.phase === 'terminated') return view;
      // Failed in another registry: this one was not the one that got Graph's answer.
      return new HangUpFailedError(callId, 0, 0, {
        message:
          'the hang-up was performed by another registry and failed there (its call.hangUpFailed event has the details)',
      });
    });
    return waiting;
  }

  /** Settles once Graph took the command (202), or it failed, or the call moved past it. */
  command(callId: string, verb: CallControlVerb): Promise<CallView> {
    const [waiting] = this.#add<CallView>(callId, verb, (snapshot) => {
      const status = commandStatusOf(snapshot, verb);
      if (status === 'pending') return undefined;
      const view = getCallView(snapshot);
      if (status === 'accepted') return view;
      // The end the bot asked for came before Graph's 202: the command did what it was for.
      if (view.outcome !== undefined && view.outcome.reason === INTENDED_END[verb]) return view;
      const why =
        view.phase === 'terminated'
          ? `the call ended (${view.outcome?.reason ?? 'terminated'}) before Graph took the ${verb}`
          : view.phase === 'terminating'
            ? `the call is being hung up; the ${verb} was abandoned`
            : `the call moved on (it is ${view.state}) and the ${verb} no longer applies, or it failed in another registry (its call.commandFailed event has the details)`;
      return new CommandFailedError(callId, verb, 0, 0, { message: why });
    });
    return waiting;
  }

  /** Settles once the operation is over: resolves when it completed, rejects otherwise. */
  operation(callId: string, key: string): Promise<CallOperation> {
    const [waiting] = this.#add<CallOperation>(callId, 'operation', (snapshot) => {
      const operation = operationOf(snapshot, key);
      if (operation === undefined) {
        // Only an operation that ended long ago (or whose call did) leaves the call's record.
        return new CallVanishedError(callId);
      }
      if (operation.status === 'completed') return operation;
      if (operation.status === 'requested' || operation.status === 'running') return undefined;
      return new OperationFailedError(operation);
    });
    return waiting;
  }

  failCommands(callId: string, verb: CallControlVerb, error: Error): void {
    this.#rejectAll(callId, error, (waiter) => waiter.kind === verb);
  }

  waitFor(
    callId: string,
    until: CallPredicate,
    timeoutMs: number,
    stateNow: () => string | undefined,
  ): Promise<CallView> {
    const [waiting, waiter] = this.#add<CallView>(callId, 'waitFor', (snapshot) => {
      const view = getCallView(snapshot);
      return until(view) ? view : undefined;
    });
    // Held: a script that only awaits this promise must live until it settles.
    waiter.timer = this.#clock.setTimeout(
      () => this.#finish(callId, waiter, new WaitTimeoutError(callId, timeoutMs, stateNow())),
      timeoutMs,
      true,
    );
    return waiting;
  }

  /** Resolves (or rejects) whoever waits on the call and is answered by this snapshot. */
  settle(callId: string, snapshot: CallSnapshot): void {
    const set = this.#byCall.get(callId);
    if (set === undefined) return;
    this.#seen.add(callId);
    for (const waiter of set) {
      const answer = waiter.answer(snapshot);
      if (answer !== undefined) this.#finish(callId, waiter, answer);
    }
  }

  failHangUps(callId: string, error: Error): void {
    this.#rejectAll(callId, error, (waiter) => waiter.kind === 'hangUp');
  }

  /**
   * The call's record is not in the store. A hang-up always waited on a stored call, and so did
   * a wait that has seen it: they can no longer be answered. A wait on a call not stored yet
   * (its first notification has not come) goes on until it is, or until its timeout.
   */
  vanished(callId: string): void {
    const seen = this.#seen.has(callId);
    this.#rejectAll(callId, new CallVanishedError(callId), (w) => seen || w.kind !== 'waitFor');
  }

  /** Rejects everyone with {@link RegistryClosedError}. */
  close(): void {
    for (const callId of this.watched()) {
      this.#rejectAll(callId, new RegistryClosedError(callId), () => true);
    }
  }

  #add<T = CallView>(
    callId: string,
    kind: Waiter['kind'],
    answer: (snapshot: CallSnapshot) => Answer<T>,
  ): [Promise<T>, Waiter] {
    let waiter: Waiter | undefined;
    const waiting = new Promise<T>((resolve, reject) => {
      waiter = { kind, answer, resolve: resolve as (value: unknown) => void, reject };
    });
    const added = waiter as Waiter; // the executor ran synchronously
    let set = this.#byCall.get(callId);
    if (set === undefined) {
      set = new Set();
      this.#byCall.set(callId, set);
    }
    set.add(added);
    this.#counted(1);
    return [waiting, added];
  }

  #rejectAll(callId: string, error: Error, which: (waiter: Waiter) => boolean): void {
    for (const waiter of [...(this.#byCall.get(callId) ?? [])]) {
      if (which(waiter)) this.#finish(callId, waiter, error);
    }
  }

  #finish(callId: string, waiter: Waiter, answer: unknown): void {
    if (!this.#drop(callId, waiter)) return;
    if (answer instanceof Error) waiter.reject(answer);
    else waiter.resolve(answer);
  }

  #drop(callId: string, waiter: Waiter): boolean {
    const set = this.#byCall.get(callId);
    if (set?.delete(waiter) !== true) return false;
    if (set.size === 0) {
      this.#byCall.delete(callId);
      this.#seen.delete(callId);
    }
    if (waiter.timer !== undefined) this.#clock.clearTimeout(waiter.timer);
    this.#counted(-1);
    return true;
  }

  #counted(delta: number): void {
    const before = this.#count;
    this.#count += delta;
    if ((before === 0) !== (this.#count === 0)) this.#onCountChange(this.#count);
  }
}
