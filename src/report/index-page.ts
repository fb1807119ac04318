/**
 * reports/index.html: every run found under a reports folder (its result.json files), newest
 * first, each with its outcome at a glance (pass, fail, expected fail, unexpected pass,
 * aborted), live or simulated, and a link to its report; and per scenario folder a
 * `latest.html` that sends the browser to that scenario's newest report.
 *
 * `latest` is a small HTML page with a meta refresh (and a plain link), not a symlink: a
 * symlink needs privileges on Windows, and CI artifact uploads (zip archives) drop or
 * dereference them, while a page opens the same from a disk, a zip and an artifact viewer.
 *
 * The page is rebuilt from the files each time (`writeIndex`, after every run, suite and sim
 * writes its reports), so it never drifts from what is on disk; runs deleted by hand vanish
 * from it at the next run. Like report.html it is self-contained, escapes everything it
 * prints (scenario names and reasons are untrusted text) and fetches nothing.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type Handlebars from 'handlebars';
import type { RunResult } from '../model/result.ts';
import { formatCount, formatMs, outcome } from './format.ts';
import { reportHandlebars } from './html.ts';

/** How deep under the reports folder result.json files are looked for: `<scenario>/<run>/result.json` is 2, a suite's or a variant's one more. */
const MAX_DEPTH = 4;
/** More rows than a person reads; the oldest beyond it are counted, not listed. */
const MAX_ROWS = 1000;

export const INDEX_TEMPLATE_URL = new URL('./templates/index.hbs', import.meta.url);

/** One run as the index lists it. */
export interface IndexRow {
  /** The run's folder, relative to the reports folder, `/`-separated. */
  dir: string;
  scenario: string;
  runId: string;
  startedAt: string;
  mode: 'live' | 'sim';
  /** `pass`, `fail`, `expected-fail`, `unexpected-pass` or `aborted`. */
  kind: string;
  label: string;
  slosHeld: number;
  slos: number;
  durationMs: number;
  requests: number;
  /** Whether the folder has a report.html to link (a run written with `--reporter json` has none). */
  hasReport: boolean;
  abortReason?: string;
}

async function findResults(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, depth: number) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      // Dirents of symlinks are neither files nor folders here: a link loop cannot trap the walk.
      if (e.isFile() && e.name === 'result.json' && depth > 0) out.push(join(dir, e.name));
      else if (e.isDirectory() && depth < MAX_DEPTH && !e.name.startsWith('.') && e.name !== 'node_modules') await walk(join(dir, e.name), depth + 1);
    }
  };
  await walk(root, 0);
  return out;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** A result.json read defensively: any file under reports/ may be old, partial or hand-edited; what is not a result is skipped. */
function rowOf(root: string, file: string, text: string, hasReport: boolean): IndexRow | null {
  let r: Partial<RunResult>;
  try {
    r = JSON.parse(text) as Partial<RunResult>;
  } catch {
    return null;
  }
  if (!r || typeof r !== 'object' || !r.scenario || typeof r.scenario.name !== 'string' || typeof r.runId !== 'string') return null;
  const slos = Array.isArray(r.slos) ? r.slos : [];
  const verdict = r.verdict === 'pass' ? 'pass' : 'fail';
  const expected = r.expected === 'fail' ? 'fail' : 'pass';
  // Cut short without a verdict (interrupted, crashed); a run an abortOnFail SLO stopped is that SLO's FAIL, as the CI gate reads it.
  const aborted = r.status === 'aborted' && (r as { abortedOnFail?: unknown }).abortedOnFail === undefined;
  const o = outcome({ verdict, expected });
  return {
    dir: relative(root, dirname(file)).split(sep).join('/'),
    scenario: r.scenario.name,
    runId: r.runId,
    startedAt: str(r.startedAt) ?? '',
    mode: r.mode === 'sim' ? 'sim' : 'live',
    kind: aborted ? 'aborted' : o.kind,
    label: aborted ? 'ABORTED' : o.label,
    slosHeld: slos.filter((s) => s && s.passed === true).length,
    slos: slos.length,
    durationMs: num(r.durationMs),
    requests: num(r.load?.requests),
    hasReport,
    ...(aborted && str(r.abortReason) && { abortReason: str(r.abortReason) }),
  };
}

/**
 * What the last rebuild read, by result.json path with its size and mtime: a result.json is
 * written once, so a folder of a thousand runs is not parsed again after every run.
 */
const CACHE_FILE = '.faultline-index.json';
type Cache = Record<string, { size: number; mtimeMs: number; hasReport: boolean; row: IndexRow | null }>;

