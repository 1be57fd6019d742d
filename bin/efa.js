#!/usr/bin/env node
// The `efa` command: runs the TypeScript CLI through tsx (a registered loader, no build step).
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
