/**
 * The metastability map (map.ts) for people and machines: a table per variant on the screen
 * (loads down, highest first as on a phase diagram; trigger lengths across), one JSON row
 * per cell, and a self-contained HTML page. The page is a grid of coloured cells in the
 * report's Okabe–Ito colours (src/report/charts.ts PALETTE); the report's charts are time
 * series, a map is not, so only the colours are shared. Every piece of text that comes from
 * the scenario or the user (names, paths, summaries) is HTML-escaped.
 */
import { PALETTE } from '../../report/charts.ts';
import { loadStates, type MapCell, type MetastabilityMap } from './map.ts';

/** A trigger length as people write it: 500ms, 1.5s, 2s. */
export function formatLength(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${+(ms / 1000).toFixed(3)}s`;
}

const cellOf = (map: MetastabilityMap, variant: string, load: number, triggerMs: number): MapCell | undefined =>
  map.cells.find((c) => c.variant === variant && c.load === load && c.triggerMs === triggerMs);

/** One cell as a table shows it: `ok 1.0s` (recovered that long after the trigger), `STUCK`, `?` (undetermined). */
export function cellText(c: MapCell | undefined): string {
  if (!c) return '';
  if (c.state === 'recovered') return `ok ${((c.recoveredAfterMs ?? 0) / 1000).toFixed(1)}s`;
  return c.state === 'stuck' ? 'STUCK' : '?';
}

/** The map as plain text: one block per variant. */
export function renderMapTable(map: MetastabilityMap): string {
  const lines: string[] = [
    `metastability map: ${map.scenario.name}, trigger \`${map.trigger}\` from ${formatLength(map.triggerFromMs)}, run ${formatLength(map.durationMs)}, seed ${map.seed}`,
    `recovered: goodput ≥ ${Math.round(map.criteria.minGoodput * 100)} % and amplification ≤ ${map.criteria.maxAmplification}× every second from then to the end, for ≥ ${formatLength(map.criteria.holdMs)}`,
    `cells: "ok T" recovered T after the trigger ended, STUCK never did, ? too little run after the trigger to tell`,
    `state: stable, the load recovered from every trigger; vulnerable, some trigger left it stuck (metastable)`,
  ];
  const head = ['load/s \\ trigger', ...map.triggersMs.map(formatLength), 'state'];
  for (const v of map.variants) {
    const states = new Map(loadStates(map, v.name).map((r) => [r.load, r.state]));
    const rows = [...map.loads].sort((a, b) => b - a).map((load) => [String(load), ...map.triggersMs.map((t) => cellText(cellOf(map, v.name, load, t))), states.get(load)!]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => r.map((x, i) => (i === 0 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join('  ').trimEnd();
    const recovered = map.cells.filter((c) => c.variant === v.name && c.state === 'recovered').length;
    const total = map.loads.length * map.triggersMs.length;
    lines.push('', `${v.name}: ${recovered} of ${total} cells recovered`, line(head), ...rows.map(line));
  }
  return lines.join('\n');
}

/** One JSON row per cell, with the map's settings on each so a row stands alone. */
export function mapJsonRows(map: MetastabilityMap): object[] {
  return map.cells.map((c) => ({
    scenario: map.scenario.name,
    variant: c.variant,
    router: map.variants.find((v) => v.name === c.variant)?.router ?? null,
    trigger: map.trigger,
    load: c.load,
    triggerMs: c.triggerMs,
    state: c.state,
    recoveredAfterMs: c.recoveredAfterMs,
    peakAmplification: c.peakAmplification,
    afterGoodput: c.afterGoodput,
    seed: map.seed,
    summary: c.summary,
  }));
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const COLOURS = { recovered: PALETTE.green, stuck: PALETTE.vermillion, undetermined: '#BBBBBB' } as const;

/** The map as a self-contained HTML page (no script, no external resources). */
export function renderMapHtml(map: MetastabilityMap): string {
  const e = escapeHtml;
  const loads = [...map.loads].sort((a, b) => b - a);
  const grids = map.variants
    .map((v) => {
      const recovered = map.cells.filter((c) => c.variant === v.name && c.state === 'recovered').length;
      const header = `<tr><th scope="col">load/s ＼ trigger</th>${map.triggersMs.map((t) => `<th scope="col">${e(formatLength(t))}</th>`).join('')}<th scope="col">state</th></tr>`;
      const states = new Map(loadStates(map, v.name).map((r) => [r.load, r.state]));
      const rows = loads
        .map((load) => {
          const tds = map.triggersMs
            .map((t) => {
              const c = cellOf(map, v.name, load, t);
              if (!c) return '<td></td>';
              const title = `${v.name}, ${load}/s, trigger ${formatLength(t)}: ${c.summary}; peak amplification ${c.peakAmplification?.toFixed(2) ?? 'n/a'}×`;
              return `<td class="${c.state}" title="${e(title)}">${e(cellText(c))}</td>`;
            })
            .join('');
          return `<tr><th scope="row">${e(String(load))}</th>${tds}<th scope="row">${e(states.get(load)!)}</th></tr>`;
        })
        .join('\n');
      const caption = `${v.name}: ${recovered} of ${map.loads.length * map.triggersMs.length} cells recovered`;
      return `<section><table><caption>${e(caption)}</caption>\n<thead>${header}</thead>\n<tbody>\n${rows}\n</tbody></table></section>`;
    })
    .join('\n');
  const c = map.criteria;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(`metastability map: ${map.scenario.name}`)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #fff;padding:.35rem .6rem;font-variant-numeric:tabular-nums;text-align:center}
th{background:#f3f3f3}td.recovered{background:${COLOURS.recovered};color:#fff}td.stuck{background:${COLOURS.stuck};color:#fff}td.undetermined{background:${COLOURS.undetermined}}
.legend span{display:inline-block;padding:.1rem .5rem;margin-right:.5rem;color:#fff}
</style></head><body>
<h1>${e(`Metastability map: ${map.scenario.name}`)}</h1>
<p>${e(map.scenario.file)}</p>
<p>${e(`Each cell is one simulated run (seed ${map.seed}, ${formatLength(map.durationMs)}): the offered load (rows) and the length of the trigger \`${map.trigger}\`, which starts at ${formatLength(map.triggerFromMs)} (columns). A run recovered when, from some second after the trigger ended to the end of the run and for at least ${formatLength(c.holdMs)}, every second's goodput was ≥ ${Math.round(c.minGoodput * 100)} % of its offered load and the backend received ≤ ${c.maxAmplification}× it; the cell says how long after the trigger. Stuck: it never did. A load is stable when it recovered from every trigger here, vulnerable when some trigger left it stuck (Bronson et al., HotOS 2021).`)}</p>
<p class="legend"><span style="background:${COLOURS.recovered}">recovered</span><span style="background:${COLOURS.stuck}">stuck</span><span style="background:${COLOURS.undetermined};color:#222">undetermined</span></p>
${grids}
</body></html>
`;
}
