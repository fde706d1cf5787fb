// The methods this layer serves itself. webhook.* and account.failed_webhooks are registered by the
// events module (a2cMethods.register(...)).
import type { MethodRegistry } from '../registry.ts';
import { registerAccountMethods } from './account.ts';
import { registerCatalogMethods } from './catalog.ts';
import { registerOrderMethods } from './orders.ts';
import { registerWriteMethods } from './writes.ts';

export function registerCoreMethods(r: MethodRegistry): void {
  registerAccountMethods(r);
  registerCatalogMethods(r);
  registerOrderMethods(r);
  registerWriteMethods(r);
}
