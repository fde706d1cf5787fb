// The methods this layer serves, webhook.* and account.failed_webhooks included (views over the
// webhook endpoints of /v1/webhooks).
import type { MethodRegistry } from '../registry.ts';
import { registerAccountMethods } from './account.ts';
import { registerCatalogMethods } from './catalog.ts';
import { registerOrderMethods } from './orders.ts';
import { registerWriteMethods } from './writes.ts';
import { registerWebhookMethods } from './webhooks.ts';

export function registerCoreMethods(r: MethodRegistry): void {
  registerAccountMethods(r);
  registerCatalogMethods(r);
  registerOrderMethods(r);
  registerWriteMethods(r);
  registerWebhookMethods(r);
}
