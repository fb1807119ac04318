import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageVersion } from './version.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

describe('packageVersion', () => {
  it('finds package.json from the sources and from the build alike', () => {
    expect(packageVersion()).toBe(version);
    expect(packageVersion(pathToFileURL(join(root, 'src/cli/main.ts')).href)).toBe(version);
    expect(packageVersion(pathToFileURL(join(root, 'dist/cli/main.js')).href)).toBe(version);
  });

  it("skips other packages' package.json files", () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-version-'));
    try {
      expect(packageVersion(pathToFileURL(join(dir, 'x.js')).href)).toBe('unknown');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
