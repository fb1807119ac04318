/**
 * Builds the published package: src/ → dist/ (JavaScript and declaration files, by
 * tsconfig.build.json), then copies the runtime assets that are not TypeScript (report
 * templates, …) to the same place under dist/, so every `new URL('./…', import.meta.url)`
 * resolves from dist/ as it does from src/. Run by `npm run build` and by `prepack`.
 *
 * Development and tests do not need it: they run src/ directly through Node's type stripping.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });

// The local TypeScript (7, native) compiler; `npm run` puts node_modules/.bin on PATH. All
// output goes to stderr, so that `npm pack --json` keeps a clean stdout.
const tsc = spawnSync('tsc', ['-p', 'tsconfig.build.json'], { cwd: root, stdio: ['ignore', process.stderr, process.stderr], shell: process.platform === 'win32' });
if (tsc.error) throw tsc.error;
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

/** Runtime files that are not compiled: anything under src/ that is not TypeScript, nor a test's (Vitest snapshots). */
const isAsset = (file: string) => !/\.[cm]?ts$/.test(file) && !/[\\/]__snapshots__[\\/]/.test(file);
let copied = 0;
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const from = join(entry.parentPath, entry.name);
  if (!isAsset(from)) continue;
  const to = join(dist, relative(src, from));
  cpSync(from, to, { force: true });
  copied++;
}

chmodSync(join(dist, 'cli', 'main.js'), 0o755);
console.error(`built ${relative(process.cwd(), dist) || '.'}/ (${copied} asset${copied === 1 ? '' : 's'} copied from ${relative(process.cwd(), src)}/)`);
