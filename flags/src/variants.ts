/**
 * Flag variants: among the clients a live flag sends to the candidate, which variant each gets,
 * with a JSON payload the candidate acts on, e.g. a model upgrade ramped like an extraction:
 *
 *   v1=[{"model_version":"1"}]  v2@10={"model_version":"2"}   ->  v2 gets 10%, v1 the other 90%
 *
 * Written as `<name>[@<percent>]=<json>`. A percent fixes that variant's share; variants without
 * one split the rest evenly (Unleash's `variable` weight). Unleash needs at least one variable
 * variant and weights in thousandths; the arithmetic here is the server's, so a bootstrap document
 * and a server hand the same client the same variant.
 */

/** A variant as a release manager states it: a name, a JSON payload, optionally a fixed percent. */
export interface VariantSpec {
  readonly name: string;
  readonly payload: unknown;
  /** Fixed share 0..100 (may have one decimal); omitted: an even part of what fixed ones leave. */
  readonly percent?: number;
}

/** A variant as Unleash stores it on a strategy (weights in thousandths, summing to 1000). */
export interface VariantDefinition {
  name: string;
  weight: number;
  weightType: 'fix' | 'variable';
  stickiness: string;
  payload: { type: 'json'; value: string };
}

export class VariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VariantError';
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Parses `<name>[@<percent>]=<json>`; throws VariantError saying what is wrong. */
export function parseVariantArg(arg: string): VariantSpec {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new VariantError(`variant "${arg}": expected <name>[@<percent>]=<json>, e.g. v2@10='{"model_version":"2"}'`);
  const head = arg.slice(0, eq);
  const json = arg.slice(eq + 1);
  const [name, pct, ...rest] = head.split('@');
  if (rest.length > 0 || !NAME.test(name)) throw new VariantError(`variant "${head}": the name must be letters, digits, '.', '_' or '-' (optionally @<percent>)`);
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch (err) {
    throw new VariantError(`variant "${name}": payload is not valid JSON (${(err as Error).message}): ${json}`);
  }
  if (pct === undefined) return { name, payload };
  if (!/^\d{1,3}(\.\d)?$/.test(pct) || Number(pct) > 100) throw new VariantError(`variant "${name}": percent must be a number 0..100 with at most one decimal, got "${pct}"`);
  return { name, payload, percent: Number(pct) };
}

/** Unleash variant definitions for `specs`, weights distributed as the server does; validates. */
export function toVariantDefinitions(specs: readonly VariantSpec[], stickiness = 'default'): VariantDefinition[] {
  if (specs.length === 0) return [];
  const names = new Set<string>();
  for (const s of specs) {
    if (!NAME.test(s.name)) throw new VariantError(`variant "${s.name}": the name must be letters, digits, '.', '_' or '-'`);
    if (names.has(s.name)) throw new VariantError(`variant "${s.name}" is given twice`);
    names.add(s.name);
    if (s.percent !== undefined && !(s.percent >= 0 && s.percent <= 100)) throw new VariantError(`variant "${s.name}": percent must be 0..100, got ${s.percent}`);
  }
  const fixed = specs.filter((s) => s.percent !== undefined);
  const variable = specs.filter((s) => s.percent === undefined);
  if (variable.length === 0) throw new VariantError('leave at least one variant without @<percent>: it takes whatever share the fixed ones leave');
  const fixedWeight = fixed.reduce((sum, s) => sum + Math.round(s.percent! * 10), 0);
  if (fixedWeight > 1000) throw new VariantError(`the fixed percents add up to ${fixedWeight / 10}%, more than 100%`);
  const average = Math.floor((1000 - fixedWeight) / variable.length);
  let remainder = (1000 - fixedWeight) % variable.length;
  const defs = specs.map((s): VariantDefinition => {
    let weight: number;
    if (s.percent !== undefined) weight = Math.round(s.percent * 10);
    else {
      weight = average + (remainder > 0 ? 1 : 0);
      if (remainder > 0) remainder -= 1;
    }
    return {
      name: s.name,
      weight,
      weightType: s.percent === undefined ? 'variable' : 'fix',
      stickiness,
      payload: { type: 'json', value: JSON.stringify(s.payload) },
    };
  });
  // The server stores them sorted by name; clients bucket in that order, so keep it everywhere.
  return defs.sort((a, b) => a.name.localeCompare(b.name));
}
