/**
 * A small SVG bar chart, base64-encoded for a report's `charts_encoded` (the original embedded
 * matplotlib PNGs; SVG needs no native library and any browser shows it):
 *
 *   barChartSvg('Anomalies by severity', [['1', 4], ['2', 0], ['5', 1]])  // '<svg …>…</svg>'
 */

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function barChartSvg(title: string, bars: ReadonlyArray<readonly [string, number]>): string {
  const width = 640;
  const height = 320;
  const margin = { top: 40, right: 20, bottom: 60, left: 60 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const max = Math.max(1, ...bars.map(([, v]) => v));
  const slot = bars.length ? plotW / bars.length : plotW;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16">${escapeXml(title)}</text>`,
    `<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="#333"/>`,
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}" stroke="#333"/>`,
    `<text x="${margin.left - 8}" y="${margin.top + 4}" text-anchor="end">${max}</text>`,
    `<text x="${margin.left - 8}" y="${margin.top + plotH}" text-anchor="end">0</text>`,
  ];
  bars.forEach(([label, value], i) => {
    const h = (value / max) * plotH;
    const x = margin.left + i * slot + slot * 0.15;
    const w = slot * 0.7;
    const y = margin.top + plotH - h;
    parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="#4878a8"/>`);
    parts.push(`<text x="${(x + w / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" text-anchor="middle">${value}</text>`);
    parts.push(`<text x="${(x + w / 2).toFixed(1)}" y="${margin.top + plotH + 16}" text-anchor="middle">${escapeXml(label.length > 14 ? `${label.slice(0, 13)}…` : label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** `data:`-less base64 of the SVG text, as the legacy `charts_encoded` values were. */
export function encodeChart(svg: string): string {
  return Buffer.from(svg, 'utf8').toString('base64');
}
