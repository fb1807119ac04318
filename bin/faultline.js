#!/usr/bin/env node
// faultline's command. An installed package ships only the built dist/; a checkout of
// faultline's own repository has src/ beside it, and then runs the TypeScript source through
// Node's type stripping, so `npx faultline` in the repo never runs a stale build.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
await import(existsSync(source) ? source.href : new URL('../dist/cli/main.js', import.meta.url).href);
