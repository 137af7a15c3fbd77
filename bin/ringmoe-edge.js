#!/usr/bin/env node
// The ringmoe-edge command. In a source checkout it runs the TypeScript sources through tsx (so
// it is never stale); in an installed package, which ships only dist/, it runs the compiled CLI.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'tools', 'cli', 'bin.ts');
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(join(root, 'dist', 'cli', 'bin.js')).href);
}
