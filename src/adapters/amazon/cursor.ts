// Pull cursors: the upstream's page token together with the filters of the run's first page, since
// SP-API wants every later page asked with the same filters as the first (a later "now" would not do).
import { z } from 'zod';
import { AppError } from '../../core/errors.ts';
import { decodeToken, encodeToken } from '../../core/ids.ts';

export function encodeCursor(value: unknown): string {
  return encodeToken(value);
}

export function decodeCursor<T>(schema: z.ZodType<T>, cursor: string): T {
  const r = schema.safeParse(decodeToken(cursor));
  if (r.success) return r.data;
  throw new AppError('validation', 'amazon pull cursor is not one this adapter wrote', { retriable: false });
}
