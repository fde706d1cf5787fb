// Magento's authentication as the simulator enforces it: OAuth 1.0a (HMAC-SHA256 and -SHA1) with keys sorted in
// PHP natural order, the 600 s timestamp window and nonce reuse refused; integration tokens as Bearer refused
// unless allowed; admin tokens from username/password that live four hours on the simulator's clock.
import { afterEach, describe, expect, test } from 'vitest';
import { oauthHeader, startMagentoSim, strnatcmp, UNAUTHORIZED, type MagentoSim, type MagentoSimOptions } from './index.ts';
import { signatureBaseString } from './oauth.ts';
import { call, criteria } from './client.ts';

let sims: MagentoSim[] = [];
async function start(options: MagentoSimOptions = {}) {
  const sim = await startMagentoSim({ seed: { simples: 15, configurables: 0, orders: 2, customers: 1 }, ...options });
  sims.push(sim);
  return sim;
}
afterEach(async () => {
  for (const s of sims) expect(s.violations).toEqual([]);
  await Promise.all(sims.map((s) => s.stop()));
  sims = [];
});

const refused = { status: 401, body: { message: UNAUTHORIZED, parameters: { resources: 'Magento_Catalog::products' } } };

function signed(sim: MagentoSim, method: string, path: string, options: Parameters<typeof oauthHeader>[3] = {}) {
  const url = sim.url + path;
  return call(sim, method, path, undefined, { header: oauthHeader(method, url, sim.credentials.oauth1, options) });
}

describe('PHP natural order', () => {
  test('strnatcmp orders digit runs by value', () => {
    const keys = ['a[10]', 'a[2]', 'a[1]', 'a[0]', 'b', 'a[11]'];
    expect([...keys].sort(strnatcmp)).toEqual(['a[0]', 'a[1]', 'a[2]', 'a[10]', 'a[11]', 'b']);
    expect(strnatcmp('x%5B2%5D', 'x%5B10%5D')).toBeLessThan(0);
    expect(strnatcmp('img12.png', 'img10.png')).toBeGreaterThan(0);
    expect(strnatcmp('abc', 'abc')).toBe(0);
    expect(strnatcmp('a01', 'a1')).toBeLessThan(0);
  });

  test('the base string puts filterGroups[2] before filterGroups[10]', () => {
    const base = signatureBaseString('GET', 'http://h/rest/V1/products', { 'searchCriteria[filterGroups][10][filters][0][field]': 'a', 'searchCriteria[filterGroups][2][filters][0][field]': 'b' });
    expect(base.indexOf('%255B2%255D')).toBeLessThan(base.indexOf('%255B10%255D'));
  });
});

describe('OAuth 1.0a', () => {
  test('a good HMAC-SHA256 signature is accepted, HMAC-SHA1 too', async () => {
    const sim = await start();
    expect((await signed(sim, 'GET', '/rest/default/V1/products/SIM-000001')).status).toBe(200);
    expect((await signed(sim, 'GET', '/rest/default/V1/products/SIM-000001', { signatureMethod: 'HMAC-SHA1' })).status).toBe(200);
  });

  test('a bad signature is refused with Magento\'s 401', async () => {
    const sim = await start();
    const creds = { ...sim.credentials.oauth1, consumer_secret: 'wrong' };
    const url = sim.url + '/rest/default/V1/products/SIM-000001';
    const r = await call(sim, 'GET', '/rest/default/V1/products/SIM-000001', undefined, { header: oauthHeader('GET', url, creds) });
    expect(r).toEqual(refused);
    expect(sim.authFailures.at(-1)!.reason).toBe('bad_signature');
  });

  test('twelve filter groups: signing in natural order works, byte order is refused', async () => {
    const sim = await start();
    const groups = Array.from({ length: 12 }, (_, i) => [['sku', `SIM-0000${String(i + 1).padStart(2, '0')}`, 'neq'] as [string, string, string]]);
    const path = `/rest/default/V1/products?${criteria({ groups, pageSize: 50 })}`;
    const ok = await signed(sim, 'GET', path);
    expect(ok.status).toBe(200);
    expect((ok.body as { total_count: number }).total_count).toBe(3);
    const bad = await signed(sim, 'GET', path, { byteOrder: true });
    expect(bad).toEqual(refused);
    expect(sim.authFailures.at(-1)!.reason).toBe('bad_signature');
  });

  test('query values with spaces, plus signs and brackets sign the way PHP decodes them', async () => {
    const sim = await start();
    const path = `/rest/default/V1/products?${criteria({ groups: [[['name', '% Mug %', 'like']], [['sku', 'SIM+1', 'neq']]] })}`;
    expect((await signed(sim, 'GET', path)).status).toBe(200);
  });

  test('timestamps more than 600 s off are refused', async () => {
    let now = Date.UTC(2026, 5, 1);
    const sim = await start({ clock: () => now });
    const ts = Math.floor(now / 1000);
    expect((await signed(sim, 'GET', '/rest/default/V1/products/SIM-000001', { timestamp: ts - 590 })).status).toBe(200);
    expect(await signed(sim, 'GET', '/rest/default/V1/products/SIM-000001', { timestamp: ts - 601 })).toEqual(refused);
    expect(await signed(sim, 'GET', '/rest/default/V1/products/SIM-000001', { timestamp: ts + 601 })).toEqual(refused);
    expect(sim.authFailures.map((f) => f.reason)).toEqual(['timestamp', 'timestamp']);
    now += 3_600_000;
    expect((await signed(sim, 'GET', '/rest/default/V1/products/SIM-000001', { timestamp: ts + 3600 })).status).toBe(200);
  });

  test('a nonce is good once', async () => {
    const sim = await start();
    const ts = Math.floor(Date.now() / 1000);
    expect((await signed(sim, 'GET', '/rest/default/V1/products/SIM-000001', { nonce: 'n-1', timestamp: ts })).status).toBe(200);
    expect(await signed(sim, 'GET', '/rest/default/V1/products/SIM-000002', { nonce: 'n-1', timestamp: ts })).toEqual(refused);
    expect(sim.authFailures.at(-1)!.reason).toBe('nonce_reused');
    // a nonce is spent even by a request refused for its signature
    const url = sim.url + '/rest/default/V1/products/SIM-000001';
    const bad = oauthHeader('GET', url, { ...sim.credentials.oauth1, access_token_secret: 'x' }, { nonce: 'n-2', timestamp: ts });
    expect((await call(sim, 'GET', '/rest/default/V1/products/SIM-000001', undefined, { header: bad })).status).toBe(401);
    expect(await signed(sim, 'GET', '/rest/default/V1/products/SIM-000001', { nonce: 'n-2', timestamp: ts })).toEqual(refused);
    expect(sim.authFailures.map((f) => f.reason).slice(-2)).toEqual(['bad_signature', 'nonce_reused']);
  });

  test('no Authorization header at all: 401 naming the resource', async () => {
    const sim = await start();
    expect(await call(sim, 'GET', '/rest/default/V1/products/SIM-000001', undefined, 'none')).toEqual(refused);
    const orders = await call(sim, 'GET', '/rest/default/V1/orders/1', undefined, 'none');
    expect(orders.body).toEqual({ message: UNAUTHORIZED, parameters: { resources: 'Magento_Sales::sales' } });
  });
});

