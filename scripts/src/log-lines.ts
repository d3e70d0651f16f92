/**
 * Renders a child's output as readable prefixed lines: JSON log records become
 * `12:00:01 info  message key=value`, anything else is passed through, all behind `name │`.
 */
const LEVEL_COLOR: Record<string, number> = { error: 31, warn: 33, info: 32, http: 36, debug: 90, verbose: 90, silly: 90 };
const SKIP = new Set(['level', 'message', 'timestamp', 'service']);

export function renderLogLine(line: string, color: boolean): string {
  if (!line.startsWith('{')) return line;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = String(record.level ?? 'info');
  const time = typeof record.timestamp === 'string' ? record.timestamp.slice(11, 19) : '';
  const extras = Object.entries(record)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const lvl = level.padEnd(5);
  const paintedLevel = color ? `\x1b[${LEVEL_COLOR[level] ?? 0}m${lvl}\x1b[0m` : lvl;
  return `${time} ${paintedLevel} ${String(record.message ?? '')}${extras ? `  ${color ? '\x1b[2m' : ''}${extras}${color ? '\x1b[0m' : ''}` : ''}`;
}

/** Splits a byte stream into lines, calling `onLine` for each complete one. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer): void; flush(): void } {
  let rest = '';
  return {
    push(chunk) {
      const text = rest + chunk.toString('utf8');
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) if (l.length > 0) onLine(l.replace(/\r$/, ''));
    },
    flush() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}
