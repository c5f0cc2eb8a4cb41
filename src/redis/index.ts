// graph-call-machine/redis: calls in Redis (through ioredis), shared by several bot instances.

export type {
  RedisCallStore,
  RedisCallStoreBaseOptions,
  RedisCallStoreOptions,
} from './createRedisCallStore.js';
export { createRedisCallStore } from './createRedisCallStore.js';
export type {
  RedisStoreErrorInit,
  RedisStoreFailure,
  RedisStoreOperation,
} from './redisStoreError.js';
export { RedisStoreError } from './redisStoreError.js';
