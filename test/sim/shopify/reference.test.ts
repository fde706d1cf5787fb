// The committed Admin GraphQL reference: the same bytes as the workspace's specs/shopify/ copy (when that
// folder is beside the repository), a NOTICE that names its source and licence, and a schema that builds.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { adminSchema, REFERENCE_FILE } from './schema.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const shared = resolve(repoRoot, '../shared/specs/shopify', 'admin_2026-10.json.gz');
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('the committed Shopify reference', () => {
  it.skipIf(!existsSync(shared))('is byte for byte the workspace copy in ../shared/specs/shopify/ (skipped: that folder is not beside this checkout)', () => {
    expect(sha(REFERENCE_FILE)).toBe(sha(shared));
  });

  it('carries a NOTICE naming its source package and licence', () => {
    const notice = readFileSync(resolve(dirname(REFERENCE_FILE), 'NOTICE'), 'utf8');
    expect(notice).toContain('@shopify/dev-mcp 1.16.0');
    expect(notice).toContain('ISC License');
  });

  it('builds into the 2026-10 schema with the operations the simulator serves', () => {
    const { schema } = adminSchema();
    expect(Object.keys(schema.getTypeMap()).length).toBe(3546);
    const mutations = schema.getMutationType()!.getFields();
    for (const m of ['inventorySetQuantities', 'productUpdate', 'productVariantsBulkUpdate', 'fulfillmentCreate', 'orderCancel', 'orderCreate', 'bulkOperationRunQuery', 'webhookSubscriptionCreate']) {
      expect(mutations[m], m).toBeDefined();
    }
    expect(schema.getDirective('idempotent')?.args.map((a) => a.name)).toEqual(['key']);
  });
});
