// Catalog publish and price sync through the REST API on scripted_shop upstreams: products mapped by a
// profile (field, attribute with a transform, constant), many published by one bulk write and a single
// change by a single one, issues the marketplace reports mapped back to the product, prices by rules;
// and links and profiles validated on save.
import { afterEach, describe, expect, test } from 'vitest';
import { exceptions, flowsFixture, post, sync, type FlowsFixture } from './support/flows-harness.ts';
import { problem } from './support/http.ts';
import { json, listAll, waitFor } from './support/sync-harness.ts';

let fx: FlowsFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const rules = {
  default_product_type: 'SHIRT',
  attributes: [
    { from: 'field', field: 'brand', target: 'brand' },
    { from: 'attribute', source: 'color', target: 'color', transform: [{ op: 'uppercase' }] },
    { from: 'constant', value: 'new_new', target: 'condition_type' },
  ],
  identifiers: { match: ['ean'] },
  prices: { markup_percent: 10, rounding: 'cents_99' },
};

describe('catalog publish and price sync', () => {
  test('six products go out in one bulk write, a changed title in a single one; a refused listing shows on its product; prices follow the rules', { timeout: 60_000 }, async () => {
    // One store product has a title the marketplace refuses (over 200 characters): set before the
    // connections are made, so that no pull (the first automatic one included) sees the old title.
    fx = await flowsFixture({ market: { rateLimit: false, data: { products: 0, inventory: 0 } }, prepare: (store) => store.state.update('products', 'SKU-4', (p) => void (p.name = 'X'.repeat(250))) });
    const f = fx;
    await sync(f.gw, f.store.id, ['products']);
    await waitFor('store products pulled', async () => (await listAll(f.gw, `/v1/products?connection_id=${f.store.id}`)).length === 6);
    const profile = await post(f.gw, '/v1/profiles', { name: 'Shirts', rules });
    const link = await post(f.gw, '/v1/links', { name: 'publish', flow: 'catalog_publish', source_connection_id: f.store.id, targets: [{ connection_id: f.market.id, marketplace_ids: [] }], profile_id: profile.id, options: { bulk_threshold: 3, debounce_ms: 100 } });

    // Seeded store products: SKU-10 style names "Product n", brand Acme, colors red/green/blue/black/white; SKU-10 is disabled (i % 11), none here.
    await waitFor('five listings on the marketplace', () => f.market.sim.state.products.size === 5);
    const one = f.market.sim.state.products.get('SKU-1')!;
    expect({ name: one.name, brand: one.brand, ean: one.ean, color: one.attributes.color, condition: one.attributes.condition_type, type: one.attributes.product_type }).toEqual({
      name: 'Product 1',
      brand: 'Acme',
      ean: '4000000000001',
      color: 'GREEN',
      condition: 'new_new',
      type: 'SHIRT',
    });
    expect(f.market.sim.state.calls.get('listings.bulk')).toBe(1);
    expect(f.market.sim.state.calls.get('listings.put') ?? 0).toBe(0);
    // The refused one: on the product, with the attribute, and in the exception list.
    const products = await listAll(f.gw, `/v1/products?connection_id=${f.store.id}`);
    const refusedProduct = products.find((p) => p.external_id === 'SKU-4');
    const listing = await waitFor('the refusal recorded', async () => {
      const r = await json(f.gw.call(`/v1/listings?product_id=${refusedProduct.id}`));
      return r.data[0]?.state === 'rejected' ? r.data[0] : undefined;
    });
    expect(listing.issues).toEqual([expect.objectContaining({ sku: 'SKU-4', attribute: 'item_name', message: 'at most 200 characters', severity: 'error' })]);
    const [exc] = await exceptions(f.gw, `kind=listing_rejected&link_id=${link.id}`);
    expect(exc).toMatchObject({ subject: refusedProduct.id, state: 'open' });

    // One title changes at the source, through the write API: one single write follows.
    const p2 = products.find((p) => p.external_id === 'SKU-2');
    const res = await f.gw.call(`/v1/products/${p2.id}`, { method: 'PATCH', headers: { 'idempotency-key': 'title-2' }, body: JSON.stringify({ title: 'Product 2, now in linen' }) });
    expect([200, 202]).toContain(res.status);
    await waitFor('the new title on the marketplace', () => f.market.sim.state.products.get('SKU-2')?.name === 'Product 2, now in linen');
    expect(f.market.sim.state.calls.get('listings.put')).toBe(1);
    expect(f.market.sim.state.calls.get('listings.bulk')).toBe(1);

    // Prices: 11.99 + 10% = 13.19, rounded to .99 = 13.99 (SKU-1); 12.99 -> 14.99 (SKU-2).
    const prices = await post(f.gw, '/v1/links', { name: 'prices', flow: 'price_sync', source_connection_id: f.store.id, targets: [{ connection_id: f.market.id }], profile_id: profile.id, options: { debounce_ms: 100 } });
    await waitFor('prices on the marketplace', () => f.market.sim.state.products.get('SKU-1')?.price === '13.99' && f.market.sim.state.products.get('SKU-2')?.price === '14.99');
    await waitFor('every published listing priced', () => [...f.market.sim.state.products.values()].every((p) => p.price !== '0.00'));
    expect(f.market.sim.state.calls.get('products.update')).toBe(5);
    const writes = f.market.sim.state.calls.get('products.update');
    await post(f.gw, `/v1/links/${prices.id}/run`, {}, 202);
    await new Promise((r) => setTimeout(r, 800));
    expect(f.market.sim.state.calls.get('products.update')).toBe(writes); // unchanged prices are not written again
    expect(f.market.sim.state.duplicateEffects()).toEqual([]);
    // The marketplace is a price target now: its prices are owned by the store.
    await sync(f.gw, f.market.id, ['products']);
    const mp = await waitFor('the marketplace products pulled', async () => (await listAll(f.gw, `/v1/products?connection_id=${f.market.id}`)).find((p) => p.external_id === 'SKU-1'));
    await problem(f.gw.call(`/v1/products/${mp.id}`, { method: 'PATCH', body: JSON.stringify({ price: { amount: '1.00', currency: 'EUR' } }) }), 409);
  });
});

