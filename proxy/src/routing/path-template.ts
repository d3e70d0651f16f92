/**
 * Path templates: `/api/v1/ml/models/:name/latest` matches `/api/v1/ml/models/m1/latest` with
 * `{name: "m1"}`. A `:param` is exactly one non-empty segment; everything else compares literally
 * (raw, undecoded path). Compiled once into a function, so matching allocates only on a hit.
 */

/** Matches one path; returns the captured params, or null when it does not match. */
export type PathMatcher = (path: string) => Readonly<Record<string, string>> | null;

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/** Throws an Error naming the problem when `template` is not `/`-rooted or has an empty param name. */
export function compilePathTemplate(template: string): PathMatcher {
  if (!template.startsWith('/')) throw new Error(`path template must start with "/": ${JSON.stringify(template)}`);
  const parts = template.split('/');
  const params = parts.map((p) => (p.startsWith(':') ? p.slice(1) : null));
  if (params.some((p) => p === '')) throw new Error(`path template has an unnamed ":" segment: ${JSON.stringify(template)}`);
  if (params.every((p) => p === null)) return (path) => (path === template ? NO_PARAMS : null);
  return (path) => {
    const segments = path.split('/');
    if (segments.length !== parts.length) return null;
    const out: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const name = params[i];
      if (name === null) {
        if (segments[i] !== parts[i]) return null;
      } else {
        if (segments[i] === '') return null;
        out[name] = segments[i];
      }
    }
    return out;
  };
}

/** How many literal segments a template has: more literal means more specific. */
export function literalSegments(template: string): number {
  return template.split('/').filter((p) => p !== '' && !p.startsWith(':')).length;
}

/** True when `path` is `prefix` itself or continues it at a segment boundary (`/a` matches `/a/b`, not `/ab`). */
export function matchesPrefix(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || prefix.endsWith('/') || path.charCodeAt(prefix.length) === 47; // '/'
}
