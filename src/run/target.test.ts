import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CommandTarget } from '../model/scenario.ts';
import { freePort, startCommandTarget, targetEnv, waitReady } from './target.ts';
import { EnvironmentError } from './environment.ts';
import { processesWith } from '../../test/support/processes.ts';

const HARNESS = new URL('../../test/fixtures/own-service/keeper-harness.ts', import.meta.url).pathname;

const cmd = (over: Partial<CommandTarget>): CommandTarget => ({ kind: 'command', command: 'true', cwd: process.cwd(), env: {}, stopTimeoutMs: 2000, ...over });

describe('a command target', () => {
  it("gets PORT, every provider's address and its templated env, over the harness's", () => {
    const env = targetEnv(
      cmd({ env: { PAYMENTS_URL: '{{providers.payments.url}}/v1', PORT_TOO: '{{target.port}}', HOME: 'mine' } }),
      'http://127.0.0.1:3999',
      [
        { provider: 'payments', address: '127.0.0.1:40001' },
        { provider: 'stripe', region: 'eu', address: '127.0.0.1:40002' },
      ],
      { HOME: '/root', PATH: '/bin' },
    );
    expect(env).toEqual({
      HOME: 'mine',
      PATH: '/bin',
      PORT: '3999',
      FAULTLINE_TARGET_URL: 'http://127.0.0.1:3999',
      FAULTLINE_PROVIDER_PAYMENTS_URL: 'http://127.0.0.1:40001',
      FAULTLINE_PROVIDER_STRIPE_EU_URL: 'http://127.0.0.1:40002',
      PAYMENTS_URL: 'http://127.0.0.1:40001/v1',
      PORT_TOO: '3999',
    });
  });

  it('is stopped with its whole process group, SIGKILL after the grace when it ignores SIGTERM', async () => {
    const logDir = await mkdtemp(join(tmpdir(), 'faultline-target-'));
    const mark = `stubborn-${process.pid}-${Date.now()}`;
    try {
      const t = await startCommandTarget(
        cmd({
          command: `node -e "process.on('SIGTERM', () => {}); require('http').createServer().listen(process.env.PORT, '127.0.0.1')" ${mark}`,
          stopTimeoutMs: 500,
        }),
        { endpoints: [], logDir },
      );
      expect(processesWith(mark).length).toBeGreaterThanOrEqual(1); // the node process (and the sh around it)
      const started = Date.now();
      await t.close();
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(processesWith(mark)).toEqual([]);
    } finally {
      await rm(logDir, { recursive: true, force: true });
    }
  });

  it.each([
    ['killed with SIGKILL: the keeper kills its group', 'kill'],
    ['that exits without closing (Ctrl-C twice): its exit hook kills the group', 'exit'],
  ])('does not outlive a harness %s', async (_what, how) => {
    const mark = `orphan-${how}-${process.pid}-${Date.now()}`;
    const harness = spawn(process.execPath, [HARNESS, mark, how], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`harness not ready: ${out}`)), 20_000);
        harness.stdout!.on('data', (c) => {
          out += c;
          if (out.includes('\n')) {
            clearTimeout(timer);
            resolve(out);
          }
        });
        if (how === 'kill') harness.once('exit', (code) => reject(new Error(`harness exited ${code}: ${out}`)));
      });
      expect(line).toMatch(/^ready \d+ http:\/\/127\.0\.0\.1:\d+/);
      if (how === 'kill') {
        // The service, a background sibling of it: both in the group.
        expect(processesWith(mark).length).toBeGreaterThanOrEqual(2);
        harness.kill('SIGKILL');
      }
      const deadline = Date.now() + 10_000;
      while (processesWith(mark).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(processesWith(mark)).toEqual([]);
    } finally {
      harness.kill('SIGKILL');
    }
  }, 30_000);
});

describe('waitReady', () => {
  it('passes as soon as the probe does, and says why when it never does', async () => {
    const server = createServer((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 500).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await waitReady(url, { kind: 'http', path: '/healthz' }, 1000, { what: 'target' });
      await waitReady(url, undefined, 1000, { what: 'target' });
      const err = await waitReady(url, { kind: 'http', path: '/other', timeoutMs: 300 }, 1000, { what: 'target' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EnvironmentError);
      expect((err as Error).message).toBe(`target was not ready within 0.3s (GET ${url}/other: answered 500)`);
    } finally {
      await new Promise((r) => server.close(r));
    }
    const port = await freePort();
    const err = await waitReady(`http://127.0.0.1:${port}`, { kind: 'tcp', timeoutMs: 300 }, 1000, { what: 'target' }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`target was not ready within 0.3s (TCP connect to 127.0.0.1:${port}: ECONNREFUSED)`);
  });
});
