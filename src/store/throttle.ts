// Picks the Throttle for this deployment: shared through Redis when REDIS_URL is configured (several
// processes or machines), else in process memory (the single-node default).
import { RedisThrottle } from './redis-throttle.ts';
import { MemoryThrottle, type ClosableThrottle } from './memory-throttle.ts';

export interface CreateThrottleOptions {
  /** REDIS_URL; absent or empty means the in-memory throttle. */
  redisUrl?: string | undefined;
  /** Redis key prefix (default `switchyard:throttle:`). */
  keyPrefix?: string;
}

/**
 * The throttle for this process; call `close()` at shutdown.
 * @example
 * const throttle = createThrottle({ redisUrl: config.REDIS_URL });
 * await throttle.acquire('magento:c1:orders', { ratePerSec: 4, burst: 8 });
 * await throttle.close();
 */
export function createThrottle(options: CreateThrottleOptions = {}): ClosableThrottle {
  if (options.redisUrl) return new RedisThrottle({ url: options.redisUrl, ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }) });
  return new MemoryThrottle();
}
