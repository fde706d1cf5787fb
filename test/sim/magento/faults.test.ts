// The simulator's fault switches: latency, 500 (masked report) and 503, hanging requests, dropped
// connections, malformed JSON, and clear() restoring the defaults.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startMagentoSim, type MagentoSim } from './index.ts';
import { call } from './client.ts';

let sim: MagentoSim;
beforeAll(async () => {
  sim = await startMagentoSim({ seed: { simples: 3, configurables: 0, orders: 2, customers: 1 } });
});
afterAll(async () => {
  expect(sim.violations).toEqual([]);
  await sim.stop();
});
const product = '/rest/default/V1/products/SIM-000001';

describe('faults', () => {
  test('failNext(500): the masked production report, then normal again', async () => {
    sim.faults.failNext(500, 2);
    for (let i = 0; i < 2; i++) {
      const r = await call<{ message: string }>(sim, 'GET', product);
      expect(r.status).toBe(500);
      expect(r.body.message).toMatch(/^Internal Error\. Details are available in Magento log file\. Report ID: webapi-[0-9a-f]{12}$/);
    }
    expect((await call(sim, 'GET', product)).status).toBe(200);
  });

  test('failNext(503) only hits paths containing the filter', async () => {
    sim.faults.failNext(503, 1, '/V1/orders');
    expect((await call(sim, 'GET', product)).status).toBe(200);
    const r = await call(sim, 'GET', '/rest/default/V1/orders/1');
    expect(r.status).toBe(503);
    expect((await call(sim, 'GET', '/rest/default/V1/orders/1')).status).toBe(200);
  });

  test('latency delays every answer', async () => {
    sim.faults.latency(120);
    const t0 = performance.now();
    await call(sim, 'GET', product);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
    sim.faults.latency(0);
  });

  test('timeoutNext: the request hangs until the client gives up', async () => {
    sim.faults.timeoutNext(1);
    await expect(fetch(sim.url + product, { headers: { authorization: `Bearer ${sim.credentials.bearer}` }, signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect((await call(sim, 'GET', product)).status).toBe(200);
  });

  test('dropNext: the socket is destroyed without an answer', async () => {
    sim.faults.dropNext(1);
    await expect(fetch(sim.url + product, { headers: { authorization: `Bearer ${sim.credentials.bearer}` } })).rejects.toThrow();
    expect(sim.requests.at(-1)!.status).toBe(0);
  });

  test('malformedNext: a 200 whose JSON does not parse', async () => {
    sim.faults.malformedNext(1);
    const res = await fetch(sim.url + product, { headers: { authorization: `Bearer ${sim.credentials.bearer}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow();
  });

  test('loseAnswerNext: the write takes effect, the answer never comes', async () => {
    const o = sim.state.orders.find((x) => x.state === 'new' || x.state === 'processing')!;
    const before = sim.state.comments.length;
    sim.faults.loseAnswerNext(1, '/comments');
    await expect(
      fetch(`${sim.url}/rest/default/V1/orders/${o.entity_id}/comments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sim.credentials.bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ statusHistory: { comment: 'lost', is_customer_notified: 0, is_visible_on_front: 0, parent_id: o.entity_id } }),
      }),
    ).rejects.toThrow();
    expect(sim.state.comments.length).toBe(before + 1);
    expect(sim.faults.fired.lose_answer).toBe(1);
  });

  test('clear() drops pending faults and restores repeat-last-page', async () => {
    sim.faults.failNext(500, 5);
    sim.faults.repeatLastPage(false);
    sim.faults.duplicateAcrossPages(true);
    sim.faults.clear();
    expect(sim.faults.pending).toEqual([]);
    expect(sim.faults.repeatLastPageOn).toBe(true);
    expect(sim.faults.duplicateAcrossPagesOn).toBe(false);
    expect((await call(sim, 'GET', product)).status).toBe(200);
  });

  test('every request is logged with its schema template', async () => {
    const n = sim.requestCount();
    await call(sim, 'GET', '/rest/default/V1/products/SIM%2F1');
    expect(sim.requestCount()).toBe(n + 1);
    expect(sim.requests.at(-1)).toEqual({ method: 'GET', path: '/rest/default/V1/products/SIM%2F1', template: '/V1/products/{sku}', status: 404 });
  });
});
