// The Admin GraphQL schema the simulator validates and answers against: Shopify's own introspection of
// version 2026-10, committed beside this file (reference/, with its NOTICE) and built once per process
// with graphql-js's buildClientSchema.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { buildClientSchema, type GraphQLSchema, type IntrospectionQuery } from 'graphql';

export const API_VERSION = '2026-10';
/** The committed copy, found relative to this file (no machine path). */
export const REFERENCE_FILE = resolve(dirname(fileURLToPath(import.meta.url)), 'reference', `admin_${API_VERSION}.json.gz`);

let cached: { schema: GraphQLSchema; loadMs: number } | null = null;

/** The parsed introspection document ({ data: { __schema } }). */
export function readIntrospection(file = REFERENCE_FILE): { data: IntrospectionQuery } {
  return JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as { data: IntrospectionQuery };
}

/** The schema, built once per process (~0.5 s idle). */
export function adminSchema(): { schema: GraphQLSchema; loadMs: number } {
  if (cached) return cached;
  const t0 = performance.now();
  const schema = buildClientSchema(readIntrospection().data, { assumeValid: true });
  cached = { schema, loadMs: Math.round(performance.now() - t0) };
  return cached;
}
