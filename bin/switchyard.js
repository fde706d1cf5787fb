#!/usr/bin/env node
// Entry point of the `switchyard` command: loads the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

// Production unless told otherwise: graphql-js skips its development-mode checks (about 3.5 ms a page).
process.env.NODE_ENV ??= 'production';
register();
await import('../src/cli.ts');
