// Valid bodies of Graph's call-control requests, as the v1.0 reference shows them, for tests
// that drive the fake Graph over HTTP. Each test breaks one field of a copy.
import type * as Graph from '@microsoft/microsoft-graph-types';
import type { FakeGraph } from '../../src/testing/index.js';

export const CALLBACK_URI = 'https://bot.contoso.com/api/calls';

export const SERVICE_HOSTED: Graph.ServiceHostedMediaConfig & { '@odata.type': string } = {
  '@odata.type': '#microsoft.graph.serviceHostedMediaConfig',
  preFetchMedia: [{ uri: 'https://cdn.contoso.com/beep.wav', resourceId: 'beep' }],
};

export const ANSWER = {
  callbackUri: CALLBACK_URI,
  mediaConfig: SERVICE_HOSTED,
  acceptedModalities: ['audio'],
} satisfies Record<string, unknown>;

export const REJECT = { reason: 'busy' } satisfies Record<string, unknown>;

const ALICE: Graph.InvitationParticipantInfo = {
  identity: { user: { id: '98da8a1a-1b87-452c-a713-65d3f10b5555', displayName: 'Alice' } },
};

export const REDIRECT = { targets: [ALICE], timeout: 30 } satisfies Record<string, unknown>;

export const TRANSFER = {
  transferTarget: { endpointType: 'default', ...ALICE },
} satisfies Record<string, unknown>;

/** A consultative transfer: the target replaces another call of the bot. */
export const CONSULTATIVE_TRANSFER = {
  transferTarget: { endpointType: 'default', ...ALICE, replacesCallId: 'e5d39592-99bd-4db8' },
} satisfies Record<string, unknown>;

export const PLACE_CALL = {
  '@odata.type': '#microsoft.graph.call',
  callbackUri: CALLBACK_URI,
  targets: [ALICE],
  requestedModalities: ['audio'],
  mediaConfig: SERVICE_HOSTED,
} satisfies Record<string, unknown>;

/** POSTs `body` (JSON, or raw text when a string) to `/communications/calls{path}`. */
export function post(fake: FakeGraph, path: string, body?: unknown): Promise<Response> {
  return fake.fetch(`${fake.baseUrl}/communications/calls${path}`, {
    method: 'POST',
    headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}
