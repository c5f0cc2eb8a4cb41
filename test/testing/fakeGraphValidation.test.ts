// The fake Graph refuses call-control requests as Graph does: a body without a required
// parameter, or with one out of range, is a 400 with Graph's error body; an unknown call a 404;
// a call in a state that does not allow the request a 400 InvalidRequest. A refused request
// changes nothing and sends no notification.
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeGraph, type FakeGraph } from '../../src/testing/index.js';
import {
  ANSWER,
  CALLBACK_URI,
  PLACE_CALL,
  post,
  REDIRECT,
  REJECT,
  SERVICE_HOSTED,
  TRANSFER,
} from './requestBodies.js';

const fakes: FakeGraph[] = [];

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

function newFake(): { fake: FakeGraph; bodies: unknown[] } {
  const bodies: unknown[] = [];
  const fake = createFakeGraph({ deliver: (body) => void bodies.push(body) });
  fakes.push(fake);
  return { fake, bodies };
}

interface GraphError {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly innerError: Record<string, string>;
  };
}

/** Expects Graph's error body with `code`, and returns its message. */
async function graphError(response: Response, status: number, code: string): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json');
  const body = (await response.json()) as GraphError;
  expect(body).toEqual({
    error: {
      code,
      message: expect.any(String),
      innerError: {
        'request-id': response.headers.get('request-id'),
        date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
        'client-request-id': expect.any(String),
      },
    },
  });
  return body.error.message;
}

type Verb = 'answer' | 'reject' | 'redirect' | 'transfer';

interface Refused {
  readonly name: string;
  readonly verb: Verb;
  readonly body: unknown;
  /** What the message must say: the field, and what was wrong with it. */
  readonly says: RegExp;
}

const { callbackUri: _c, ...answerWithoutCallback } = ANSWER;
const { mediaConfig: _m, ...answerWithoutMedia } = ANSWER;

