// Request and response schemas shared by the REST routes: list queries, ids, sparse fields, problems.
import { z } from '@hono/zod-openapi';
import { AppError } from '../core/errors.ts';
import { isId, type IdKind } from '../core/ids.ts';
import { decodeCursor, parseSort, SORT_VALUES, type Cursor, type Sort } from '../store/paging.ts';

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

const problemContent = { 'application/problem+json': { schema: ProblemSchema } };
export const problems = {
  400: { description: 'Malformed request or invalid parameters', content: problemContent },
  401: { description: 'Missing or invalid API key', content: problemContent },
  404: { description: 'Not found (including records of other tenants)', content: problemContent },
} as const;
export const bodyProblems = {
  409: { description: 'Conflict', content: problemContent },
  413: { description: 'Body over 1 MiB', content: problemContent },
  415: { description: 'Body is not application/json', content: problemContent },
  422: { description: 'Body did not validate', content: problemContent },
} as const;

/** Routes that test the upstream before they answer. */
export const upstreamProblems = {
  502: { description: 'The upstream could not be reached', content: problemContent },
} as const;

const isoDate = z.iso.datetime({ offset: true }).or(z.iso.date());

export const listBase = {
  limit: z.coerce.number().int().min(1).max(250).default(50).openapi({ description: 'Page size, 1 to 250.', example: 50 }),
  cursor: z.string().max(512).optional().openapi({ description: 'The next_cursor of the previous page.' }),
  fields: z.string().max(1024).optional().openapi({ description: 'Comma-separated top-level fields to return (id is always returned).', example: 'id,status,totals' }),
};

export const syncedFilters = {
  connection_id: z.string().max(64).optional(),
  channel: z.string().max(32).optional(),
  created_from: isoDate.optional().openapi({ description: 'Upstream creation time, inclusive.' }),
  created_to: isoDate.optional().openapi({ description: 'Upstream creation time, exclusive.' }),
  updated_from: isoDate.optional().openapi({ description: 'Upstream update time, inclusive.' }),
  updated_to: isoDate.optional().openapi({ description: 'Upstream update time, exclusive.' }),
  sort: z.enum(SORT_VALUES).optional().openapi({ description: 'Sort order; "-" for descending. Default -created_at.' }),
};

export const IncludeQuery = z
  .object({
    fields: listBase.fields,
    include: z.enum(['raw']).optional().openapi({ description: '"raw" adds the upstream payload as stored.' }),
  })
  .strict();

/** For routes that take no query parameters: an unknown one is a 400, as on every other route. */
export const NoQuery = z.object({}).strict();

export function idParam(example: string) {
  return z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example }) });
}

/** A malformed id cannot name a record: answer as for any unknown id, before touching the database. */
export function checkId(kind: IdKind, id: string, what: string): string {
  if (!isId(kind, id)) throw new AppError('not_found', `${what} ${id} was not found`);
  return id;
}

export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z.object({ data: z.array(item), next_cursor: z.string().nullable() }).openapi(name);
}

/** Sort and decoded cursor of a list request. */
export function paging(q: { sort?: (typeof SORT_VALUES)[number] | undefined; cursor?: string | undefined }, fallback?: Sort): { sort: Sort; cursor: Cursor | null } {
  const sort = parseSort(q.sort, fallback);
  return { sort, cursor: q.cursor ? decodeCursor(q.cursor, sort) : null };
}

/** Validates `fields=` against the entity's top-level keys; returns null when all fields are wanted. */
export function parseFields(fields: string | undefined, allowed: readonly string[]): string[] | null {
  if (!fields) return null;
  const wanted = fields.split(',').map((f) => f.trim()).filter(Boolean);
  const unknown = wanted.filter((f) => !allowed.includes(f));
  if (unknown.length) {
    throw new AppError('validation', 'fields names unknown fields', {
      errors: unknown.map((f) => ({ path: 'fields', message: `unknown field "${f}"; known: ${allowed.join(', ')}` })),
    });
  }
  return ['id', ...wanted.filter((f) => f !== 'id')];
}

export function pick<T extends object>(obj: T, fields: string[] | null): Partial<T> {
  if (!fields) return obj;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in obj) out[f] = (obj as Record<string, unknown>)[f];
  return out as Partial<T>;
}

export function keysOf(schema: z.ZodObject): string[] {
  return Object.keys(schema.shape);
}
