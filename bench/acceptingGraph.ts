import type { GraphClient } from '../src/index.js';

/**
 * A Graph that takes every request at once: the bench measures the library, not the network.
 * It tracks calls it makes up and never places one.
 */
export const acceptingGraph: GraphClient = {
  deleteCall: async () => ({ ok: true, status: 204 }),
  getCall: async () => ({ ok: false, status: 404 }),
  keepAlive: async () => ({ ok: true, status: 200 }),
  answerCall: async () => ({ ok: true, status: 202 }),
  rejectCall: async () => ({ ok: true, status: 202 }),
  redirectCall: async () => ({ ok: true, status: 202 }),
  transferCall: async () => ({ ok: true, status: 202 }),
  placeCall: async () => ({ ok: false, status: 0 }),
  runOperation: async () => ({ ok: true, status: 200 }),
};
