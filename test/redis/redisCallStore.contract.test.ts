// The Redis call store against the CallStore contract every store keeps (test/store), on a real
// redis-server: each test gets its own key prefix, and expiry runs on Redis's own clock.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createRedisCallStore } from '../../src/redis/index.js';
import { describeCallStoreContract } from '../store/callStoreContract.js';
import {
  hasRedisServer,
  type RedisServer,
  SKIP_REASON,
  sleep,
  startRedisServer,
} from './support/redisServer.js';

/** Short enough to wait for, long enough that a loaded machine still sees the record first. */
const RETENTION_MS = 300;

describe.skipIf(!hasRedisServer)('createRedisCallStore (real redis-server)', () => {
  let server: RedisServer;
  let prefixCount = 0;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await server?.dispose();
  });

  describeCallStoreContract('createRedisCallStore', async () => {
    prefixCount += 1;
    const store = createRedisCallStore({
      url: server.url,
      keyPrefix: `contract${prefixCount}:`,
      ttlMs: RETENTION_MS,
    });
    return {
      store,
      retentionMs: RETENTION_MS,
      now: Date.now,
      advance: sleep,
      close: () => store.close(),
    };
  });
});

if (!hasRedisServer) {
  describe('createRedisCallStore contract', () => {
    it.skip(SKIP_REASON, () => {});
  });
}
