// RFC 9457 problem+json: the one place REST turns errors into responses.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { isAppError, type ErrorKind, type FieldError } from '../core/errors.ts';
import type { AppEnv } from './context.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

const STATUS_BY_KIND: Record<ErrorKind, ContentfulStatusCode> = {
  validation: 400,
  not_found: 404,
  conflict: 409,
  unauthorized: 401,
  forbidden: 403,
  throttled: 429,
  upstream_unavailable: 502,
  upstream_rejected: 422,
  auth_failed: 422,
  internal: 500,
};

export const problemType = (slug: string): string => `urn:switchyard:problem:${slug}`;

export function problemResponse(c: Context, status: ContentfulStatusCode, slug: string, detail?: string, extra: Record<string, unknown> = {}): Response {
  const body: Problem = { type: problemType(slug), title: TITLES[status] ?? 'Error', status, ...(detail && { detail }), instance: c.req.path, ...extra };
  return c.body(JSON.stringify(body), status, { 'content-type': 'application/problem+json' });
}

/** Field paths like `settings.base_url` or `lines[0].sku` from zod issues. */
export function fieldErrors(error: ZodError, prefix?: string, unknownWord = 'field'): FieldError[] {
  return error.issues.map((i) => {
    let path = prefix ?? '';
    for (const seg of i.path) {
      path += typeof seg === 'number' ? `[${seg}]` : path ? `.${String(seg)}` : String(seg);
    }
    const unknownKeys = i.code === 'unrecognized_keys' ? i.keys : undefined;
    if (unknownKeys) return { path: unknownKeys.map((k) => (path ? `${path}.${k}` : k)).join(', '), message: `unknown ${unknownWord}${unknownKeys.length > 1 ? 's' : ''}` };
    return { path: path || '(root)', message: i.message };
  });
}

/** NUL and unpaired UTF-16 surrogates: PostgreSQL stores neither in text or jsonb (it fails the statement). */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

interface Node {
  value: unknown;
  parent: Node | null;
  key: string | number;
}

function pathOf(node: Node): string {
  const keys: (string | number)[] = [];
  for (let n: Node | null = node; n?.parent; n = n.parent) keys.push(n.key);
  let path = '';
  for (const k of keys.reverse()) path += typeof k === 'number' ? `[${k}]` : path ? `.${k}` : k;
  return path || '(root)';
}

/**
 * Paths (as fieldErrors writes them) of the strings, or object keys, in `value` that PostgreSQL cannot
 * store; at most `max`. Iterative, and paths are only built for what is reported, so a deeply nested
 * body costs linear time and no stack.
 */
export function unstorableStrings(value: unknown, max = 20): string[] {
  const out: string[] = [];
  const stack: Node[] = [{ value, parent: null, key: '' }];
  while (stack.length > 0 && out.length < max) {
    const node = stack.pop()!;
    const v = node.value;
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) out.push(pathOf(node));
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], parent: node, key: i });
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v).reverse()) {
        const child = { value: x, parent: node, key: k };
        if (UNSTORABLE.test(k)) out.push(pathOf(child));
        else stack.push(child);
      }
    }
  }
  return out.slice(0, max);
}

/**
 * The zod-openapi defaultHook: query, path and header problems are 400, body problems 422. Input that
 * validates but holds strings PostgreSQL cannot store is refused here too, rather than failing as a 500.
 */
export function validationHook(result: { target: string; success: boolean; error?: ZodError; data?: unknown }, c: Context<AppEnv>): Response | undefined {
  const isBody = result.target === 'json' || result.target === 'form';
  const where = result.target === 'json' ? 'request body' : `${result.target} parameters`;
  if (result.success) {
    // Path parameters are ids, which checkId answers (404) before they reach the database.
    const bad = result.target === 'param' ? [] : unstorableStrings(result.data);
    if (bad.length === 0) return undefined;
    const errors = bad.map((path) => ({ path, message: 'must not contain NUL characters or unpaired surrogates' }));
    return problemResponse(c, isBody ? 422 : 400, 'validation', `The ${where} did not validate`, { errors });
  }
  if (!result.error) return undefined;
  return problemResponse(c, isBody ? 422 : 400, 'validation', `The ${where} did not validate`, { errors: fieldErrors(result.error, undefined, isBody ? 'field' : 'parameter') });
}

/** Problem types of HTTPExceptions thrown by Hono and zod-openapi, the same as our own for the status. */
const HTTP_SLUGS: Record<number, string> = { 400: 'malformed-request', 413: 'body-too-large', 415: 'unsupported-media-type' };

/** Requests whose input is their body: a validation error there is about the body. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * app.onError: expected errors by kind, HTTP exceptions by status, anything else a masked 500.
 * A validation error follows the same rule as validationHook: 400 for query and path input, 422 when
 * the request's input is its body (a service checking settings, credentials or a channel name).
 */
export function onError(err: Error, c: Context<AppEnv>): Response {
  if (isAppError(err)) {
    const status = err.kind === 'validation' && BODY_METHODS.has(c.req.method) ? 422 : STATUS_BY_KIND[err.kind];
    if (err.retryAfterMs !== undefined) c.header('retry-after', String(Math.ceil(err.retryAfterMs / 1000)));
    return problemResponse(c, status, err.kind, err.message, err.errors ? { errors: err.errors } : {});
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const slug = HTTP_SLUGS[status] ?? 'http';
    return problemResponse(c, status, slug, err.message || TITLES[status]);
  }
  c.get('log')?.error({ err }, 'unhandled error');
  return problemResponse(c, 500, 'internal', 'An unexpected error occurred; it has been logged.');
}
