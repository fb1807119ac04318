/**
 * report.html in a real browser: the SLO table and the charts render, an aborted run shows
 * its banner, the page fetches nothing over the network, and junit.xml parses as XML.
 * Uses the system's Chromium through playwright-core; never lets Playwright download a browser.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abortedRun, completedRun } from '../../src/report/testing.ts';
import { writeReports } from '../../src/report/reporter.ts';
import type { RunResult } from '../../src/model/result.ts';

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

  it('renders the three charts as SVG with a size, fault windows shaded', async () => {
    const { page } = await open(completedRun(), 'charts');
    try {
      const charts = page.locator('svg.chart');
      expect(await charts.count()).toBe(3);
      for (const chart of await charts.all()) {
        const box = await chart.boundingBox();
        expect(box!.width).toBeGreaterThan(400);
        expect(box!.height).toBeGreaterThan(100);
        const shade = await chart.locator('rect.shade').first().boundingBox();
        expect(shade!.width).toBeGreaterThan(10);
        expect(await chart.locator('path.area, path.line').count()).toBeGreaterThan(0);
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
