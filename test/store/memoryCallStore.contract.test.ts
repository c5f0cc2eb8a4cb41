// The in-process store against the CallStore contract every store keeps, with a manual clock
// for its expiry of ended calls.
import { MemoryCallStore } from '../../src/runtime/memoryCallStore.js';
import { describeCallStoreContract } from './callStoreContract.js';

const RETENTION_MS = 60_000;

describeCallStoreContract('MemoryCallStore', async () => {
  let time = 1_700_000_000_000;
  const now = (): number => time;
  return {
    store: new MemoryCallStore({ ttlMs: RETENTION_MS, now }),
    retentionMs: RETENTION_MS,
    now,
    advance(ms) {
      time += ms;
    },
    close: async () => {},
  };
});