/** Every run under `root`, newest first (by start time, then run id); `cache` (read and updated) spares parsing unchanged files. */
export async function collectRuns(root: string, cache: Cache = {}): Promise<IndexRow[]> {
  const rows: IndexRow[] = [];
  const seen = new Set<string>();
  for (const file of await findResults(root)) {
    const key = relative(root, file).split(sep).join('/');
    seen.add(key);
    const info = await stat(file).catch(() => null);
    if (!info) continue;
    const hasReport = await stat(join(dirname(file), 'report.html')).then(
      (s) => s.isFile(),
      () => false,
    );
    const hit = cache[key];
    if (hit && hit.size === info.size && hit.mtimeMs === info.mtimeMs && hit.hasReport === hasReport) {
      if (hit.row) rows.push(hit.row);
      continue;
    }
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text === null) continue;
    const row = rowOf(root, file, text, hasReport);
    cache[key] = { size: info.size, mtimeMs: info.mtimeMs, hasReport, row };
    if (row) rows.push(row);
  }
  for (const key of Object.keys(cache)) if (!seen.has(key)) delete cache[key];
  return rows.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId) || a.dir.localeCompare(b.dir));
}

/** A relative URL to a `/`-separated path: each segment percent-encoded, so a name with `#`, `?` or `%` still links to its own folder. */
function href(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

let compiled: Handlebars.TemplateDelegate | undefined;

/** The index page for these rows (newest first). */
export function renderIndex(rows: readonly IndexRow[], generatedAt: string): string {
  compiled ??= reportHandlebars.compile(readFileSync(INDEX_TEMPLATE_URL, 'utf8'));
  const shown = rows.slice(0, MAX_ROWS);
  const count = (kind: string) => rows.filter((r) => r.kind === kind).length;
  const latest = new Map<string, IndexRow>();
  for (const r of rows) if (!latest.has(r.scenario)) latest.set(r.scenario, r);
  return compiled({
    generatedAt,
    total: rows.length,
    hidden: rows.length - shown.length,
    tally: [
      { kind: 'pass', label: 'pass', n: count('pass') },
      { kind: 'fail', label: 'fail', n: count('fail') },
      { kind: 'expected-fail', label: 'expected fail', n: count('expected-fail') },
      { kind: 'unexpected-pass', label: 'unexpected pass', n: count('unexpected-pass') },
      { kind: 'aborted', label: 'aborted', n: count('aborted') },
    ].filter((t) => t.n > 0),
    scenarios: [...latest.values()]
      .sort((a, b) => a.scenario.localeCompare(b.scenario))
      .map((r) => ({ ...r, latestHref: latestFile(r) ? href(latestFile(r)!) : null, reportHref: r.hasReport ? href(`${r.dir}/report.html`) : null })),
    rows: shown.map((r) => ({
      ...r,
      reportHref: r.hasReport ? href(`${r.dir}/report.html`) : null,
      resultHref: href(`${r.dir}/result.json`),
      duration: formatMs(r.durationMs),
      requestsText: formatCount(r.requests),
      started: r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    })),
  });
}

/** Where a scenario's `latest.html` goes: in the folder that holds its runs (`<scenario>/latest.html`); none for a run at the top level. */
function latestFile(row: IndexRow): string | null {
  const parent = row.dir.split('/').slice(0, -1).join('/');
  return parent === '' ? null : `${parent}/latest.html`;
}

/** The redirect page to one run's report, from the folder `latest.html` sits in. */
function renderLatest(row: IndexRow, target: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const url = esc(href(target));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta http-equiv="refresh" content="0; url=${url}">
<title>latest · ${esc(row.scenario)} · faultline</title>
</head>
<body style="font: 14px system-ui, sans-serif; margin: 2em">
<p>The latest run of <strong>${esc(row.scenario)}</strong> is <a href="${url}">${esc(row.runId)}</a> (${esc(row.label)}, started ${esc(row.startedAt)}).</p>
</body>
</html>
`;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Rebuilds `<reportsDir>/index.html` over every result.json under it, and each scenario
 * folder's `latest.html`; returns the index's path. Written atomically: a browser (or a
 * second run finishing at the same moment) never reads half a page.
 *
 * @example
 *   await writeReports(result, dir);
 *   await writeIndex('reports'); // reports/index.html, reports/<scenario>/latest.html
 */
export async function writeIndex(reportsDir: string, now: () => Date = () => new Date()): Promise<string> {
  const cacheFile = join(reportsDir, CACHE_FILE);
  const cache = await readFile(cacheFile, 'utf8')
    .then((t) => JSON.parse(t) as Cache)
    .catch(() => ({}) as Cache);
  const rows = await collectRuns(reportsDir, cache && typeof cache === 'object' ? cache : {});
  const done = new Set<string>();
  for (const r of rows) {
    const file = latestFile(r);
    // Newest first: the first row of each folder is its latest; only runs with a report are linked.
    if (!file || done.has(file) || !r.hasReport) continue;
    done.add(file);
    const parent = file.split('/').slice(0, -1).join('/');
    await writeAtomically(join(reportsDir, ...file.split('/')), renderLatest(r, `${r.dir.slice(parent.length + 1)}/report.html`));
  }
  const index = join(reportsDir, 'index.html');
  await writeAtomically(index, renderIndex(rows, now().toISOString()));
  // Only a speed-up: a cache that cannot be written costs the next rebuild a re-read, nothing else.
  await writeAtomically(cacheFile, JSON.stringify(cache)).catch(() => {});
  return index;
}
