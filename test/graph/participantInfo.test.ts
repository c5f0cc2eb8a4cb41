import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IDENTITY_KINDS,
  readIdentitySet,
  readParticipantInfo,
} from '../../src/graph/participantInfo.js';
import { corpusFile } from '../support/corpus.js';

type Item = Record<string, unknown>;

/** The `resourceData` of a corpus file's only item. */
function callData(name: string): Item {
  const body = corpusFile(name).body as { value: { resourceData: Item }[] };
  const data = body.value[0]?.resourceData;
  if (data === undefined) throw new Error(`${name} has no resourceData`);
  return data;
}

/** Every leaf is a string and every key one this type allows: nothing of unknown shape leaks. */
function expectSmall(info: unknown): void {
  expect(info).toEqual(JSON.parse(JSON.stringify(info)));
  const { identity, ...rest } = info as { identity: Item };
  for (const [key, value] of Object.entries(rest)) {
    expect(['region', 'languageId']).toContain(key);
    expect(typeof value).toBe('string');
  }
  expectSmallSet(identity);
}

function expectSmallSet(set: unknown): void {
  expect(Object.getPrototypeOf(set)).toBe(Object.prototype);
  for (const [kind, identity] of Object.entries(set as Item)) {
    expect(IDENTITY_KINDS).toContain(kind);
    expect(Object.keys(identity as Item).length).toBeGreaterThan(0);
    for (const [key, value] of Object.entries(identity as Item)) {
      expect(['id', 'displayName', 'tenantId']).toContain(key);
      expect(typeof value).toBe('string');
    }
  }
}

describe('readParticipantInfo on the documented shapes', () => {
  it('reads the caller of an incoming call: identity, region, languageId (v1.0_call-answer__1)', () => {
    expect(readParticipantInfo(callData('v1.0_call-answer__1').source)).toEqual({
      identity: {
        user: { displayName: 'Test User', id: '8A34A46B-3D17-4ADC-8DCE-DC4E7D572698' },
      },
      region: 'westus',
      languageId: 'en-US',
    });
  });

  it('keeps a user’s tenantId and drops the odata annotations (v1.0_call-redirect__6)', () => {
    const info = readParticipantInfo(callData('v1.0_call-redirect__6').source);
    expect(info).toEqual({
      identity: {
        user: {
          id: '8d1e6ab6-26c5-4e22-a1bc-06ea7343958e',
          tenantId: '632899f8-2ea1-4604-8413-27bd2892079f',
        },
      },
      region: 'amer',
    });
    expectSmall(info);
  });

  it('reads an invitationParticipantInfo target, ignoring its null languageId (v1.0_call-redirect__6)', () => {
    const [target] = callData('v1.0_call-redirect__6').targets as unknown[];
    expect(readParticipantInfo(target)).toEqual({
      identity: {
        applicationInstance: {
          displayName: 'PstnAppInstance',
          id: '7629bdce-046c-4903-86b4-a8f718277e1a',
          tenantId: '632899f8-2ea1-4604-8413-27bd2892079f',
        },
      },
      region: 'amer',
    });
  });

  it('reads the encrypted identity Graph shows for answeredBy (v1.0_call-redirect__6)', () => {
    expect(readParticipantInfo(callData('v1.0_call-redirect__6').answeredBy)).toEqual({
      identity: { encrypted: { id: '1xt4uextl99sdzwdxuvdxrvgrv8gehcq7jdgf9yhzeto' } },
    });
  });

  it('ignores fields it does not keep: identityProvider, endpointType, id (v1.0_call-answer__9)', () => {
    expect(readParticipantInfo(callData('v1.0_call-answer__9').source)).toEqual({
      identity: { user: { id: '8A34A46B-3D17-4ADC-8DCE-DC4E7D572698' } },
      region: 'amer',
    });
  });

  it('takes the 2018 identity-level language as the languageId (history/beta_call-redirect__6)', () => {
    expect(readParticipantInfo(callData('history/beta_call-redirect__6').source)).toEqual({
      identity: {
        user: { displayName: 'Test User', id: '8A34A46B-3D17-4ADC-8DCE-DC4E7D572698' },
      },
      languageId: 'en-US',
    });
  });

  it('prefers languageId to the legacy identity language when both are present', () => {
    expect(
      readParticipantInfo({
        identity: { user: { id: 'u', language: 'de-DE' } },
        languageId: 'en-US',
      }),
    ).toEqual({ identity: { user: { id: 'u' } }, languageId: 'en-US' });
  });

  it('reads a phone caller, the identity kind of a PSTN call (callRoutes of beta_call-answer__1)', () => {
    const [route] = callData('beta_call-answer__1').callRoutes as Item[];
    expect(readIdentitySet(route?.original)).toEqual({ phone: { id: '+14258828080' } });
  });

  it('reads every kind of the table, in one set', () => {
    const set = Object.fromEntries(IDENTITY_KINDS.map((kind) => [kind, { id: `${kind}-id` }]));
    expect(readIdentitySet(set)).toEqual(set);
  });
});

