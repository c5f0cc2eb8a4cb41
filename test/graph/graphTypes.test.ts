// Keeps this library's wire types in step with Microsoft's published Graph types
// (@microsoft/microsoft-graph-types, a types-only dev dependency, so the published d.ts never
// references it): when Microsoft adds a call state or a change type, this
// file stops compiling and the test below fails, instead of a new value slipping through.
import type * as Graph from '@microsoft/microsoft-graph-types';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type CallDirection,
  type CallIdentity,
  type CallIdentitySet,
  type CallParticipantInfo,
  type ChangeType,
  GRAPH_CALL_STATES,
  type GraphCallState,
  IDENTITY_KINDS,
  type IdentityKind,
  type ResultInfo,
} from '../../src/index.js';

describe('Graph types conformance', () => {
  it('agrees with Graph’s types at compile time (tsc checks these lines)', () => {
    // Every state Graph's types name is one of ours; ours adds `ringing`, seen only in beta
    // and 2018-era payloads.
    expectTypeOf<Exclude<Graph.CallState, GraphCallState>>().toEqualTypeOf<never>();
    expectTypeOf<ChangeType>().toEqualTypeOf<Graph.ChangeType>();
    // Our normalised resultInfo fits wherever Graph's is expected.
    expectTypeOf<ResultInfo>().toExtend<Graph.ResultInfo>();
    // Direction, caller and callee: our small types fit where Graph's are expected, and every
    // identity kind we read is one Graph's communicationsIdentitySet names.
    expectTypeOf<CallDirection>().toEqualTypeOf<Graph.CallDirection>();
    expectTypeOf<
      Exclude<IdentityKind, keyof Graph.CommunicationsIdentitySet>
    >().toEqualTypeOf<never>();
    expectTypeOf<CallIdentitySet>().toExtend<Graph.CommunicationsIdentitySet>();
    expectTypeOf<CallIdentity>().toExtend<Graph.CommunicationsUserIdentity>();
    expectTypeOf<CallIdentity>().toExtend<Graph.CommunicationsApplicationInstanceIdentity>();
    expectTypeOf<CallParticipantInfo>().toExtend<Graph.ParticipantInfo>();
  });

  it('reads the identity kinds the docs show for callers and callees, no others', () => {
    const identityKinds: Record<IdentityKind, true> = {
      user: true,
      application: true,
      applicationInstance: true,
      phone: true,
      guest: true,
      encrypted: true,
      onPremises: true,
    };
    expect([...IDENTITY_KINDS].sort()).toEqual(Object.keys(identityKinds).sort());
  });

  it('lists every call state of @microsoft/microsoft-graph-types, plus the beta-only ones', () => {
    const fromGraphTypes: Record<Graph.CallState, true> = {
      incoming: true,
      establishing: true,
      established: true,
      hold: true,
      transferring: true,
      transferAccepted: true,
      redirecting: true,
      terminating: true,
      terminated: true,
      unknownFutureValue: true,
    };
    for (const state of Object.keys(fromGraphTypes)) {
      expect(GRAPH_CALL_STATES).toContain(state);
    }
    expect(GRAPH_CALL_STATES.filter((s) => !(s in fromGraphTypes))).toEqual(['ringing']);
  });
});
