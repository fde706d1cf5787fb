// Assertions on REST responses shared by the suites: JSON bodies, problem+json shapes, and a recorder
// that keeps every body a test saw (to prove a secret never appears in any of them).
import { expect } from 'vitest';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: { path: string; message: string }[];
}

/** The JSON body of a 2xx response; fails with the body text when the status is not the expected one. */
export async function ok<T = any>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${text.slice(0, 600)}`);
  expect(r.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  return JSON.parse(text) as T;
}

/**
 * Asserts an RFC 9457 problem: the content type, the status in the body matching the response, a type,
 * a title and a detail. With `paths`, the problem's errors must name exactly those field paths.
 */
export async function problem(
  res: Response | Promise<Response>,
  status: number,
  expected: { type?: string; paths?: string[]; detail?: RegExp } = {},
): Promise<ProblemBody> {
  const r = await res;
  const text = await r.text();
  if (r.status !== status) throw new Error(`expected problem ${status}, got ${r.status}: ${text.slice(0, 600)}`);
  expect(r.headers.get('content-type')).toBe('application/problem+json');
  const body = JSON.parse(text) as ProblemBody;
  expect(body.status).toBe(status);
  expect(body.type).toMatch(/^urn:switchyard:problem:[a-z_-]+$/);
  expect(body.title).toEqual(expect.any(String));
  expect(body.detail).toEqual(expect.any(String));
  expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/); // never a stack trace
  if (expected.type) expect(body.type).toBe(`urn:switchyard:problem:${expected.type}`);
  if (expected.detail) expect(body.detail).toMatch(expected.detail);
  if (expected.paths) {
    expect(body.errors, 'validation problems carry errors[]').toBeDefined();
    for (const e of body.errors!) expect(e.message).toEqual(expect.any(String));
    expect(body.errors!.map((e) => e.path).sort()).toEqual([...expected.paths].sort());
  }
  return body;
}

/** JSON request options. */
export function jsonBody(method: string, body: unknown): RequestInit {
  return { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
}
