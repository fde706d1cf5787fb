// API2Cart's return codes, as API2Cart publishes them in its "Response Status Codes" list (the OpenAPI
// document itself does not enumerate them), and the error a method throws to answer with one.
import { isAppError, type ErrorKind } from '../../core/errors.ts';

export const A2C = {
  SUCCESS: 0,
  SERVICE_UNAVAILABLE: 1,
  INCORRECT_API_KEY: 2,
  METHOD_NOT_SPECIFIED: 3,
  STORE_ACCESS_DENIED: 4,
  INTERNAL_ERROR: 9,
  STORE_API_ERROR: 100,
  STORE_NOT_FOUND: 101,
  STORE_ERROR: 107,
  /** "Incorrect parameters for method_name": a bad parameter, and a method this gateway does not serve. */
  INCORRECT_PARAMETERS: 109,
  TOO_MANY_REQUESTS: 110,
  TOO_MANY_ITEMS: 111,
  NOT_FOUND: 112,
  ALREADY_EXISTS: 113,
  REQUIRED_PARAMETER: 114,
} as const;
export type A2cCode = (typeof A2C)[keyof typeof A2C];

/** The code of a method the document has and Switchyard does not serve (see codes.ts header). */
export const NOT_SUPPORTED = A2C.INCORRECT_PARAMETERS;

export class A2cError extends Error {
  constructor(
    readonly code: A2cCode,
    message: string,
  ) {
    super(message);
    this.name = 'A2cError';
  }
}

export function notSupported(method: string, why = 'is not supported by Switchyard for this platform'): A2cError {
  return new A2cError(NOT_SUPPORTED, `Method ${method} ${why}.`);
}

const BY_KIND: Record<ErrorKind, A2cCode> = {
  validation: A2C.INCORRECT_PARAMETERS,
  not_found: A2C.NOT_FOUND,
  conflict: A2C.ALREADY_EXISTS,
  unauthorized: A2C.INCORRECT_API_KEY,
  forbidden: A2C.STORE_ACCESS_DENIED,
  throttled: A2C.TOO_MANY_REQUESTS,
  upstream_unavailable: A2C.STORE_API_ERROR,
  upstream_rejected: A2C.STORE_ERROR,
  auth_failed: A2C.STORE_API_ERROR,
  internal: A2C.INTERNAL_ERROR,
};

/** Any error as a return code and message; unknown errors say nothing about their cause. */
export function toA2c(err: unknown): { code: A2cCode; message: string; unexpected: boolean } {
  if (err instanceof A2cError) return { code: err.code, message: err.message, unexpected: false };
  if (isAppError(err)) {
    const details = err.errors?.length ? ` (${err.errors.map((e) => `${e.path}: ${e.message}`).join('; ')})` : '';
    return { code: BY_KIND[err.kind], message: err.kind === 'internal' ? 'Internal service error.' : `${err.message}${details}`, unexpected: err.kind === 'internal' };
  }
  return { code: A2C.INTERNAL_ERROR, message: 'Internal service error.', unexpected: true };
}
