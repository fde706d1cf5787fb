// Structured logs. Secrets and buyer PII are redacted by path wherever they could appear.
import pino, { type Logger } from 'pino';

export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'credentials',
  '*.credentials',
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'email',
  '*.email',
  'shipping_address',
  'billing_address',
  '*.shipping_address',
  '*.billing_address',
];

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'switchyard' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

export type { Logger };
