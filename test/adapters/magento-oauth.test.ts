// The OAuth 1.0a signer as Magento checks it: PHP natural order of the encoded parameter names, so a
// request with ten or more filter groups signs `[2]` before `[10]`. The expected base string is built
// here by counting groups in numeric order, independently of the signer's comparator.
import { describe, expect, test } from 'vitest';
import { oauthHeader, rfc3986, signatureBaseString, strnatcmp } from '../../src/adapters/magento/oauth.ts';
import { searchQuery } from '../../src/adapters/magento/client.ts';

const oauth = {
  oauth_consumer_key: 'ck',
  oauth_nonce: 'n0nce',
  oauth_signature_method: 'HMAC-SHA256',
  oauth_timestamp: '1700000000',
  oauth_token: 'tok',
  oauth_version: '1.0',
};

describe('strnatcmp (PHP natural order)', () => {
  test('digit runs compare by value, the rest byte by byte', () => {
    expect(['x10', 'x2', 'x1', 'x20', 'x02'].sort(strnatcmp)).toEqual(['x02', 'x1', 'x2', 'x10', 'x20']);
    expect(strnatcmp('a%5B2%5D', 'a%5B10%5D')).toBeLessThan(0);
    expect(strnatcmp('abc', 'abd')).toBeLessThan(0);
    expect(strnatcmp('same9', 'same9')).toBe(0);
  });
});

describe('signature base string', () => {
  test('twelve filter groups sort in natural order, oauth_ parameters first', () => {
    const groups = Array.from({ length: 12 }, (_, g) => [{ field: `f${g}`, value: `v ${g}`, condition: 'neq' }]);
    const qs = searchQuery({ groups, pageSize: 5, currentPage: 1 })
      .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
      .join('&');
    const url = new URL(`https://Shop.Example:443/rest/default/V1/products?${qs}`);

    // Built by hand: oauth_* (alphabetical), then each group 0..11 in numeric order with its three
    // fields (conditionType < field < value); currentPage sorts before filterGroups, pageSize after.
    const enc = (s: string) => rfc3986(s);
    const pairs: string[] = Object.entries(oauth).map(([k, v]) => `${k}=${enc(v)}`);
    pairs.push(`${enc('searchCriteria[currentPage]')}=1`);
    for (let g = 0; g < 12; g++) {
      const p = `searchCriteria[filterGroups][${g}][filters][0]`;
      pairs.push(`${enc(`${p}[conditionType]`)}=neq`, `${enc(`${p}[field]`)}=f${g}`, `${enc(`${p}[value]`)}=${enc(`v ${g}`)}`);
    }
    pairs.push(`${enc('searchCriteria[pageSize]')}=5`);
    const expected = `GET&${enc('https://shop.example/rest/default/V1/products')}&${enc(pairs.join('&'))}`;

    expect(signatureBaseString('GET', url, oauth)).toBe(expected);
    // A bytewise sort (what RFC 5849 alone would suggest) puts group 10 before group 2: a different string.
    const bytewise = [...pairs].sort();
    expect(`GET&${enc('https://shop.example/rest/default/V1/products')}&${enc(bytewise.join('&'))}`).not.toBe(expected);
    // The encoded spaces in values are %20, never +.
    expect(expected).toContain(enc('v%200'));
  });

  test('the header carries every oauth_ parameter and an HMAC-SHA256 signature', () => {
    const header = oauthHeader(
      'GET', new URL('https://shop.example/rest/V1/store/storeViews'), { consumer_key: 'ck', consumer_secret: 'cs', access_token: 'tok', access_token_secret: 'ts' }, { nonce: 'abc', timestamp: 1 });
    expect(header).toMatch(/^OAuth oauth_consumer_key="ck",oauth_nonce="abc",oauth_signature_method="HMAC-SHA256",oauth_timestamp="1",oauth_token="tok",oauth_version="1.0",oauth_signature="[A-Za-z0-9%]+"$/);
  });
});