const REFUSED: readonly Refused[] = [
  {
    name: 'answer without mediaConfig',
    verb: 'answer',
    body: answerWithoutMedia,
    says: /mediaConfig is required/,
  },
  {
    name: 'answer without callbackUri',
    verb: 'answer',
    body: answerWithoutCallback,
    says: /callbackUri is required/,
  },
  {
    name: 'answer with an http callbackUri',
    verb: 'answer',
    body: { ...ANSWER, callbackUri: 'http://bot.contoso.com/api/calls' },
    says: /callbackUri must be an absolute https URL, got "http:/,
  },
  {
    name: 'answer with a callbackUri that is no URL',
    verb: 'answer',
    body: { ...ANSWER, callbackUri: 'api/calls' },
    says: /callbackUri must be an absolute https URL/,
  },
  {
    name: 'answer with a mediaConfig of another type',
    verb: 'answer',
    body: { ...ANSWER, mediaConfig: { '@odata.type': '#microsoft.graph.mediaConfig' } },
    says: /mediaConfig\['@odata.type'\] must be .*serviceHostedMediaConfig.*appHostedMediaConfig/,
  },
  {
    name: 'answer with a mediaConfig that names no type',
    verb: 'answer',
    body: { ...ANSWER, mediaConfig: { preFetchMedia: [] } },
    says: /mediaConfig\['@odata.type'\] must be/,
  },
  {
    name: 'answer with app-hosted media but no blob',
    verb: 'answer',
    body: { ...ANSWER, mediaConfig: { '@odata.type': '#microsoft.graph.appHostedMediaConfig' } },
    says: /mediaConfig.blob is required/,
  },
  {
    name: 'answer with acceptedModalities that is not an array',
    verb: 'answer',
    body: { ...ANSWER, acceptedModalities: 'audio' },
    says: /acceptedModalities must be a non-empty array/,
  },
  {
    name: 'answer accepting a modality Graph does not know',
    verb: 'answer',
    body: { ...ANSWER, acceptedModalities: ['audio', 'Audio'] },
    says: /acceptedModalities\[1\] must be one of 'audio', 'video', 'videoBasedScreenSharing', got "Audio"/,
  },
  {
    name: 'answer accepting data, which only a placed call requests',
    verb: 'answer',
    body: { ...ANSWER, acceptedModalities: ['data'] },
    says: /acceptedModalities\[0\]/,
  },
  {
    name: 'reject with a reason Graph does not know',
    verb: 'reject',
    body: { reason: 'declined' },
    says: /reason must be one of 'none', 'busy', 'forbidden', got "declined"/,
  },
  {
    name: 'reject with an http callbackUri',
    verb: 'reject',
    body: { reason: 'none', callbackUri: 'http://bot.contoso.com/cb' },
    says: /callbackUri must be an absolute https URL/,
  },
  {
    name: 'redirect without targets',
    verb: 'redirect',
    body: { timeout: 30 },
    says: /targets must be a non-empty array of invitationParticipantInfo/,
  },
  {
    name: 'redirect to an empty list of targets',
    verb: 'redirect',
    body: { targets: [] },
    says: /targets must be a non-empty array/,
  },
  {
    name: 'redirect to a target without an identity',
    verb: 'redirect',
    body: { targets: [...REDIRECT.targets, { endpointType: 'default' }] },
    says: /targets\[1\].identity is required/,
  },
  {
    name: 'redirect to a target whose identity names nobody',
    verb: 'redirect',
    body: { targets: [{ identity: { user: { displayName: 'No id' } } }] },
    says: /targets\[0\].identity.user.id must be a non-empty string/,
  },
  {
    name: 'redirect with a timeout under 15 s',
    verb: 'redirect',
    body: { ...REDIRECT, timeout: 14 },
    says: /timeout must be a whole number of seconds from 15 to 90, got 14/,
  },
  {
    name: 'redirect with a timeout over 90 s',
    verb: 'redirect',
    body: { ...REDIRECT, timeout: 91 },
    says: /timeout .* got 91/,
  },
  {
    name: 'transfer without transferTarget',
    verb: 'transfer',
    body: {},
    says: /transferTarget is required/,
  },
  {
    name: 'transfer to a target without an identity',
    verb: 'transfer',
    body: { transferTarget: { endpointType: 'default' } },
    says: /transferTarget.identity is required/,
  },
  {
    name: 'transfer to a target with an unknown endpointType',
    verb: 'transfer',
    body: { transferTarget: { ...TRANSFER.transferTarget, endpointType: 'pstn' } },
    says: /transferTarget.endpointType must be one of/,
  },
];

