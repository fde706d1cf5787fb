// Webhook delivery survives a killed worker process: `switchyard worker` is SIGKILLed while deliveries
// are in flight (their answers never recorded) and while events keep being written; the next process
// takes over and every event reaches the receiver, at least once, in order per entity.
import { sql } from 'kysely';
import { afterEach, expect, test } from 'vitest';
import { upsertOrders, type ConnectionRef } from '../src/store/orders.ts';
import { startGateway, type TestGateway } from './support/app.ts';
import { orderInput, seedConnection } from './support/seed.ts';
import { trackWorkerProcesses, waitFor } from './support/sync-harness.ts';
import { orderViolations, startReceiver, type Receiver } from './support/webhook-receiver.ts';

const processes = trackWorkerProcesses();
let gw: TestGateway | undefined;
let rx: Receiver | undefined;
afterEach(async () => {
  await processes.killAll();
  await rx?.close();
  await gw?.close();
  gw = undefined;
  rx = undefined;
});

const WORKER_ENV = { SWITCHYARD_WEBHOOK_TIMEOUT_MS: '20000', SWITCHYARD_WEBHOOK_BACKOFF_MS: '50' };

async function round(g: TestGateway, ref: ConnectionRef, r: number, n: number): Promise<void> {
  await upsertOrders(
    g.tdb.db,
    ref,
    Array.from({ length: n }, (_, i) => ({ ...orderInput(i + 1), order_number: `R${r}-${i + 1}`, updated_at: new Date(Date.parse('2026-03-01T00:00:00Z') + r * 1000).toISOString() })),
  );
}

test('a worker killed with deliveries in flight loses nothing: the next process delivers every event, in order per entity', { timeout: 90_000 }, async () => {
  gw = await startGateway();
  gw.tdb.pool.on('error', () => undefined);
  rx = await startReceiver();
  const con = await seedConnection(gw.tdb.db, gw.a.id);
  const ref = { tenantId: gw.a.id, connectionId: con.id, channel: con.channel };
  const res = await gw.call('/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: rx.url, event_types: ['order.*'] }) });
  expect(res.status).toBe(201);
  const ep = (await res.json()) as { id: string; secret: string };
  rx.secret = ep.secret;
  // Requests 6 to 9 hang: the worker is killed while they wait for an answer.
  let killed = false;
  rx.script = ({ n }) => (!killed && n >= 6 && n <= 9 ? 'hang' : 'ok');

  const a = processes.spawn(gw.tdb.url, WORKER_ENV);
  await round(gw, ref, 0, 12);
  await round(gw, ref, 1, 12);
  await waitFor('deliveries to hang in flight', () => rx!.log.filter((r) => r.answer === 'hang').length >= 4, 30_000);
  await a.kill('SIGKILL');
  killed = true;
  // Written while no worker runs: fanned out by the next one.
  await round(gw, ref, 2, 12);

  processes.spawn(gw.tdb.url, WORKER_ENV);
  const { rows: expected } = await sql<{ id: string; entity_id: string }>`SELECT id, entity_id FROM events WHERE tenant_id = ${gw.a.id} ORDER BY tx_id, seq`.execute(gw.tdb.db);
  expect(expected).toHaveLength(36);
  await waitFor(
    'every event to be delivered',
    async () => {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = ${ep.id} AND state = 'succeeded'`.execute(gw!.tdb.db);
      return rows[0]!.n === expected.length;
    },
    60_000,
    100,
  );
  const accepted = new Set(rx.log.filter((r) => r.answer === 'ok').map((r) => r.id));
  expect([...accepted].sort()).toEqual(expected.map((e) => e.id).sort());
  // The hung ones were sent again by the second process (at least once).
  for (const hung of rx.log.filter((r) => r.answer === 'hang')) expect(accepted.has(hung.id)).toBe(true);
  expect(rx.log.every((r) => r.signatureValid)).toBe(true);
  expect(orderViolations(rx.log, expected.map((e) => ({ id: e.id, entityId: e.entity_id })))).toEqual([]);
  expect(a.output()).toBe('');
});
