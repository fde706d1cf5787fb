// Retry classes: how the engine treats each failure of an upstream call.
import { isAppError } from '../errors.ts';

export type RetryClass = 'throttled' | 'transient' | 'auth' | 'permanent';

/**
 * throttled: wait for the bucket, not a failure. transient: back off and retry, bounded. auth: the
 * connection needs new credentials. permanent: retrying cannot help (validation, rejected, unknown).
 */
export function classify(err: unknown): RetryClass {
  if (!isAppError(err)) return 'transient';
  switch (err.kind) {
    case 'throttled':
      return 'throttled';
    case 'upstream_unavailable':
    case 'internal':
      return 'transient';
    case 'auth_failed':
    case 'unauthorized':
      return 'auth';
    default:
      return err.retriable ? 'transient' : 'permanent';
  }
}

/** Exponential backoff with full jitter: a random delay in [0, min(cap, base·2^attempt)). */
export function backoffMs(attempt: number, baseMs = 1_000, capMs = 10 * 60_000, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(baseMs / 4, Math.floor(random() * ceiling));
}

export function retryAfterOf(err: unknown, fallbackMs = 1_000): number {
  return isAppError(err) && err.retryAfterMs !== undefined ? Math.max(0, err.retryAfterMs) : fallbackMs;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function errorKind(err: unknown): string {
  return isAppError(err) ? err.kind : 'internal';
}
