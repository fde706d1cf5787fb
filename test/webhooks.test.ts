// Webhooks end to end: endpoints over REST, deliveries signed the Standard Webhooks way (checked by the
// receiver's own HMAC), retried through failures and timeouts until every event is delivered, in order
// per entity; SSRF refusals; retry windows that close; endpoints disabled after failing for too long.
import { sql } from 'kysely';
import { afterEach, describe, expect, test } from 'vitest';
import { createApp } from '../src/api/app.ts';
import { listFailedDeliveries } from '../src/core/services/webhooks.ts';
import { WebhookWorker } from '../src/core/webhooks/delivery.ts';
import { createLogger } from '../src/log.ts';
import type { WebhookSettings } from '../src/core/webhooks/delivery.ts';
import { upsertInventory } from '../src/store/inventory.ts';
import { upsertOrders, type ConnectionRef } from '../src/store/orders.ts';
import { startGateway, type TestGateway } from './support/app.ts';
import { inventoryInput, orderInput, seedConnection, testBox } from './support/seed.ts';
import { listAll, waitFor } from './support/sync-harness.ts';
import { independentSignatureCheck, orderViolations, startReceiver, type Receiver } from './support/webhook-receiver.ts';
import { sign } from '../src/core/webhooks/signature.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

const FAST: Partial<WebhookSettings> = { timeoutMs: 400, backoffBaseMs: 40, backoffCapMs: 300, dispatchIntervalMs: 20 };

async function setup(settings: Partial<WebhookSettings> = {}, workers = 4): Promise<{ gw: TestGateway; ref: ConnectionRef; rx: Receiver }> {
  const gw = await startGateway({ engine: { webhooks: { ...FAST, ...settings } } });
  gw.tdb.pool.on('error', () => undefined);
  const rx = await startReceiver();
  open.push(gw, rx);
  const con = await seedConnection(gw.tdb.db, gw.a.id);
  await gw.engine.startWorkers(workers);
  return { gw, ref: { tenantId: gw.a.id, connectionId: con.id, channel: con.channel }, rx };
}

