/**
 * Metric names on both sides of a scrape, to check that dashboards and alerts read what the
 * services really export:
 *
 *   exportedNames('# TYPE http_request_duration_seconds histogram\n…')
 *     -> http_request_duration_seconds, _bucket, _sum, _count
 *   promqlMetricNames('sum by (route) (rate(proxy_requests_total{target="candidate"}[5m]))')
 *     -> ['proxy_requests_total']
 *
 * The PromQL side is a lexer, not a parser: string literals, label matchers `{…}`, ranges and
 * subqueries `[…]` and label lists after by/without/on/ignoring/group_left/group_right are
 * removed; what remains as an identifier not followed by `(` and not a keyword is a metric name.
 */

/** The sample names a text exposition (Prometheus 0.0.4 format) declares with `# TYPE`. */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/.exec(line);
    if (m === null) continue;
    const [, name, type] = m;
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan', 'atan2']);

/** Metric names a PromQL expression (or Grafana `label_values(metric, label)` query) reads. */
export function promqlMetricNames(expr: string): string[] {
  let s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    // Grafana template variables and their interval macros.
    .replace(/\$\{[^}]*\}|\$[a-zA-Z_]\w*/g, ' ');
  // label_values(metric, label): the second argument is a label name.
  s = s.replace(/\blabel_values\s*\(\s*([a-zA-Z_:][\w:]*)\s*,\s*\w+\s*\)/g, ' $1 ');
  const names = new Set<string>();
  const ident = /([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g;
  let m: RegExpExecArray | null;
  while ((m = ident.exec(s)) !== null) {
    const [, name, call] = m;
    const before = s[m.index - 1];
    // Part of a number (1e3, 0x1f) or a duration (5m): not a name.
    if (before !== undefined && /[0-9.]/.test(before)) continue;
    if (call !== undefined || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names].sort();
}
