/**
 * `ws4ts/redis`: buses that carry the manager's topics and broadcasts across
 * processes and hosts on Redis. Needs the `redis` package (an optional peer
 * dependency); nothing else in ws4ts loads it.
 *
 * @module
 */
export { RedisBus, type RedisBusOptions } from './redis-bus.js';
export { RedisStreamBus, isStreamId, compareIds, type RedisStreamBusOptions, type StreamHistory } from './redis-streams.js';
