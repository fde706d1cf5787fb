// A webhook receiver for tests: a node:http server that checks every delivery's Standard Webhooks
// signature with its own HMAC (node:crypto, not the gateway's code) and answers as the test scripts it:
// ok, fail (500) or hang (no answer until the sender gives up).
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Answer = 'ok' | 'fail' | 'hang';

export interface Received {
  n: number;
  id: string;
  type: string;
  entityId: string;
  body: string;
  signatureValid: boolean;
  answer: Answer;
  at: number;
}

export interface Receiver {
  url: string;
  /** Every request in arrival order. */
  log: Received[];
  /** Decides the answer to each request (1-based count of requests so far). */
  script: (r: { n: number; id: string; type: string; entityId: string }) => Answer;
  secret: string;
  close(): Promise<void>;
}

/** Recomputes the signature the way a subscriber would: HMAC-SHA256 keyed with the base64 after `whsec_`. */
export function independentSignatureCheck(secret: string, id: string, timestamp: string, body: string, header: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
  return fresh && header.split(' ').some((part) => {
    const [version, sig] = part.split(',');
    if (version !== 'v1' || !sig) return false;
    const a = Buffer.from(sig, 'base64');
    const b = Buffer.from(expected, 'base64');
    return a.length === b.length && timingSafeEqual(a, b);
  });
}

export async function startReceiver(): Promise<Receiver> {
  const hung = new Set<http.ServerResponse>();
  const r: Receiver = {
    url: '',
    log: [],
    script: () => 'ok',
    secret: '',
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id'] ?? '');
      const parsed = JSON.parse(body) as { type: string; data: { entity_id: string } };
      const n = r.log.length + 1;
      const answer = r.script({ n, id, type: parsed.type, entityId: parsed.data.entity_id });
      r.log.push({
        n,
        id,
        type: parsed.type,
        entityId: parsed.data.entity_id,
        body,
        signatureValid: independentSignatureCheck(r.secret, id, String(req.headers['webhook-timestamp'] ?? ''), body, String(req.headers['webhook-signature'] ?? '')),
        answer,
        at: Date.now(),
      });
      if (answer === 'hang') {
        hung.add(res);
        return;
      }
      res.writeHead(answer === 'ok' ? 204 : 500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return r;
}

/**
 * Checks ordering per entity: no request for an entity's later event arrived before the earlier event
 * was accepted. `order` is every event id in log order with its entity.
 */
export function orderViolations(log: readonly Received[], order: readonly { id: string; entityId: string }[]): string[] {
  const out: string[] = [];
  const byEntity = new Map<string, string[]>();
  for (const e of order) byEntity.set(e.entityId, [...(byEntity.get(e.entityId) ?? []), e.id]);
  const acceptedAt = new Map<string, number>();
  for (const r of log) if (r.answer === 'ok' && !acceptedAt.has(r.id)) acceptedAt.set(r.id, r.n);
  for (const [entity, ids] of byEntity) {
    for (let k = 1; k < ids.length; k++) {
      const prevAccepted = acceptedAt.get(ids[k - 1]!) ?? Infinity;
      const early = log.find((r) => r.id === ids[k] && r.n < prevAccepted);
      if (early) out.push(`${entity}: ${ids[k]} arrived (request ${early.n}) before ${ids[k - 1]} was accepted (request ${prevAccepted})`);
    }
  }
  return out;
}
