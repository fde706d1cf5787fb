// Pull cursors: the upstream's page token together with the filters of the run's first page, since
// SP-API wants every later page asked with the same filters as the first (a later "now" would not do).
import { z } from 'zod';
import { AppError } from '../../core/errors.ts';

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(schema: z.ZodType<T>, cursor: string): T {
  try {
    const r = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (r.success) return r.data;
  } catch {
    // fall through
  }
  throw new AppError('validation', 'amazon pull cursor is not one this adapter wrote', { retriable: false });
}
