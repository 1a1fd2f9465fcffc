import { verdict } from './checks.ts';
import { ratio } from './format.ts';
import type { Check } from './types.ts';

const WIDTH = 960;
const LABEL_WIDTH = 450;
const BAR_LEFT = LABEL_WIDTH + 10;
const BAR_WIDTH = WIDTH - BAR_LEFT - 120;
const ROW = 22;
const TOP = 56;
const COLORS = { pass: '#2e7d32', miss: '#c62828', 'n/a': '#9e9e9e' } as const;

function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/**
 * A horizontal bar per ratio check: the bar is the measured ratio, the black tick the target, green for
 * pass and red for miss. Bars past the scale are clipped and marked with an arrow.
 */
export function ratioChart(checks: readonly Check[], subtitle: string): string {
  const rows = checks.filter((c) => c.chart);
  const largest = Math.max(...rows.flatMap((c) => [c.target * 1.2, c.value ?? 0]));
  const scaleMax = Math.min(4, Math.max(1.25, Math.ceil(largest * 4) / 4));
  const x = (v: number) => BAR_LEFT + (Math.min(v, scaleMax) / scaleMax) * BAR_WIDTH;
  const height = TOP + rows.length * ROW + 40;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
      `font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="600">Larder benchmark: measured ratio vs target (black tick)</text>`,
    `<text x="10" y="38" fill="#555">${escape(subtitle)}</text>`,
  ];
  for (const tick of [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4].filter((t) => t <= scaleMax)) {
    const tx = x(tick);
    parts.push(`<line x1="${tx}" y1="${TOP - 6}" x2="${tx}" y2="${TOP + rows.length * ROW}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${tx}" y="${TOP + rows.length * ROW + 14}" text-anchor="middle" fill="#777">${tick}×</text>`);
  }
  rows.forEach((check, i) => {
    const y = TOP + i * ROW;
    const result = verdict(check);
    const op = check.op === '>=' ? '≥' : '≤';
    parts.push(`<text x="${LABEL_WIDTH}" y="${y + 14}" text-anchor="end">${escape(check.label)} (${op} ${check.target})</text>`);
    const tx = x(check.target);
    if (check.value === undefined) {
      parts.push(`<text x="${tx + 6}" y="${y + 14}" fill="${COLORS['n/a']}">not measured</text>`);
    } else {
      const end = x(check.value);
      const clipped = check.value > scaleMax ? ' ▶' : '';
      parts.push(`<rect x="${BAR_LEFT}" y="${y + 4}" width="${Math.max(1, end - BAR_LEFT)}" height="${ROW - 8}" fill="${COLORS[result]}"/>`);
      parts.push(`<text x="${Math.max(end, tx) + 6}" y="${y + 14}" fill="${COLORS[result]}">${escape(ratio(check.value))}${clipped} ${result}</text>`);
    }
    parts.push(`<line x1="${tx}" y1="${y + 1}" x2="${tx}" y2="${y + ROW - 1}" stroke="#000" stroke-width="2"/>`);
  });
  parts.push(
    `<text x="10" y="${height - 8}" fill="#777">≥: higher is better (throughput ratios, hashing). ≤: lower is better (latency, memory).</text>`,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
