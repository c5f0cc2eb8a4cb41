/**
 * Who is on each end of a fake call, and how Graph writes them: the caller (`source`) and the
 * callees (`targets`) as annotated `participantInfo` objects, with the defaults the answer docs
 * show (a user `Test User` calling an application `Test BOT`).
 * @module
 */

import { isRecord } from './fakeGraphHttp.js';
import type { ParticipantInfoSpec, TransferOutcome } from './fakeGraphTypes.js';

const IDENTITY_KINDS = ['user', 'phone', 'application', 'applicationInstance', 'guest'] as const;

/** The caller of an incoming call when a test names none (v1.0 call-answer, example 1). */
export const DEFAULT_CALLER: ParticipantInfoSpec = {
  identity: { user: { displayName: 'Test User', id: '8a34a46b-3d17-4adc-8dce-dc4e7d572698' } },
  region: 'westus',
  languageId: 'en-US',
};

/** The bot: the callee of an incoming call, the caller of an outgoing one. */
export const DEFAULT_BOT: ParticipantInfoSpec = {
  identity: {
    application: { displayName: 'Test BOT', id: '24701998-1a73-4d42-8085-bf46ed0ae039' },
  },
};

/**
 * A `participantInfo` (or, for targets, `invitationParticipantInfo`) as Graph posts it: every
 * object annotated with its `@odata.type`, fields in the order of the docs' examples.
 */
export function participantJson(
  spec: ParticipantInfoSpec,
  type: 'participantInfo' | 'invitationParticipantInfo',
): Record<string, unknown> {
  const identity: Record<string, unknown> = { '@odata.type': '#microsoft.graph.identitySet' };
  // Every kind, not only those a test can name: a call placed over HTTP keeps what the bot sent.
  for (const [kind, one] of Object.entries(spec.identity)) {
    if (kind === '@odata.type') continue;
    identity[kind] = isRecord(one) ? { '@odata.type': '#microsoft.graph.identity', ...one } : one;
  }
  const { identity: _identity, ...rest } = spec;
  return { '@odata.type': `#microsoft.graph.${type}`, identity, ...rest };
}

/** Checks a participant a test gave; throws a `TypeError` that says what is missing. */
export function checkParticipant(spec: unknown, where: string): ParticipantInfoSpec {
  const identity = isRecord(spec) ? spec.identity : undefined;
  if (!isRecord(identity)) {
    throw new TypeError(
      `fake Graph: ${where} must be a participantInfo such as { identity: { user: { id, displayName } } }, got ${JSON.stringify(spec)}.`,
    );
  }
  const kinds = IDENTITY_KINDS.filter((kind) => identity[kind] !== undefined);
  const bad = kinds.find((kind) => {
    const one = identity[kind];
    return !isRecord(one) || typeof one.id !== 'string' || one.id === '';
  });
  if (kinds.length === 0 || bad !== undefined) {
    throw new TypeError(
      `fake Graph: ${where}.identity needs ${bad === undefined ? `one of ${IDENTITY_KINDS.join(', ')}` : `${bad}`} with a non-empty id, got ${JSON.stringify(identity)}.`,
    );
  }
  return spec as ParticipantInfoSpec;
}

/** Checks a transfer outcome a test gave; throws a `TypeError` naming the ones that exist. */
export function checkTransferOutcome(outcome: unknown, where: string): TransferOutcome {
  const result = isRecord(outcome) ? outcome.result : outcome;
  if (result !== 'completed' && result !== 'failed') {
    throw new TypeError(
      `fake Graph: ${where} must be 'completed', 'failed' or { result: 'completed' | 'failed', consultative?, resultInfo? }, got ${JSON.stringify(outcome)}.`,
    );
  }
  return outcome as TransferOutcome;
}
