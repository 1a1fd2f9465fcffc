import { escapeHtml } from './html.js';
import type { InspectorSnapshot, SpaceReport } from './snapshot.js';
import { bytesText, count, percentText, secondsText } from './units.js';

/** A message shown once at the top of the page, after an action. */
export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

/** What the dashboard needs besides the numbers. */
export interface DashboardView {
  /** Absolute path of the mount (`/_larder`), for form actions and links. */
  mount: string;
  flash: Flash | undefined;
  /** Seconds between automatic reloads, or 0 for none. */
  refreshSeconds: number;
}

const SECTIONS = [
  { kind: 'http', title: 'Routes', sub: 'cached()', clearable: true },
  { kind: 'data', title: 'Functions', sub: 'cacheData', clearable: true },
  { kind: 'resource', title: 'Resources', sub: 'cacheResource', clearable: false },
] as const;

/**
 * The dashboard's body and the CSS rules its bars need (widths as classes: a strict CSP forbids
 * `style` attributes). Every figure carries `data-metric`, and every row `data-cache`/`data-kind`,
 * so that what the page says can be read back exactly.
 */
export function renderDashboard(snapshot: InspectorSnapshot, view: DashboardView): { body: string; css: string } {
  const widths = new Set<number>();
  const mount = escapeHtml(view.mount);
  const totals = total(snapshot.spaces);
  const refreshLink = view.refreshSeconds
    ? `<a class="linkbtn" href="${mount}/">Auto-refresh: on</a>`
    : `<a class="linkbtn" href="${mount}/?refresh=10">Auto-refresh: off</a>`;
  let body =
    `<main><header class="top"><h1><span>Larder</span> inspector</h1>` +
    `<div class="meta">store <b data-metric="store">${escapeHtml(snapshot.store)}</b> · ${escapeHtml(snapshot.generatedAt.replace('T', ' ').slice(0, 19))} UTC</div>` +
    `<div class="actions"><a class="linkbtn" href="${mount}/${view.refreshSeconds ? `?refresh=${view.refreshSeconds}` : ''}">Refresh</a>${refreshLink}` +
    `<form method="post" action="${mount}/logout"><button type="submit">Log out</button></form></div></header>`;
  if (view.flash) body += `<div class="flash ${view.flash.kind === 'error' ? 'error' : ''}" role="status">${escapeHtml(view.flash.text)}</div>`;
  body += `<div class="cards">` + [
    card('Hit rate', percentText(totals.hitRate), 'hitRate'),
    card('Hits', count(totals.hits), 'hits'),
    card('Stale', count(totals.stale), 'stale'),
    card('Misses', count(totals.misses), 'misses'),
    card('Bypasses', count(totals.bypasses), 'bypasses'),
    card('Errors', count(totals.errors), 'errors'),
    card('Entries', count(totals.entries), 'entries'),
    card('Stored', bytesText(totals.bytes), 'bytes'),
    card('Compute', secondsText(totals.computeMs), 'computeMs'),
  ].join('') + `</div>`;
  for (const section of SECTIONS) {
    const rows = snapshot.spaces.filter((space) => space.kind === section.kind);
    body += `<section data-kind="${section.kind}"><h2>${section.title} <small>${section.sub} · ${rows.length}</small></h2>`;
    if (rows.length === 0) {
      body += `<div class="empty">None has run in this process yet.</div></section>`;
      continue;
    }
    body +=
      `<div class="scroll"><table><thead><tr><th class="name">Name</th><th>Hit rate</th><th>Hits</th><th>Stale</th><th>Misses</th>` +
      `<th>Bypasses</th><th>Errors</th><th>Entries</th><th>Size</th><th>Compute</th><th class="why">Recent reasons</th>` +
      `${section.clearable ? '<th></th>' : ''}</tr></thead><tbody>`;
    for (const space of rows) body += row(space, section.clearable, mount, widths);
    body += `</tbody></table></div></section>`;
  }
  body +=
    `<section><h2>Actions <small>reach every process that shares the store</small></h2><div class="tools">` +
    `<form method="post" action="${mount}/invalidate"><label for="tag">Invalidate tag</label>` +
    `<input type="text" id="tag" name="tag" placeholder="user:42" required> <button type="submit">Invalidate</button></form>` +
    `<form method="post" action="${mount}/clear"><input type="hidden" name="all" value="1">` +
    `<button type="submit" class="danger">Clear every entry</button></form></div></section>` +
    `<footer>Counters are this process's since it started; entries and bytes count what it stored. ` +
    `Also as <a href="${mount}/stats.json">stats.json</a> and <a href="${mount}/metrics">Prometheus metrics</a>.</footer></main>`;
  const css = [...widths].map((w) => `.w${w}{width:${w}%}`).join('');
  return { body, css };
}

function row(space: SpaceReport, clearable: boolean, mount: string, widths: Set<number>): string {
  const name = escapeHtml(space.cache);
  const clear = clearable
    ? `<td><form method="post" action="${mount}/clear"><input type="hidden" name="kind" value="${space.kind}">` +
      `<input type="hidden" name="cache" value="${name}"><button type="submit" class="danger" aria-label="Clear ${name}">Clear</button></form></td>`
    : '';
  return (
    `<tr data-cache="${name}" data-kind="${space.kind}"><td class="name"><code>${name}</code></td>` +
    `<td>${rateCell(space.hitRate, widths)}</td>` +
    metric('hits', count(space.hits)) + metric('stale', count(space.stale)) + metric('misses', count(space.misses)) +
    metric('bypasses', count(space.bypasses)) + metric('errors', count(space.errors)) + metric('entries', count(space.entries)) +
    metric('bytes', bytesText(space.bytes)) + metric('computeMs', secondsText(space.computeMs)) +
    `<td class="why">${reasons(space)}</td>${clear}</tr>`
  );
}

function rateCell(rate: number | null, widths: Set<number>): string {
  if (rate === null) return `<div class="rate"><span class="none" data-metric="hitRate">—</span></div>`;
  const width = Math.round(rate * 100);
  widths.add(width);
  const grade = rate >= 0.8 ? 'good' : rate >= 0.5 ? 'fair' : 'poor';
  return `<div class="rate"><div class="bar"><span class="${grade} w${width}"></span></div><b data-metric="hitRate">${percentText(rate)}</b></div>`;
}

function reasons(space: SpaceReport): string {
  if (space.recentReasons.length === 0) return `<span class="none">—</span>`;
  const items = space.recentReasons.slice(0, 4).map(
    (r) => `<li data-reason="${escapeHtml(r.reason)}"><span class="chip ${r.event}">${escapeHtml(r.reason)}</span> ×${r.count} <span>${escapeHtml(r.words)}</span></li>`,
  );
  return `<ul>${items.join('')}</ul>`;
}

function metric(name: string, text: string): string {
  return `<td data-metric="${name}">${text}</td>`;
}

function card(label: string, value: string, name: string): string {
  return `<div class="card"><div class="label">${label}</div><div class="value" data-total="${name}">${value}</div></div>`;
}

function total(spaces: readonly SpaceReport[]) {
  const sum = { hits: 0, stale: 0, misses: 0, bypasses: 0, errors: 0, entries: 0, bytes: 0, computeMs: 0 };
  for (const space of spaces) for (const key of Object.keys(sum) as Array<keyof typeof sum>) sum[key] += space[key];
  const lookups = sum.hits + sum.stale + sum.misses;
  return { ...sum, hitRate: lookups === 0 ? null : (sum.hits + sum.stale) / lookups };
}