async function createEndpoint(gw: TestGateway, body: Record<string, unknown>, rx?: Receiver): Promise<{ id: string; secret: string }> {
  const res = await gw.call('/v1/webhooks', { method: 'POST', body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(201);
  const ep = (await res.json()) as { id: string; secret: string };
  if (rx) rx.secret = ep.secret;
  return ep;
}

/** Event ids and entities of the tenant's log, oldest first. */
async function logOrder(gw: TestGateway, type = '*'): Promise<{ id: string; entityId: string; type: string }[]> {
  const { rows } = await sql<{ id: string; entity_id: string; ordering_key: string; type: string }>`
    SELECT id, entity_id, ordering_key, type FROM events WHERE tenant_id = ${gw.a.id} ORDER BY tx_id, seq`.execute(gw.tdb.db);
  return rows.filter((r) => type === '*' || r.type.startsWith(type.replace('*', ''))).map((r) => ({ id: r.id, entityId: r.entity_id, type: r.type }));
}

async function deliveries(gw: TestGateway, endpointId: string): Promise<{ id: string; event_id: string; state: string; attempts: number; last_error: string | null; last_status: number | null }[]> {
  return listAll(gw, `/v1/webhooks/${endpointId}/deliveries?sort=created_at`);
}

/** Orders 1..n created, then each updated `rounds` times: several events per entity. */
async function churnOrders(gw: TestGateway, ref: ConnectionRef, n: number, rounds: number): Promise<void> {
  await upsertOrders(gw.tdb.db, ref, Array.from({ length: n }, (_, i) => orderInput(i + 1)));
  for (let r = 1; r <= rounds; r++) {
    await upsertOrders(
      gw.tdb.db,
      ref,
      Array.from({ length: n }, (_, i) => ({ ...orderInput(i + 1), order_number: `R${r}-${i + 1}`, updated_at: new Date(Date.parse('2026-03-01T00:00:00Z') + r * 1000).toISOString() })),
    );
  }
}

describe('signatures', () => {
  test('the signer reproduces the Standard Webhooks specification\'s example, and the receiver\'s own HMAC agrees', () => {
    // The example message of the Standard Webhooks specification (secret, id, timestamp, body, signature).
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const header = sign(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(header).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    const now = String(Math.floor(Date.now() / 1000));
    expect(independentSignatureCheck(secret, 'evt_1', now, '{"a":1}', sign(secret, 'evt_1', Number(now), '{"a":1}'))).toBe(true);
    expect(independentSignatureCheck(secret, 'evt_1', now, '{"a":2}', sign(secret, 'evt_1', Number(now), '{"a":1}'))).toBe(false);
    expect(independentSignatureCheck(secret, 'evt_2', now, '{"a":1}', sign(secret, 'evt_1', Number(now), '{"a":1}'))).toBe(false);
  });
});

describe('webhook endpoints over REST', () => {
  test('create shows the secret once; get, list, update and delete; bad patterns and other tenants are refused', async () => {
    const { gw, rx } = await setup();
    const ep = await createEndpoint(gw, { url: rx.url, event_types: ['order.*', 'inventory.changed'], description: 'OMS', filters: { channels: ['scripted'] } });
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const got = (await (await gw.call(`/v1/webhooks/${ep.id}`)).json()) as Record<string, unknown>;
    expect(got).not.toHaveProperty('secret');
    expect(got).toMatchObject({ url: rx.url, event_types: ['order.*', 'inventory.changed'], filters: { connection_ids: [], channels: ['scripted'] }, enabled: true, description: 'OMS' });
    expect(JSON.stringify(await (await gw.call('/v1/webhooks')).json())).not.toContain(ep.secret);

    const patched = await gw.call(`/v1/webhooks/${ep.id}`, { method: 'PATCH', body: JSON.stringify({ event_types: ['*'], enabled: false }) });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ event_types: ['*'], enabled: false });

    const bad = await gw.call('/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: rx.url, event_types: ['order.exploded'] }) });
    expect(bad.status).toBe(422);
    expect((await gw.call(`/v1/webhooks/${ep.id}`, { as: gw.b })).status).toBe(404);
    expect((await gw.call(`/v1/webhooks/${ep.id}`, { method: 'DELETE', as: gw.b })).status).toBe(404);
    expect((await gw.call(`/v1/webhooks/${ep.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await gw.call(`/v1/webhooks/${ep.id}`)).status).toBe(404);
    const types = (await (await gw.call('/v1/event-types')).json()) as { data: { type: string }[] };
    expect(types.data.map((t) => t.type)).toContain('webhook.disabled');
  });

  test('SSRF: loopback, private and plain-http URLs are refused when private upstreams are not allowed, at creation and at delivery', async () => {
    const { gw, ref } = await setup();
    const strict = createApp({ db: gw.tdb.db, box: testBox, registry: gw.registry, log: createLogger('silent'), allowPrivateUpstreams: false, engine: gw.engine });
    const post = (url: string) =>
      strict.request('/v1/webhooks', { method: 'POST', headers: { authorization: `Bearer ${gw.a.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ url, event_types: ['*'] }) });
    for (const url of ['http://example.com/hook', 'https://127.0.0.1/hook', 'https://10.1.2.3/hook', 'https://[::1]/hook', 'https://169.254.169.254/latest', 'https://localhost/hook']) {
      const res = await post(url);
      expect(res.status, url).toBe(422);
      expect(((await res.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe('url');
    }
    // Stored while allowed, delivered by a worker that is not allowed: refused, and retried (not sent).
    const ep = await createEndpoint(gw, { url: 'http://127.0.0.1:9/never', event_types: ['*'] });
    await gw.engine.stop();
    await upsertInventory(gw.tdb.db, ref, [inventoryInput(1)]);
    const worker = new WebhookWorker({ db: gw.tdb.db, box: testBox, log: createLogger('silent'), settings: { ...FAST, allowPrivate: false } });
    await waitFor('the event to be fanned out', async () => (await worker.dispatchOnce()) > 0);
    await worker.drain(ep.id);
    const [d] = await deliveries(gw, ep.id);
    expect(d).toMatchObject({ state: 'pending', last_status: null });
    expect(d!.attempts).toBeGreaterThanOrEqual(1);
    expect(d!.last_error).toMatch(/^refused: url is not an allowed upstream address/);
  });
});

describe('delivery', () => {
  test('signed deliveries through failures and timeouts: every event delivered, in order per entity, signatures valid', { timeout: 60_000 }, async () => {
    const { gw, ref, rx } = await setup();
    const ep = await createEndpoint(gw, { url: rx.url, event_types: ['order.*'] }, rx);
    // Requests 3-12 fail, 13-15 hang past the timeout, then every fourth request fails until the 60th.
    rx.script = ({ n }) => (n >= 3 && n <= 12 ? 'fail' : n >= 13 && n <= 15 ? 'hang' : n < 60 && n % 4 === 0 ? 'fail' : 'ok');
    await churnOrders(gw, ref, 8, 3);
    // An unchanged upsert is no event, so no delivery.
    await upsertOrders(gw.tdb.db, ref, [{ ...orderInput(1), order_number: 'R3-1', updated_at: '2026-03-01T00:00:03.000Z' }]);
    const expected = await logOrder(gw, 'order.*');
    expect(expected).toHaveLength(8 * 4);

    const all = await waitFor(
      'every delivery to succeed',
      async () => {
        const ds = await deliveries(gw, ep.id);
        return ds.length === expected.length && ds.every((d) => d.state === 'succeeded') ? ds : undefined;
      },
      45_000,
      100,
    );
    const accepted = rx.log.filter((r) => r.answer === 'ok');
    expect(new Set(accepted.map((r) => r.id))).toEqual(new Set(expected.map((e) => e.id)));
    expect(rx.log.every((r) => r.signatureValid)).toBe(true);
    expect(rx.log.some((r) => r.answer === 'hang')).toBe(true);
    expect(orderViolations(rx.log, expected)).toEqual([]);
    // The failures were retried: the delivery log shows more than one attempt where they happened.
    expect(all.filter((d) => d.attempts > 1).length).toBeGreaterThanOrEqual(10);
    const body = JSON.parse(accepted[0]!.body) as Record<string, any>;
    expect(body).toMatchObject({ id: accepted[0]!.id, type: 'order.created', data: { entity_type: 'order', connection_id: ref.connectionId, channel: 'scripted', object: { external_id: expect.any(String) } } });
    expect(Date.parse(body.timestamp)).not.toBeNaN();
  });

  test('a hanging endpoint does not hold back a healthy one; redelivery sends the same message again', { timeout: 60_000 }, async () => {
    const { gw, ref, rx } = await setup();
    const slow = await startReceiver();
    open.push(slow);
    slow.script = () => 'hang';
    const healthy = await createEndpoint(gw, { url: rx.url, event_types: ['inventory.changed'] }, rx);
    const stuck = await createEndpoint(gw, { url: slow.url, event_types: ['inventory.changed'] }, slow);
    await upsertInventory(gw.tdb.db, ref, Array.from({ length: 30 }, (_, i) => inventoryInput(i)));
    await waitFor('the healthy endpoint to get every event', async () => (await deliveries(gw, healthy.id)).filter((d) => d.state === 'succeeded').length === 30, 30_000, 100);
    const stuckState = await deliveries(gw, stuck.id);
    expect(stuckState.filter((d) => d.state === 'succeeded')).toHaveLength(0);
    expect(slow.log.length).toBeGreaterThan(0);

    const first = (await deliveries(gw, healthy.id))[0]!;
    const before = rx.log.filter((r) => r.id === first.event_id).length;
    const res = await gw.call(`/v1/webhooks/${healthy.id}/deliveries/${first.id}/redeliver`, { method: 'POST' });
    expect(res.status).toBe(202);
    await waitFor('the redelivery', () => rx.log.filter((r) => r.id === first.event_id && r.answer === 'ok').length === before + 1);
    expect((await gw.call(`/v1/webhooks/${healthy.id}/deliveries/${first.id.replace(/.$/, '0')}/redeliver`, { method: 'POST', as: gw.b })).status).toBe(404);
  });

  test('a delivery still failing when its retry window closes is given up (listed as failed); the entity\'s next event goes out', { timeout: 60_000 }, async () => {
    const { gw, ref, rx } = await setup({ retryWindowMs: 600 });
    const ep = await createEndpoint(gw, { url: rx.url, event_types: ['inventory.changed'] }, rx);
    let failing = true;
    rx.script = () => (failing ? 'fail' : 'ok');
    await upsertInventory(gw.tdb.db, ref, [inventoryInput(1)]);
    await waitFor('the delivery to be given up', async () => (await deliveries(gw, ep.id))[0]?.state === 'failed', 20_000, 100);
    const failed = await listFailedDeliveries({ db: gw.tdb.db, box: testBox, allowPrivateUpstreams: true }, gw.a.id, null, 50);
    expect(failed.data).toHaveLength(1);
    expect(failed.data[0]).toMatchObject({ endpoint_id: ep.id, event_type: 'inventory.changed', state: 'failed' });
    expect(failed.data[0]!.attempts).toBeGreaterThan(1);
    failing = false;
    await upsertInventory(gw.tdb.db, ref, [{ ...inventoryInput(1), on_hand: 99, updated_at: '2026-05-01T00:00:00.000Z' }]);
    await waitFor('the next event of the entity', async () => (await deliveries(gw, ep.id)).some((d) => d.state === 'succeeded'), 20_000, 100);
  });

  test('an endpoint failing every attempt for longer than the limit is disabled, with a webhook.disabled event; enabling it sends what waited', { timeout: 60_000 }, async () => {
    const { gw, ref, rx } = await setup({ disableAfterMs: 1_000 });
    const watcher = await startReceiver();
    open.push(watcher);
    const ep = await createEndpoint(gw, { url: rx.url, event_types: ['inventory.changed'] }, rx);
    const audit = await createEndpoint(gw, { url: watcher.url, event_types: ['webhook.*'] }, watcher);
    let down = true;
    rx.script = () => (down ? 'fail' : 'ok');
    await upsertInventory(gw.tdb.db, ref, Array.from({ length: 5 }, (_, i) => inventoryInput(i)));
    const off = await waitFor(
      'the endpoint to be disabled',
      async () => {
        const e = (await (await gw.call(`/v1/webhooks/${ep.id}`)).json()) as { enabled: boolean; disabled_reason: string | null; consecutive_failures: number };
        return e.enabled ? undefined : e;
      },
      20_000,
      100,
    );
    expect(off.disabled_reason).toMatch(/every attempt failed since/);
    expect(off.consecutive_failures).toBeGreaterThan(5);
    const ev = (await (await gw.call('/v1/events?type=webhook.disabled')).json()) as { data: { entity_id: string; data: { object: { id: string } } }[] };
    expect(ev.data.map((e) => e.entity_id)).toEqual([ep.id]);
    await waitFor('the audit endpoint to hear of it', () => watcher.log.some((r) => r.type === 'webhook.disabled' && r.entityId === ep.id && r.signatureValid));
    // Disabled: no more attempts.
    const attemptsWhenOff = rx.log.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.log.length).toBe(attemptsWhenOff);

    down = false;
    const on = await gw.call(`/v1/webhooks/${ep.id}`, { method: 'PATCH', body: JSON.stringify({ enabled: true }) });
    expect(await on.json()).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
    await waitFor('what waited to be delivered', async () => (await deliveries(gw, ep.id)).every((d) => d.state === 'succeeded'), 20_000, 100);
    expect(rx.log.filter((r) => r.answer === 'ok')).toHaveLength(5);
  });

  test('filters: an endpoint for one connection hears nothing of another', { timeout: 30_000 }, async () => {
    const { gw, ref, rx } = await setup();
    const other = await seedConnection(gw.tdb.db, gw.a.id, 'scripted', 'Other shop');
    const ep = await createEndpoint(gw, { url: rx.url, event_types: ['*'], filters: { connection_ids: [other.id] } }, rx);
    await upsertInventory(gw.tdb.db, ref, [inventoryInput(1)]);
    await upsertInventory(gw.tdb.db, { ...ref, connectionId: other.id }, [inventoryInput(2)]);
    await waitFor('the matching event', async () => (await deliveries(gw, ep.id)).some((d) => d.state === 'succeeded'));
    await new Promise((r) => setTimeout(r, 200));
    expect(rx.log.map((r) => JSON.parse(r.body).data.connection_id)).toEqual([other.id]);
  });
});

describe('maintenance', () => {
  test('a lost drain job is queued again; settled deliveries and their events are deleted after the retention time', { timeout: 30_000 }, async () => {
    const gw = await startGateway({ engine: { webhooks: { ...FAST } } });
    gw.tdb.pool.on('error', () => undefined);
    const rx = await startReceiver();
    open.push(gw, rx);
    const con = await seedConnection(gw.tdb.db, gw.a.id);
    const ep = await createEndpoint(gw, { url: rx.url, event_types: ['inventory.changed'] }, rx);
    await upsertInventory(gw.tdb.db, { tenantId: gw.a.id, connectionId: con.id, channel: con.channel }, [inventoryInput(1), inventoryInput(2)]);
    const worker = new WebhookWorker({ db: gw.tdb.db, box: testBox, log: createLogger('silent'), settings: { ...FAST, allowPrivate: true, retentionMs: 0 } });
    await waitFor('the events to be fanned out', async () => (await worker.dispatchOnce()) > 0);
    const key = `webhook:${ep.id}`;
    const jobs = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE key = ${key}`.execute(gw.tdb.db)).rows[0]!.n;
    expect(await jobs()).toBe(1);
    await sql`SELECT graphile_worker.remove_job(${key})`.execute(gw.tdb.db);
    expect(await jobs()).toBe(0);
    await worker.maintenance();
    expect(await jobs()).toBe(1);

    await gw.engine.startWorkers(2);
    await waitFor('both deliveries', async () => (await deliveries(gw, ep.id)).filter((d) => d.state === 'succeeded').length === 2);
    await gw.engine.stop();
    await worker.maintenance();
    expect(await deliveries(gw, ep.id)).toEqual([]);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM events WHERE tenant_id = ${gw.a.id}`.execute(gw.tdb.db);
    expect(rows[0]!.n).toBe(0);
  });
});