describe('readParticipantInfo on hostile values', () => {
  it('returns undefined for anything that is not an object', () => {
    for (const value of [undefined, null, 0, 42, Number.NaN, '', 'Test User', true, 10n]) {
      expect(readParticipantInfo(value)).toBeUndefined();
      expect(readIdentitySet(value)).toBeUndefined();
    }
    expect(readParticipantInfo([{ identity: { user: { id: 'u' } } }])).toBeUndefined();
    expect(readIdentitySet([{ user: { id: 'u' } }])).toBeUndefined();
  });

  it('returns undefined for an object that holds nothing it keeps', () => {
    for (const value of [
      {},
      { identity: null },
      { identity: [] },
      { identity: 'user' },
      { identity: { user: null } },
      { identity: { user: 'Test User' } },
      { identity: { user: ['u'] } },
      { identity: { user: {} } },
      { identity: { user: { id: 5, displayName: ['x'], tenantId: { id: 't' } } } },
      { identity: { device: { id: 'd' }, azureCommunicationServicesUser: { id: '8:acs:1' } } },
      { region: 5, languageId: null, endpointType: 'default', id: 'p' },
    ]) {
      expect(readParticipantInfo(value), JSON.stringify(value)).toBeUndefined();
    }
  });

  it('keeps each string field and leaves out each field of the wrong type, alone', () => {
    const info = readParticipantInfo({
      identity: {
        user: { id: 'u', displayName: 7, tenantId: 't', extra: { deep: ['garbage'] } },
        application: { id: ['a'], displayName: 'Bot' },
        phone: 12345,
      },
      region: { name: 'westus' },
      languageId: 'en-US',
    });
    expect(info).toEqual({
      identity: { user: { id: 'u', tenantId: 't' }, application: { displayName: 'Bot' } },
      languageId: 'en-US',
    });
    expectSmall(info);
  });

  it('keeps a region or language even when no identity is readable, with an empty identity', () => {
    expect(readParticipantInfo({ identity: 5, region: 'amer' })).toEqual({
      identity: {},
      region: 'amer',
    });
  });

  it('copies strings verbatim: no trimming, no case change, empty strings kept', () => {
    expect(
      readParticipantInfo({
        identity: { guest: { id: '', displayName: '  Guest ' } },
        region: ' ',
      }),
    ).toEqual({ identity: { guest: { id: '', displayName: '  Guest ' } }, region: ' ' });
  });

  it('returns new objects, never the input’s', () => {
    const user = { id: 'u' };
    const identity = { user };
    const info = readParticipantInfo({ identity });
    expect(info?.identity).not.toBe(identity);
    expect(info?.identity.user).not.toBe(user);
  });

  it('neither reads nor pollutes through "__proto__" keys in JSON text', () => {
    const parsed = JSON.parse(
      '{"__proto__": {"region": "evil"}, "identity": {"__proto__": {"user": {"id": "evil"}},' +
        ' "phone": {"__proto__": {"tenantId": "evil"}, "id": "+1"}}}',
    ) as unknown;
    const info = readParticipantInfo(parsed);
    expect(info).toEqual({ identity: { phone: { id: '+1' } } });
    expectSmall(info);
    const probe: Item = {};
    expect(probe.region).toBeUndefined();
    expect(probe.tenantId).toBeUndefined();
    expect(probe.user).toBeUndefined();
  });

  it('ignores inherited fields, and reads objects without a prototype', () => {
    const inherited = Object.create({ identity: { user: { id: 'u' } }, region: 'r' }) as Item;
    expect(readParticipantInfo(inherited)).toBeUndefined();
    const bare = Object.create(null) as Item;
    const user = Object.create(null) as Item;
    user.id = 'u';
    bare.identity = Object.assign(Object.create(null) as Item, { user });
    expect(readParticipantInfo(bare)).toEqual({ identity: { user: { id: 'u' } } });
  });

  it('reads only the kinds of its table, however many other keys the set has', () => {
    const set: Item = { user: { id: 'u' } };
    for (let i = 0; i < 10_000; i++) set[`kind${i}`] = { id: String(i) };
    expect(readIdentitySet(set)).toEqual({ user: { id: 'u' } });
  });

  it('never throws, and keeps only strings under known keys, for any value (property)', () => {
    const identity = fc.record(
      { id: fc.anything(), displayName: fc.anything(), tenantId: fc.anything() },
      { requiredKeys: [] },
    );
    const set = fc.oneof(
      fc.dictionary(fc.constantFrom(...IDENTITY_KINDS, '__proto__', 'device'), identity),
      fc.anything(),
    );
    const info = fc.oneof(
      fc.record(
        { identity: set, region: fc.anything(), languageId: fc.anything() },
        { requiredKeys: [] },
      ),
      fc.anything({ withNullPrototype: true, withObjectString: true }),
    );
    let read = 0;
    fc.assert(
      fc.property(info, (value) => {
        const result = readParticipantInfo(value);
        if (result !== undefined) {
          read++;
          expectSmall(result);
        }
        const set = readIdentitySet(value);
        if (set !== undefined) expectSmallSet(set);
      }),
      { numRuns: 2_000 },
    );
    // Not vacuous: some values held something to keep.
    expect(read).toBeGreaterThan(100);
  });
});
