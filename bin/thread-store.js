#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/cli (built by `npm run build`, which `npm install` runs via `prepare`).
// A command may set process.exitCode itself (doctor reports problems with 1); never lower it.
import { main } from '../dist/cli/main.js';
main(process.argv).then((code) => {
  process.exitCode = Math.max(code, process.exitCode ?? 0);
});