describe('links and profiles are validated on save', () => {
  test('bad rules, missing connections, missing capabilities and loops are refused with the field that is wrong', { timeout: 30_000 }, async () => {
    fx = await flowsFixture({ workers: false });
    const f = fx;
    await problem(f.gw.call('/v1/profiles', { method: 'POST', body: JSON.stringify({ name: 'bad', rules: { inventory: { min: 5, max: 2 } } }) }), 422, { paths: ['rules.inventory.max'] });
    await problem(f.gw.call('/v1/profiles', { method: 'POST', body: JSON.stringify({ name: 'bad', rules: { attributes: [{ from: 'attribute', source: 'a', target: 't', transform: [{ op: 'prefix' }] }] } }) }), 422, { paths: ['rules.attributes[0].transform[0].arg'] });
    await problem(f.gw.call('/v1/profiles', { method: 'POST', body: JSON.stringify({ name: 'bad', rules: { customer: { policy: 'default_customer' } } }) }), 422, { paths: ['rules.customer.external_id'] });
    const profile = await post(f.gw, '/v1/profiles', { name: 'ok', rules: {} });
    expect(profile.rules).toMatchObject({ inventory: { buffer: 0, percentage: 100, min: 0 }, customer: { policy: 'guest' }, cancellations: 'exception' });

    // A catalog link needs a profile; a target cannot be its own source; unknown connections are named.
    await problem(f.gw.call('/v1/links', { method: 'POST', body: JSON.stringify({ name: 'x', flow: 'catalog_publish', source_connection_id: f.store.id, targets: [{ connection_id: f.market.id }] }) }), 422, { paths: ['profile_id'] });
    await problem(f.gw.call('/v1/links', { method: 'POST', body: JSON.stringify({ name: 'x', flow: 'inventory_sync', source_connection_id: f.store.id, targets: [{ connection_id: f.store.id }] }) }), 422, { paths: ['targets.0.connection_id'] });
    await problem(f.gw.call('/v1/links', { method: 'POST', body: JSON.stringify({ name: 'x', flow: 'inventory_sync', source_connection_id: 'con_01JD3X8Y6Z7QK2M4N5P6R7S8T9', targets: [{ connection_id: f.market.id }] }) }), 422, { paths: ['source_connection_id'] });
    // A channel without the capability: the read-only scripted test channel cannot take stock.
    const ro = await post(f.gw, '/v1/connections', { channel: 'scripted', name: 'read only', settings: { base_url: 'https://example.com' }, credentials: { api_key: 'good-key' } });
    await problem(f.gw.call('/v1/links', { method: 'POST', body: JSON.stringify({ name: 'x', flow: 'inventory_sync', source_connection_id: f.store.id, targets: [{ connection_id: ro.id }] }) }), 422, { paths: ['targets.0.connection_id'] });

    // Ownership: stock from store to marketplace, then from marketplace back to store, would loop.
    const there = await post(f.gw, '/v1/links', { name: 'stock', flow: 'inventory_sync', source_connection_id: f.store.id, targets: [{ connection_id: f.market.id }] });
    const back = await problem(f.gw.call('/v1/links', { method: 'POST', body: JSON.stringify({ name: 'back', flow: 'inventory_sync', source_connection_id: f.market.id, targets: [{ connection_id: f.store.id }] }) }), 422, { paths: ['targets'] });
    expect(back.errors![0]!.message).toContain(there.id);
    // A profile that says the target owns stock cannot drive a stock link.
    const targetOwns = await post(f.gw, '/v1/profiles', { name: 'target owns stock', rules: { ownership: { stock: 'target' } } });
    await problem(f.gw.call(`/v1/links/${there.id}`, { method: 'PATCH', body: JSON.stringify({ profile_id: targetOwns.id }) }), 422, { paths: ['profile_id'] });
    // Stock written to the marketplace directly is refused: the store owns it.
    await problem(f.gw.call('/v1/inventory/SKU-1', { method: 'PUT', body: JSON.stringify({ connection_id: f.market.id, available: 3 }) }), 409);

    // Pause, list, read back, delete.
    const paused = await json(f.gw.call(`/v1/links/${there.id}`, { method: 'PATCH', body: JSON.stringify({ status: 'paused' }) }));
    expect(paused.status).toBe('paused');
    // A link's rules are read one way (rulesOfLink): another tenant's profile does not exist here, and
    // rules stored earlier that no longer validate are named field by field, never replaced by defaults.
    const theirs = await json(f.gw.call('/v1/profiles', { method: 'POST', body: JSON.stringify({ name: 'theirs', rules: {} }), as: f.gw.b }));
    const foreign = await problem(f.gw.call(`/v1/links/${there.id}`, { method: 'PATCH', body: JSON.stringify({ profile_id: theirs.id }) }), 422, { paths: ['profile_id'] });
    expect(foreign.errors![0]!.message).toBe(`profile ${theirs.id} does not exist`);
    const stale = await post(f.gw, '/v1/profiles', { name: 'stale', rules: {} });
    await f.gw.tdb.db.updateTable('flow_profiles').set({ rules: JSON.stringify({ inventory: { min: 5, max: 2 } }) }).where('id', '=', stale.id).execute();
    await problem(f.gw.call(`/v1/links/${there.id}`, { method: 'PATCH', body: JSON.stringify({ profile_id: stale.id }) }), 422, { paths: ['profile_id.inventory.max'] });

    const listed = await json(f.gw.call(`/v1/links?connection_id=${f.market.id}`));
    expect(listed.data.map((l: { id: string }) => l.id)).toEqual([there.id]);
    // Tenant b sees none of it.
    expect((await json(f.gw.call('/v1/links', { as: f.gw.b }))).data).toEqual([]);
    await problem(f.gw.call(`/v1/links/${there.id}`, { as: f.gw.b }), 404);
    expect((await f.gw.call(`/v1/links/${there.id}`, { method: 'DELETE' })).status).toBe(204);
  });
});
