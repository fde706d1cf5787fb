// OpenAPI drift: openapi.yaml at the repo root must be exactly what the routes generate (as
// `switchyard openapi` prints it). Regenerate with `npm run openapi` after changing a route or schema.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { createApp, openApiDocument } from '../src/api/app.ts';
import { defaultRegistry } from '../src/adapters/registry.ts';
import { createLogger } from '../src/log.ts';
import { offlineApp } from '../src/server.ts';
import { AesGcmSecretBox } from '../src/store/secrets.ts';

// As the CLI builds it: the document depends on the routes only, so no database is opened.
const app = offlineApp();

describe('openapi.yaml', () => {
  test('matches the document the routes generate (run `npm run openapi` to refresh it)', async () => {
    const committed = await readFile(fileURLToPath(new URL('../openapi.yaml', import.meta.url)), 'utf8');
    const generated = stringify(openApiDocument(app), { lineWidth: 0 });
    // Compare line by line first so a failure names the first drifting line, not a 2,000-line blob.
    const a = committed.split('\n');
    const b = generated.split('\n');
    const first = a.findIndex((line, i) => line !== b[i]);
    expect(first === -1 && a.length === b.length ? null : { line: first + 1, committed: a[first], generated: b[first] }).toBeNull();
    expect(committed).toBe(generated);
  });

  test('every /v1 route the app serves is in the document, with its method', () => {
    const doc = openApiDocument(app);
    const served = app.routes
      .filter((r) => r.path.startsWith('/v1/') && !r.path.includes('*') && r.method !== 'ALL')
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(served.length).toBeGreaterThanOrEqual(16);
    const documented = Object.entries(doc.paths ?? {}).flatMap(([path, item]) => Object.keys(item ?? {}).map((m) => `${m} ${path}`));
    expect([...new Set(served)].sort()).toEqual(documented.sort());
  });
});
