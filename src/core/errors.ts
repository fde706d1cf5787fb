// The one error type of Switchyard. Every surface (REST, GraphQL, the API2Cart layer, the job engine)
// maps these kinds once; code elsewhere throws AppError and never builds a response by hand.

export const ERROR_KINDS = [
  'validation',
  'not_found',
  'conflict',
  'unauthorized',
  'forbidden',
  'throttled',
  'upstream_unavailable',
  'upstream_rejected',
  'auth_failed',
  'internal',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface FieldError {
  path: string;
  message: string;
}

export interface AppErrorOptions {
  /** Field-level problems, for validation errors. */
  errors?: FieldError[];
  /** Whether trying the same thing again later may succeed. Defaults by kind. */
  retriable?: boolean;
  /** For throttling: milliseconds until a retry is worth making. */
  retryAfterMs?: number;
  cause?: unknown;
}

const RETRIABLE_BY_DEFAULT: ReadonlySet<ErrorKind> = new Set(['throttled', 'upstream_unavailable', 'internal']);

/**
 * An expected failure with a kind that every surface knows how to present.
 * @example throw new AppError('not_found', 'Order ord_… was not found')
 */
export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly errors: FieldError[] | undefined;
  readonly retriable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(kind: ErrorKind, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.errors = options.errors;
    this.retriable = options.retriable ?? RETRIABLE_BY_DEFAULT.has(kind);
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

export function notFound(what: string, id: string): AppError {
  return new AppError('not_found', `${what} ${id} was not found`);
}
