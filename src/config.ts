// Configuration from the environment, validated once at start.
import { z } from 'zod';

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().optional(),
  SWITCHYARD_DATA_DIR: z.string().default('.switchyard'),
  SWITCHYARD_SECRET_KEY: z.string().optional(),
  SWITCHYARD_BOOTSTRAP_API_KEY: z.string().min(16, 'SWITCHYARD_BOOTSTRAP_API_KEY must be at least 16 characters').optional(),
  SWITCHYARD_ALLOW_PRIVATE_UPSTREAMS: z
    .enum(['0', '1', 'true', 'false'])
    .default('0')
    .transform((v) => v === '1' || v === 'true'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SWITCHYARD_EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Comma-separated module paths exporting extra adapter factories (tests, third-party channels). */
  SWITCHYARD_EXTRA_ADAPTERS: z.string().optional(),
  /** Job workers run by `serve` (0: API only) and by `worker`. */
  SWITCHYARD_WORKERS: z.coerce.number().int().min(0).max(64).default(4),
  SWITCHYARD_WORKER_HEARTBEAT_MS: z.coerce.number().int().min(100).default(5_000),
  SWITCHYARD_WORKER_STALE_MS: z.coerce.number().int().min(500).default(30_000),
  SWITCHYARD_JOB_POLL_MS: z.coerce.number().int().min(50).default(1_000),
  /** Webhooks: attempt timeout, retry window, first backoff step, and how long an endpoint may fail before it is disabled. */
  SWITCHYARD_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  SWITCHYARD_WEBHOOK_RETRY_WINDOW_MS: z.coerce.number().int().min(0).default(3 * 24 * 3600_000),
  SWITCHYARD_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).default(5_000),
  SWITCHYARD_WEBHOOK_DISABLE_AFTER_MS: z.coerce.number().int().min(0).default(5 * 24 * 3600_000),
  /** Attempts in flight at once per endpoint (each to a different entity). */
  SWITCHYARD_WEBHOOK_PARALLEL: z.coerce.number().int().min(1).max(256).default(16),
});

export type Config = z.infer<typeof Env>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`invalid configuration:\n${lines}`);
  }
  return parsed.data;
}
