import { afterAll, beforeAll, expect, test } from 'vitest';
import { startGateway, type TestGateway } from './support/app.ts';
import { orderInput, seedConnection } from './support/seed.ts';
import { upsertOrders } from '../src/store/orders.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => gw?.close());

test('an authenticated list of orders on an empty tenant is empty', async () => {
  const res = await gw.call('/v1/orders');
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ data: [], next_cursor: null });
});

test('a stored order comes back with its lines and exact money', async () => {
  const con = await seedConnection(gw.tdb.db, gw.a.id);
  await upsertOrders(gw.tdb.db, { tenantId: gw.a.id, connectionId: con.id, channel: 'scripted' }, [orderInput(1)]);
  const res = await gw.call('/v1/orders');
  const body = (await res.json()) as { data: { totals: { total: unknown }; lines: unknown[] }[] };
  expect(body.data).toHaveLength(1);
  expect(body.data[0].totals.total).toEqual({ amount: '34.90', currency: 'EUR' });
  expect(body.data[0].lines).toHaveLength(3);
});
