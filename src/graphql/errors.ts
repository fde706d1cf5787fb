// The one place GraphQL turns errors into responses: an expected AppError (not_found, validation, …)
// is shown with its message and `extensions.code`; anything else is masked by Yoga's default
// ("Unexpected error.", INTERNAL_SERVER_ERROR) and logged.
import { GraphQLError } from 'graphql';
import { maskError as yogaMaskError, type YogaLogger } from 'graphql-yoga';
import type { Logger } from 'pino';
import { isAppError, type AppError, type ErrorKind } from '../core/errors.ts';

/** `not_found` -> `NOT_FOUND`: the GraphQL convention for `extensions.code`. */
export const errorCode = (kind: ErrorKind): string => kind.toUpperCase();

/** The AppError behind a (possibly located) error, unless it is an internal one. */
function exposedAppError(error: unknown): AppError | undefined {
  let current: unknown = error;
  for (let i = 0; i < 5 && current; i++) {
    if (isAppError(current)) return current.kind === 'internal' ? undefined : current;
    current = current instanceof GraphQLError ? current.originalError : undefined;
  }
  return undefined;
}

/** Yoga's `maskedErrors.maskError`. Development details of unknown errors are never shown. */
export function maskError(error: unknown, message: string): Error {
  const app = exposedAppError(error);
  if (!app) return yogaMaskError(error, message, false);
  const located = error instanceof GraphQLError ? error : undefined;
  return new GraphQLError(app.message, {
    nodes: located?.nodes ?? null,
    source: located?.source ?? null,
    positions: located?.positions ?? null,
    path: located?.path ?? null,
    extensions: {
      code: errorCode(app.kind),
      ...(app.errors && { errors: app.errors }),
      ...(app.retriable && { retriable: true }),
    },
  });
}

/** Yoga's logger on top of pino. Yoga logs each error it masks; expected AppErrors only at debug. */
export function yogaLogger(log: Logger): YogaLogger {
  const show = (a: unknown): string => {
    if (typeof a === 'string') return a;
    try {
      return JSON.stringify(a) ?? String(a);
    } catch {
      return String(a);
    }
  };
  const text = (args: unknown[]) => args.map(show).join(' ');
  return {
    debug: (...args: unknown[]) => log.debug(text(args)),
    info: (...args: unknown[]) => log.info(text(args)),
    warn: (...args: unknown[]) => log.warn(text(args)),
    error: (...args: unknown[]) => {
      const err = args.find((a) => a instanceof Error);
      if (!err) return log.error(text(args));
      const app = exposedAppError(err);
      if (app) return log.debug({ kind: app.kind }, `graphql: ${app.message}`);
      const original = err instanceof GraphQLError && err.originalError ? err.originalError : err;
      log.error({ err: original, path: err instanceof GraphQLError ? err.path : undefined }, 'graphql: unexpected error');
    },
  };
}