describe('call-control bodies Graph would refuse', () => {
  it.each(REFUSED)('$name is refused with 400 and Graph’s error body', async (refused) => {
    const { fake, bodies } = newFake();
    const callId = refused.verb === 'transfer' ? fake.placeCall() : fake.incomingCall();
    await fake.settle();
    bodies.length = 0;
    const before = fake.calls.get(callId)?.states.length;

    const response = await post(fake, `/${callId}/${refused.verb}`, refused.body);

    const message = await graphError(response, 400, 'BadRequest');
    expect(message).toMatch(refused.says);
    expect(message.startsWith(`${refused.verb}: `)).toBe(true);
    expect(fake.calls.get(callId)?.states.length).toBe(before);
    expect(fake.requests.at(-1)).toMatchObject({ status: 400, action: refused.verb });
    await fake.settle();
    expect(bodies).toEqual([]);
  });

  it.each(['answer', 'redirect', 'transfer'] as const)(
    '%s without a body is refused with 400: its parameters are required',
    async (verb) => {
      const { fake } = newFake();
      const callId = verb === 'transfer' ? fake.placeCall() : fake.incomingCall();
      const message = await graphError(await post(fake, `/${callId}/${verb}`), 400, 'BadRequest');
      expect(message).toBe(`${verb} needs a JSON body with its parameters.`);
    },
  );

  it.each(['answer', 'reject', 'redirect', 'transfer'] as const)(
    '%s with a body that is not JSON is refused with 400',
    async (verb) => {
      const { fake } = newFake();
      const callId = verb === 'transfer' ? fake.placeCall() : fake.incomingCall();
      const response = await post(fake, `/${callId}/${verb}`, '{"callbackUri": ');
      expect(await graphError(response, 400, 'BadRequest')).toBe(
        `The body of ${verb} is not valid JSON.`,
      );
      expect(fake.requests.at(-1)?.body).toBeUndefined();
    },
  );

  it('a body that is JSON but not an object is refused with 400', async () => {
    const { fake } = newFake();
    const callId = fake.incomingCall();
    const response = await post(fake, `/${callId}/answer`, [ANSWER]);
    expect(await graphError(response, 400, 'BadRequest')).toBe(
      'The body of answer must be a JSON object, got an array.',
    );
  });

  it('reject takes no body at all (every parameter is optional), and a reason of busy', async () => {
    const { fake } = newFake();
    const a = fake.incomingCall();
    const b = fake.incomingCall();
    expect((await post(fake, `/${a}/reject`)).status).toBe(202);
    expect((await post(fake, `/${b}/reject`, REJECT)).status).toBe(202);
    expect(fake.requests.map((r) => r.body)).toEqual([undefined, REJECT]);
  });

  it('answer with app-hosted media and its blob, and every modality, is accepted', async () => {
    const { fake } = newFake();
    const callId = fake.incomingCall();
    const response = await post(fake, `/${callId}/answer`, {
      callbackUri: CALLBACK_URI,
      mediaConfig: { '@odata.type': '#microsoft.graph.appHostedMediaConfig', blob: '<blob>' },
      acceptedModalities: ['audio', 'video', 'videoBasedScreenSharing'],
      participantCapacity: 200,
    });
    expect(response.status).toBe(202);
    expect(fake.calls.get(callId)?.callbackUri).toBe(CALLBACK_URI);
  });

  it('an http callbackUri is accepted on loopback only, where a bot under test listens', async () => {
    const { fake } = newFake();
    for (const callbackUri of ['http://127.0.0.1:3978/api/calls', 'http://localhost/api/calls']) {
      const callId = fake.incomingCall();
      const response = await post(fake, `/${callId}/answer`, { ...ANSWER, callbackUri });
      expect(response.status, callbackUri).toBe(202);
    }
    const elsewhere = fake.incomingCall();
    const refused = await post(fake, `/${elsewhere}/answer`, {
      ...ANSWER,
      callbackUri: 'http://10.0.0.5/api/calls',
    });
    expect(refused.status).toBe(400);
  });

  it('records each request’s parsed JSON body, refused or not', async () => {
    const { fake } = newFake();
    const callId = fake.incomingCall();
    await post(fake, `/${callId}/answer`, answerWithoutMedia);
    await post(fake, `/${callId}/answer`, ANSWER);
    expect(fake.requests.map((r) => [r.status, r.body])).toEqual([
      [400, answerWithoutMedia],
      [202, ANSWER],
    ]);
  });
});

