// The Hono environment shared by every route: who is calling, and the request's logger.
import type { Logger } from 'pino';

export interface AppEnv {
  Variables: {
    tenantId: string;
    requestId: string;
    log: Logger;
  };
}
