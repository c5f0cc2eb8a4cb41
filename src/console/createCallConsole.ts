/**
 * A live console of a registry's calls that a bot serves itself: one self-contained page (no
 * CDN, no font or script from anywhere but the console) and a stream of updates, for a bot on a
 * locked-down network or one whose call data must not leave it.
 *
 * It listens to the registry through a flight-record sink (`registry.addRecorder`), so it sees
 * every input of every call (each notification and its verdict, each intent, each Graph answer,
 * each deadline) without changing how calls are run, and builds its picture from those records
 * alone: the picture a recorded file gives (`createRecordedConsole`) is the same.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createCallConsole } from 'graph-call-machine/console';
 *
 * createServer(createCallConsole(registry).listener).listen(8080, '127.0.0.1');
 * ```
 * @module
 */
import type { CallRegistry } from '../runtime/types.js';
import { createConsoleModel, MAX_PARTICIPANTS_SHOWN } from './consoleModel.js';
import {
  type CallConsole,
  type CallConsoleOptions,
  resolveConsoleOptions,
} from './consoleOptions.js';
import { consoleParticipant } from './identityLabel.js';
import { serveConsole } from './serveConsole.js';

/** What the console needs of a registry: a `CallRegistry` has it all. */
export type ConsoleRegistry = Pick<
  CallRegistry,
  'calls' | 'addRecorder' | 'on' | 'participants' | 'hangUp'
>;

const NEEDED = ['calls', 'addRecorder', 'on', 'participants', 'hangUp'] as const;

/**
 * Creates a console of `registry`'s calls: every live call and the last ended ones with their
 * state, phase, age, the request each waits on with the countdown to its next deadline, and how
 * it ended, filtered by state or outcome and searched by id; for a selected call, its deadline,
 * the lifecycle chart with its current state lit and the path it took, its timeline, its
 * participants and its operations; counters of calls by
 * phase, notifications by verdict and Graph's answers by status. Updates go out at most once
 * per `tickMs`, the page applies them once per frame and touches only the rows that changed.
 *
 * Serve `handler` (WHATWG) or `listener` (`node:http`). **Without `authorize`, anyone who can
 * reach it sees every call**: bind it to loopback (`127.0.0.1`), and it answers only loopback
 * host names (see `allowedHosts`). It is read-only unless `allowActions` is set. The page never
 * holds a token, a header or a notification as received; with `redact`, people's names and
 * numbers read `[redacted]`.
 *
 * @throws TypeError when `registry` lacks what the console uses, or an option has the wrong
 * type (the message names it); RangeError when a number is out of bounds.
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { timingSafeEqual } from 'node:crypto';
 * import { createCallConsole } from 'graph-call-machine/console';
 *
 * const expected = Buffer.from(`Basic ${Buffer.from(`ops:${process.env.CONSOLE_PASSWORD}`).toString('base64')}`);
 * const callConsole = createCallConsole(registry, {
 *   redact: true,
 *   authorize: (request) => {
 *     const given = Buffer.from(request.headers.get('authorization') ?? '');
 *     return given.length === expected.length && timingSafeEqual(given, expected)
 *       ? true
 *       : { status: 401, challenge: 'Basic realm="calls"' };
 *   },
 * });
 * createServer(callConsole.listener).listen(8080, '127.0.0.1');
 * // at shutdown
 * await callConsole.close();
 * ```
 */
export function createCallConsole(
  registry: ConsoleRegistry,
  options?: CallConsoleOptions,
): CallConsole {
  const resolved = resolveConsoleOptions('createCallConsole', options);
  const missing = NEEDED.filter(
    (name) =>
      typeof registry !== 'object' ||
      registry === null ||
      typeof (registry as unknown as Record<string, unknown>)[name] !== 'function',
  );
  if (missing.length > 0) {
    throw new TypeError(
      `createCallConsole: the registry must be a CallRegistry (createCallRegistry); it has no ${missing.join(', ')}.`,
    );
  }
  const model = createConsoleModel(resolved);
  for (const view of registry.calls()) model.view(view);
  const stops = [
    registry.addRecorder({ record: (record) => model.record(record), redact: resolved.redact }),
    registry.on('notification.rejected', () => model.rejected()),
    registry.on('operation.completed', ({ operation }) => model.operation(operation)),
    registry.on('operation.failed', ({ operation }) => model.operation(operation)),
  ];
  return serveConsole(
    model,
    {
      frozen: false,
      now: resolved.now,
      detail(callId) {
        const detail = model.detail(callId);
        if (detail === undefined) return undefined;
        // The registry's roster is the machine's, sequence numbers and all: it wins when held.
        const roster = registry.participants(callId);
        if (roster.length === 0) return detail;
        return {
          ...detail,
          participants: roster
            .slice(0, MAX_PARTICIPANTS_SHOWN)
            .map((p) => consoleParticipant(p, resolved.redact)),
          participantCount: roster.length,
        };
      },
      hangUp: (callId) => registry.hangUp(callId),
      stop() {
        for (const stop of stops.splice(0)) stop();
      },
    },
    resolved,
  );
}