describe('Bearer and admin tokens', () => {
  test('the integration access token used as Bearer is refused unless allowIntegrationBearer', async () => {
    const sim = await start();
    const h = { header: `Bearer ${sim.credentials.oauth1.access_token}` };
    expect(await call(sim, 'GET', '/rest/default/V1/products/SIM-000001', undefined, h)).toEqual(refused);
    expect(sim.authFailures.at(-1)!.reason).toBe('integration_bearer_refused');
    const open = await start({ allowIntegrationBearer: true });
    expect((await call(open, 'GET', '/rest/default/V1/products/SIM-000001', undefined, { header: `Bearer ${open.credentials.oauth1.access_token}` })).status).toBe(200);
  });

  test('admin token: issued for the right password, valid four hours on the clock', async () => {
    let now = Date.UTC(2026, 5, 1);
    const sim = await start({ clock: () => now });
    const wrong = await call(sim, 'POST', '/rest/default/V1/integration/admin/token', { username: 'admin', password: 'nope' }, 'none');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ message: 'The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later.' });
    const r = await call<string>(sim, 'POST', '/rest/default/V1/integration/admin/token', sim.credentials.admin, 'none');
    expect(r.status).toBe(200);
    expect(typeof r.body).toBe('string');
    const h = { header: `Bearer ${r.body}` };
    now += 4 * 3_600_000 - 1000;
    expect((await call(sim, 'GET', '/rest/default/V1/products/SIM-000001', undefined, h)).status).toBe(200);
    now += 2000;
    expect(await call(sim, 'GET', '/rest/default/V1/products/SIM-000001', undefined, h)).toEqual(refused);
    expect(sim.authFailures.at(-1)!.reason).toBe('token_expired');
  });

  test('with two-factor auth on, the admin token route refuses even the right password', async () => {
    const sim = await start({ twoFactorAuth: true });
    const r = await call(sim, 'POST', '/rest/default/V1/integration/admin/token', sim.credentials.admin, 'none');
    expect(r).toEqual({ status: 401, body: { message: 'Please use the 2fa provider-specific endpoints to obtain a token.' } });
  });

  test('expireTokens: the preset bearer and issued tokens answer 401; a new token works', async () => {
    const sim = await start();
    expect((await call(sim, 'GET', '/rest/default/V1/products/SIM-000001')).status).toBe(200);
    sim.faults.expireTokens();
    expect(await call(sim, 'GET', '/rest/default/V1/products/SIM-000001')).toEqual(refused);
    const fresh = await call<string>(sim, 'POST', '/rest/default/V1/integration/admin/token', sim.credentials.admin, 'none');
    expect((await call(sim, 'GET', '/rest/default/V1/products/SIM-000001', undefined, { header: `Bearer ${fresh.body}` })).status).toBe(200);
    // OAuth is not a token that expires
    expect((await call(sim, 'GET', '/rest/default/V1/products/SIM-000001', undefined, 'oauth')).status).toBe(200);
  });
});
