/**
 * report.html in a real browser: a real failing run's report (a short run on loopback, so
 * the breaker band and the router's series hold measured data) tells what broke and when at
 * a glance — banner, SLO table without horizontal scrolling at 1280 px, every chart, the
 * breaker band — with no console error and no network request, and leaves a screenshot in
 * test-artifacts/; the index page lists the run and links it; an aborted run shows its
 * banner; junit.xml parses as XML. Uses the system's Chromium through playwright-core;
 * never lets Playwright download a browser.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abortedRun, completedRun } from '../../src/report/testing.ts';
import { writeReports } from '../../src/report/reporter.ts';
import type { RunResult } from '../../src/model/result.ts';
import { readScenarioFile } from '../../src/scenario/load.ts';
import { executeRun, type RunOutcome } from '../../src/run/run.ts';

/** Where the screenshot of the failing run's report is left for a person to look at (gitignored). */
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const POSTMORTEM = fileURLToPath(new URL('../fixtures/e2e/payments-postmortem.yaml', import.meta.url));

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const title = hasChromium ? 'report.html in Chromium' : `report.html in Chromium (skipped: ${CHROMIUM} is absent; apt-get install -y chromium)`;

describe.skipIf(!hasChromium)(title, () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faultline-browser-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Writes the result's reports and opens report.html, recording every request and console error. */
  async function open(result: RunResult, name: string): Promise<{ page: Page; requests: string[]; errors: string[]; paths: string[] }> {
    const paths = await writeReports(result, join(dir, name));
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    const html = paths.find((p) => p.endsWith('report.html'))!;
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
    return { page, requests, errors, paths };
  }

  it('shows every SLO row with its values, and the verdict', async () => {
    const run = completedRun();
    const { page, requests, errors, paths } = await open(run, 'completed');
    try {
      const rows = page.locator('#slos tbody tr');
      await expect.poll(() => rows.count()).toBe(run.slos.length);
      for (const slo of run.slos) await expect.poll(() => page.locator(`tr[data-slo="${slo.name}"]`).isVisible()).toBe(true);

      const p99 = page.locator('tr[data-slo="p99 latency during outage"]');
      expect(await p99.locator('td.measured').innerText()).toMatch(/^612\.4ms\s+over by 212\.4ms$/);
      expect(await p99.locator('td.threshold').innerText()).toBe('< 400ms');
      expect(await p99.locator('td').first().innerText()).toBe('✗ fail');
      expect(await page.locator('tr[data-slo="availability"] td.measured').innerText()).toBe('99.6 %');
      expect(await page.locator('#verdict strong').innerText()).toBe('✗ FAIL');
      expect(await page.locator('#aborted').count()).toBe(0);

      // Only the document itself, over file://: no fonts, styles, scripts or beacons.
      expect(requests).toEqual([pathToFileURL(paths[1]!).href]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  describe('a real failing run', () => {
    let outcome: RunOutcome;

    beforeAll(async () => {
      const loaded = await readScenarioFile(POSTMORTEM);
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
      outcome = await executeRun(loaded.scenario, { reportsDir: join(dir, 'live'), runId: 'postmortem' });
    }, 90_000);

    it('tells what broke and when at a glance: banner, SLO table within 1280 px, every chart, the breaker band; no console error, no request', async () => {
      expect(outcome.result.verdict).toBe('fail');
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      const url = pathToFileURL(join(outcome.dir, 'report.html')).href;
      try {
        await page.goto(url, { waitUntil: 'load' });
        const banner = page.locator('#verdict-banner');
        expect(await banner.isVisible()).toBe(true);
        const text = await banner.innerText();
        expect(text).toMatch(/^FAIL\s+— \d of 5 SLOs broke /);
        // The window as the fault actually switched: a loaded machine switches a few ms late.
        expect(text).toMatch(/during stripe-eu-blackhole \(stripe@eu blackhole, 2\.\d s–6\.\d s\): /);
        // Above the fold: the banner is read before anything else.
        expect((await banner.boundingBox())!.y).toBeLessThan(400);

        const table = page.locator('#slos');
        expect(await page.locator('#slos tbody tr').count()).toBe(5);
        const widths = await table.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth, page: document.documentElement.scrollWidth }));
        expect(widths.scroll).toBeLessThanOrEqual(widths.client);
        expect(widths.page).toBeLessThanOrEqual(1280);

        for (const id of ['chart-requests', 'chart-error-rate', 'chart-latency', 'chart-upstream', 'chart-upstream-latency', 'chart-breakers', 'chart-router-actions', 'chart-metric-0', 'chart-metric-1']) {
          const box = await page.locator(`#${id} svg.chart`).boundingBox();
          expect(box, id).not.toBeNull();
          expect(box!.width, id).toBeGreaterThan(900);
          expect(await page.locator(`#${id} text`, { hasText: 'stripe-eu-blackhole: stripe@eu blackhole' }).count(), id).toBe(1);
          expect(await page.locator(`#${id} text.empty`).count(), `${id} has data`).toBe(0);
        }
        // The breaker band: stripe@eu's row opens during the blackhole.
        const row = page.locator('#chart-breakers g.state-row[data-row="stripe@eu"]');
        expect(await row.locator('rect.state.open').count()).toBeGreaterThan(0);
        expect(await page.locator('#chart-breakers g.state-row').count()).toBe(5);
        // The latency SLOs' thresholds, on the latency chart, over their windows.
        expect(await page.locator('#chart-latency g.threshold.failed').count()).toBe(2);
        expect(await page.locator('#chart-upstream-latency ul.legend').innerText()).toContain('stripe@eu');
        expect(await page.locator('#scenario-source pre').innerText()).toContain('name: payments-postmortem');

        expect(requests).toEqual([url]);
        expect(errors).toEqual([]);
        await mkdir(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, 'report-failing-run.png'), fullPage: true });
        await page.screenshot({ path: join(ARTIFACTS, 'report-failing-run-top.png'), clip: { x: 0, y: 0, width: 1280, height: 2000 }, fullPage: true });
        // The charts alone, the breaker band among them: when it broke, and what the router did about it.
        await page.locator('#charts').screenshot({ path: join(ARTIFACTS, 'report-failing-run-charts.png') });
      } finally {
        await page.close();
      }
    });

    it('lists the run on reports/index.html, linked, with a latest link that lands on its report', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        await page.goto(pathToFileURL(join(dir, 'live', 'index.html')).href, { waitUntil: 'load' });
        const row = page.locator('tr[data-run="postmortem"]');
        expect(await row.getAttribute('data-kind')).toBe('fail');
        expect(await row.locator('.pill').innerText()).toBe('FAIL');
        await page.locator('a.latest').first().click();
        await page.waitForURL(/postmortem\/report\.html$/, { timeout: 10_000 });
        expect(await page.locator('#verdict-banner').isVisible()).toBe(true);
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    });
  });

  it('renders every chart of a sample result as SVG with a size, fault windows shaded', async () => {
    const { page } = await open(completedRun(), 'charts');
    try {
      const charts = page.locator('svg.chart');
      expect(await charts.count()).toBe(7);
      for (const chart of await charts.all()) {
        const box = await chart.boundingBox();
        expect(box!.width).toBeGreaterThan(400);
        expect(box!.height).toBeGreaterThan(100);
        const shade = await chart.locator('rect.shade').first().boundingBox();
        expect(shade!.width).toBeGreaterThan(10);
        expect(await chart.locator('path.area, path.line, rect.state').count()).toBeGreaterThan(0);
      }
      expect(await page.locator('#chart-requests path.area').count()).toBe(4);
      expect(await page.locator('#chart-upstream ul.legend').innerText()).toContain('stripe@eu');
    } finally {
      await page.close();
    }
  });

  it('shows the aborted banner for an aborted run', async () => {
    const { page, requests } = await open(abortedRun(), 'aborted');
    try {
      const banner = page.locator('#aborted');
      expect(await banner.isVisible()).toBe(true);
      expect(await banner.innerText()).toContain('interrupted by SIGINT (Ctrl-C) at 12.4 s');
      expect(requests).toHaveLength(1);
    } finally {
      await page.close();
    }
  });

  it('keeps hostile names as text, and junit.xml parses as well-formed XML', async () => {
    const run = completedRun();
    run.scenario.name = `pay <&"> 'eu' <script>alert(1)</script>`;
    run.slos[1]!.name = 'p99 <400ms & "fast"';
    run.slos[1]!.message = 'over\nby <212ms> & \u0001 more';
    run.scenario.source = { text: 'name: x\n# </code></pre><script>alert(2)</script>\n', variant: { name: '<img src=x onerror=alert(3)>', set: {} } };
    run.faults[0]!.label = '</text></svg><script>alert(4)</script>';
    const { page, errors, paths } = await open(run, 'hostile');
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    try {
      expect(await page.locator('#scenario-name').innerText()).toBe(run.scenario.name);
      expect(await page.locator('script').count()).toBe(0);
      expect(dialogs).toBe(0);
      expect(errors).toEqual([]);

      const xml = await readFile(paths.find((p) => p.endsWith('junit.xml'))!, 'utf8');
      const parsed = await page.evaluate((text) => {
        const doc = new DOMParser().parseFromString(text, 'application/xml');
        const error = doc.getElementsByTagName('parsererror')[0];
        return {
          error: error ? error.textContent : null,
          suite: doc.querySelector('testsuite')?.getAttribute('name'),
          cases: [...doc.querySelectorAll('testcase')].map((c) => c.getAttribute('name')),
          failure: doc.querySelector('failure')?.getAttribute('message'),
          detail: doc.querySelector('failure')?.textContent,
        };
      }, xml);
      expect(parsed.error).toBeNull();
      expect(parsed.suite).toBe(run.scenario.name);
      expect(parsed.cases).toEqual(run.slos.map((s) => s.name));
      expect(parsed.failure).toBe('over\nby <212ms> & \uFFFD more');
      expect(parsed.detail).toContain('expected: p99(latency) < 400ms, measured: 612.4ms');
    } finally {
      await page.close();
    }
  });
});