describe('POST /communications/calls with a body Graph would refuse', () => {
  const { callbackUri: _cb, ...withoutCallback } = PLACE_CALL;
  const { targets: _t, ...withoutTargets } = PLACE_CALL;
  const { requestedModalities: _r, ...withoutModalities } = PLACE_CALL;
  const { mediaConfig: _mc, ...withoutMedia } = PLACE_CALL;

  it.each([
    ['without callbackUri', withoutCallback, /callbackUri is required/],
    ['without targets (nor a meeting to join)', withoutTargets, /targets is required/],
    ['without requestedModalities', withoutModalities, /requestedModalities is required/],
    ['without mediaConfig', withoutMedia, /mediaConfig is required/],
    [
      'requesting a modality Graph does not know',
      { ...PLACE_CALL, requestedModalities: ['voice'] },
      /requestedModalities\[0\] must be one of 'audio', 'video', 'videoBasedScreenSharing', 'data'/,
    ],
    [
      'from a source without an identity',
      { ...PLACE_CALL, source: { identity: {} } },
      /source.identity names no identity/,
    ],
  ])('a call %s is refused with 400, and no call is made', async (_name, body, says) => {
    const { fake } = newFake();
    const message = await graphError(await post(fake, '', body), 400, 'BadRequest');
    expect(message).toMatch(says);
    expect(message.startsWith('create call: ')).toBe(true);
    expect(fake.calls.size).toBe(0);
  });

  it('a call that joins a meeting needs no targets', async () => {
    const { fake } = newFake();
    const response = await post(fake, '', {
      ...withoutTargets,
      chatInfo: { threadId: '19:meeting_x@thread.v2', messageId: '0' },
      meetingInfo: {
        '@odata.type': '#microsoft.graph.organizerMeetingInfo',
        organizer: { '@odata.type': '#microsoft.graph.identitySet', user: { id: 'o-1' } },
      },
    });
    expect(response.status).toBe(201);
    const call = (await response.json()) as { id: string; targets: unknown[] };
    expect(call.targets).toEqual([]);
    expect(fake.calls.get(call.id)?.targets).toEqual([]);
  });

  it('the 201 carries the call as Graph returns it: the request’s parties, media and modalities', async () => {
    const { fake } = newFake();
    const response = await post(fake, '', PLACE_CALL);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({
      '@odata.type': '#microsoft.graph.call',
      state: 'establishing',
      direction: 'outgoing',
      callbackUri: CALLBACK_URI,
      requestedModalities: ['audio'],
      mediaConfig: SERVICE_HOSTED,
      targets: [
        {
          '@odata.type': '#microsoft.graph.invitationParticipantInfo',
          identity: {
            '@odata.type': '#microsoft.graph.identitySet',
            user: { '@odata.type': '#microsoft.graph.identity', displayName: 'Alice' },
          },
        },
      ],
      myParticipantId: expect.any(String),
    });
  });
});

describe('the call’s state decides, after the body', () => {
  it('answer, reject and redirect of a call that is no longer incoming are refused with 400 InvalidRequest', async () => {
    const { fake } = newFake();
    const callId = fake.incomingCall();
    expect((await post(fake, `/${callId}/answer`, ANSWER)).status).toBe(202);
    for (const [verb, body] of [
      ['answer', ANSWER],
      ['reject', REJECT],
      ['redirect', REDIRECT],
    ] as const) {
      const message = await graphError(
        await post(fake, `/${callId}/${verb}`, body),
        400,
        'InvalidRequest',
      );
      expect(message).toBe(
        `Cannot ${verb} the call ${callId} in state established; only a call in state incoming can be.`,
      );
    }
    expect(fake.calls.get(callId)?.states).toEqual(['incoming', 'establishing', 'established']);
  });

  it('transfer of a call that is not established is refused with 400 InvalidRequest', async () => {
    const { fake } = newFake();
    const incoming = fake.incomingCall();
    const establishing = fake.placeCall({ establish: false });
    for (const callId of [incoming, establishing]) {
      const message = await graphError(
        await post(fake, `/${callId}/transfer`, TRANSFER),
        400,
        'InvalidRequest',
      );
      expect(message).toMatch(/only a call in state established or hold can be/);
    }
  });

  it('a request about an unknown call is a 404 itemNotFound; about an ended one too', async () => {
    const { fake } = newFake();
    expect(await graphError(await post(fake, '/ghost/answer', ANSWER), 404, 'itemNotFound')).toBe(
      'The call ghost was not found.',
    );
    const callId = fake.incomingCall();
    fake.reject(callId);
    for (const [verb, body] of [
      ['answer', ANSWER],
      ['reject', REJECT],
      ['redirect', REDIRECT],
      ['transfer', TRANSFER],
    ] as const) {
      await graphError(await post(fake, `/${callId}/${verb}`, body), 404, 'itemNotFound');
    }
  });

  it('a malformed body is refused before the call is looked up, as Graph checks parameters first', async () => {
    const { fake } = newFake();
    await graphError(await post(fake, '/ghost/answer', answerWithoutMedia), 400, 'BadRequest');
  });

  it('innerError echoes the client-request-id the client sent', async () => {
    const { fake } = newFake();
    const response = await fake.fetch(`${fake.baseUrl}/communications/calls/ghost/answer`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'client-request-id': 'bot-42' },
      body: JSON.stringify(ANSWER),
    });
    const body = (await response.json()) as GraphError;
    expect(body.error.innerError['client-request-id']).toBe('bot-42');
  });
});
