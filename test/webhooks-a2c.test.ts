// API2Cart's webhook.* methods and account.failed_webhooks over the same endpoints as /v1/webhooks:
// each answer checked against API2Cart's OpenAPI document (ajv), and a webhook made through
// webhook.create actually delivers.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { a2cMethods } from '../src/api/api2cart/registry.ts';
import { upsertProducts } from '../src/store/catalog.ts';
import { upsertInventory } from '../src/store/inventory.ts';
import { upsertOrders } from '../src/store/orders.ts';
import { startGateway, type TestGateway } from './support/app.ts';
import { inventoryInput, orderInput, productInput, seedConnection } from './support/seed.ts';
import { waitFor } from './support/sync-harness.ts';
import { startReceiver, type Receiver } from './support/webhook-receiver.ts';
import { reference } from './support/references.ts';

const HAS_SPEC = true;
type Envelope = { return_code: number; return_message: string; result: Record<string, any> };

let gw: TestGateway;
let rx: Receiver;
let failing: Receiver;
let storeKey: string;
let ref: { tenantId: string; connectionId: string; channel: string };
const ajv = new Ajv2020({ strict: false, allErrors: true });
const spec = reference<{ paths: Record<string, Record<string, unknown>> }>('api2cart-openapi');

async function call(method: string, params: Record<string, unknown> = {}, store: string | null = storeKey): Promise<Envelope> {
  const s = a2cMethods.specs[method]!;
  const headers: Record<string, string> = { 'x-api-key': gw.a.key, ...(store && { 'x-store-key': store }) };
  const inBody = s.transport === 'body';
  const qs = inBody ? '' : new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  const res = await gw.app.request(`/v1.1/${method}.json${qs ? `?${qs}` : ''}`, {
    method: s.verbs[0],
    headers: inBody ? { ...headers, 'content-type': 'application/json' } : headers,
    ...(inBody && { body: JSON.stringify(params) }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as Envelope;
  if (HAS_SPEC && body.return_code === 0) {
    const path = `/${method}.json`;
    const verb = Object.keys(spec.paths[path]!)[0]!;
    const pointer = `a2c#/paths/${path.replace(/\//g, '~1')}/${verb}/responses/200/content/application~1json/schema`;
    const validate = ajv.getSchema(pointer) ?? ajv.compile({ $ref: pointer });
    expect(validate(body) ? null : { method, errors: validate.errors?.slice(0, 5) }).toBeNull();
  }
  return body;
}

beforeAll(async () => {
  if (HAS_SPEC) ajv.addSchema(spec, 'a2c');
  gw = await startGateway({ engine: { webhooks: { timeoutMs: 400, backoffBaseMs: 40, backoffCapMs: 200, retryWindowMs: 500, dispatchIntervalMs: 20 } } });
  gw.tdb.pool.on('error', () => undefined);
  rx = await startReceiver();
  failing = await startReceiver();
  failing.script = () => 'fail';
  const con = await seedConnection(gw.tdb.db, gw.a.id);
  storeKey = con.store_key;
  ref = { tenantId: gw.a.id, connectionId: con.id, channel: con.channel };
  await gw.engine.startWorkers(2);
});
afterAll(async () => {
  await rx?.close();
  await failing?.close();
  await gw?.close();
});

test('webhook.events, create, list, count, update and delete, in the document\'s shapes; a created webhook delivers', { timeout: 30_000 }, async () => {
  const events = await call('webhook.events');
  expect(events.result.events).toContainEqual({ webhook_name: 'order.add', entity: 'order', action: 'add', filterable_fields: {} });

  const created = await call('webhook.create', { entity: 'order', action: 'add', callback: rx.url, label: 'OMS orders' });
  expect(created.return_code).toBe(0);
  expect(Number.isInteger(created.result.id)).toBe(true);
  expect((await call('webhook.create', { entity: 'order', action: 'explode', callback: rx.url })).return_code).toBe(109);
  expect((await call('webhook.create', { entity: 'order', action: 'add' })).return_code).toBe(114);

  const list = await call('webhook.list', { params: 'force_all' });
  expect(list.result.webhook).toEqual([expect.objectContaining({ id: created.result.id, entity: 'order', action: 'add', callback: rx.url, label: 'OMS orders', active: true })]);
  // Also visible (and the same endpoint) over REST.
  const rest = (await (await gw.call('/v1/webhooks')).json()) as { data: { url: string; event_types: string[]; filters: { connection_ids: string[] } }[] };
  expect(rest.data).toEqual([expect.objectContaining({ url: rx.url, event_types: ['order.created'], filters: { connection_ids: [ref.connectionId], channels: [] } })]);

  await upsertOrders(gw.tdb.db, ref, [orderInput(1)]);
  await waitFor('the order.created delivery', () => rx.log.some((r) => r.type === 'order.created' && r.answer === 'ok'));

  expect((await call('webhook.update', { id: String(created.result.id), active: false })).result).toEqual({ updated: 'true' });
  expect((await call('webhook.list', { active: false })).result.webhook).toEqual([{ id: created.result.id, entity: 'order', action: 'add', callback: rx.url }]);
  expect((await call('webhook.count')).result).toEqual({ webhook_count: 1 });
  expect((await call('webhook.delete', { id: String(created.result.id) })).result).toEqual({ deleted: 'true' });
  expect((await call('webhook.count')).result).toEqual({ webhook_count: 0 });
  expect((await call('webhook.delete', { id: String(created.result.id) })).return_code).toBe(112);
});

test('account.failed_webhooks lists deliveries given up, by webhook id, with the entity id', { timeout: 30_000 }, async () => {
  const created = await call('webhook.create', { entity: 'product', action: 'add', callback: failing.url });
  // product.add fires for products; stock changes do not reach this webhook.
  await upsertInventory(gw.tdb.db, ref, [inventoryInput(1)]);
  await upsertProducts(gw.tdb.db, ref, [productInput(7)]);
  const failed = await waitFor(
    'the delivery to be given up',
    async () => {
      const r = await call('account.failed_webhooks', { ids: String(created.result.id) }, null);
      return r.result.webhook.length === 1 ? r : undefined;
    },
    20_000,
    100,
  );
  expect(failed.result.all_failed_webhook).toBe('1');
  expect(failed.result.webhook[0]).toMatchObject({ webhook_id: created.result.id, entity_id: expect.stringMatching(/^prd_/), time: { value: expect.any(String), format: 'Y-m-d\\TH:i:sO' } });
  expect((await call('account.failed_webhooks', { ids: '999999' }, null)).result).toEqual({ all_failed_webhook: '0', webhook: [] });
});
