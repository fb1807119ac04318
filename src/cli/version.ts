/**
 * faultline's version, from its package.json: found by walking up from this module, so it
 * works from the sources (src/cli/) and from the build (dist/cli/) alike.
 *
 * @example packageVersion() // '0.1.0'
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageVersion(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
        if (pkg.name === 'faultline' && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // Not ours, or not readable: keep looking above it.
      }
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
