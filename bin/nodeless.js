#!/usr/bin/env node
// Entry point: runs the TypeScript CLI through tsx, so `npx nodeless` works right after `npm ci`.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
