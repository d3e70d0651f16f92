/**
 * Request validation that answers exactly as the legacy FastAPI/pydantic-v2 app did, built on zod.
 *
 * Field builders reproduce pydantic's lax coercions and its messages, and parseBody/parseQuery
 * flatten every issue into the legacy 422 string:
 *
 *   const Ingest = fields.model({ sensor_id: fields.str(), value: fields.number(),
 *                                 quality: fields.number({ ge: 0, le: 1 }).default(1) });
 *   parseBody(Ingest, { quality: 2 });
 *   // throws AppError VALIDATION_FAILED, detail:
 *   // "Request validation failed: body → sensor_id: Field required; body → value: Field required;
 *   //  body → quality: Input should be less than or equal to 1"
 *
 * Missing (undefined) means "Field required" unless the field has a zod `.default(...)`; `null`
 * is a type error unless the field is `.nullable()` (pydantic's `Optional[X] = None`). Unknown
 * keys are dropped, never rejected. Query values arrive as strings and are coerced the way
 * pydantic's lax mode does ("10" -> 10, "abc" -> "unable to parse string as an integer").
 */
import { z } from 'zod';
import { AppError } from '../errors.js';

/** One pydantic-style issue: where (`['body', 'sensor_readings', 0, 'value']`) and what. */
export interface ValidationIssue {
  loc: ReadonlyArray<string | number>;
  msg: string;
}

/** At most this many issues are listed in the flattened detail, as the legacy handler did. */
export const MAX_LISTED_ISSUES = 5;

/** `"Request validation failed: body → value: Field required; …; (+N more validation issues)"`. */
export function validationDetail(issues: readonly ValidationIssue[]): string {
  const parts = issues.map((i) => `${i.loc.map(String).join(' → ') || 'payload'}: ${i.msg}`);
  let summary = parts.length ? parts.slice(0, MAX_LISTED_ISSUES).join('; ') : 'Request validation failed';
  if (parts.length > MAX_LISTED_ISSUES) summary = `${summary}; (+${parts.length - MAX_LISTED_ISSUES} more validation issues)`;
  return `Request validation failed: ${summary}`;
}

/** The AppError a client gets for these issues (422). */
export function validationError(issues: readonly ValidationIssue[]): AppError {
  return new AppError('VALIDATION_FAILED', validationDetail(issues));
}

function parseWith<S extends z.ZodTypeAny>(where: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw validationError(result.error.issues.map((i) => ({ loc: [where, ...i.path], msg: i.message })));
}

/** Validate a JSON body (`req.body`; undefined when none was sent). */
export function parseBody<S extends z.ZodTypeAny>(schema: S, body: unknown): z.output<S> {
  return parseWith('body', schema, body);
}

/** Validate a query object; a repeated parameter counts with its last value, as in FastAPI. */
export function parseQuery<S extends z.ZodTypeAny>(schema: S, query: unknown): z.output<S> {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    flat[key] = Array.isArray(value) ? value[value.length - 1] : value;
  }
  return parseWith('query', schema, flat);
}

/** Validate path parameters (`req.params`). */
export function parsePath<S extends z.ZodTypeAny>(schema: S, params: unknown): z.output<S> {
  return parseWith('path', schema, params);
}

type Check<T> = (input: unknown) => { ok: true; value: T } | { ok: false; msg: string };

const ok = <T>(value: T) => ({ ok: true as const, value });
const fail = (msg: string) => ({ ok: false as const, msg });

/** A field that is required when missing; wrap with zod's `.default()` / `.nullable()` for the rest. */
function field<T>(check: Check<T>) {
  return z.unknown().transform((input, ctx): T => {
    if (!present(input, ctx)) return z.NEVER;
    const result = check(input);
    if (!result.ok) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: result.msg });
      return z.NEVER;
    }
    return result.value;
  });
}

export interface Bounds {
  ge?: number;
  gt?: number;
  le?: number;
  lt?: number;
}

/** pydantic's constraint messages; numbers print as Python prints them (`1`, `0.5`). */
function bounded(value: number, b: Bounds): string | undefined {
  if (b.gt !== undefined && !(value > b.gt)) return `Input should be greater than ${b.gt}`;
  if (b.ge !== undefined && !(value >= b.ge)) return `Input should be greater than or equal to ${b.ge}`;
  if (b.lt !== undefined && !(value < b.lt)) return `Input should be less than ${b.lt}`;
  if (b.le !== undefined && !(value <= b.le)) return `Input should be less than or equal to ${b.le}`;
  return undefined;
}

const FLOAT_STRING = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const SPECIAL_FLOATS: Record<string, number> = { inf: Infinity, infinity: Infinity, nan: NaN };

function toFloat(input: unknown): { ok: true; value: number } | { ok: false; msg: string } {
  if (typeof input === 'number') return ok(input);
  if (typeof input === 'boolean') return ok(input ? 1 : 0);
  if (typeof input === 'string') {
    const s = input.trim();
    if (FLOAT_STRING.test(s)) return ok(Number(s.replace(/_/g, '')));
    const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
    if (special) return ok((special[1] === '-' ? -1 : 1) * SPECIAL_FLOATS[special[2].toLowerCase()]);
    return fail('Input should be a valid number, unable to parse string as a number');
  }
  return fail('Input should be a valid number');
}

function toInt(input: unknown): { ok: true; value: number } | { ok: false; msg: string } {
  if (typeof input === 'boolean') return ok(input ? 1 : 0);
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return fail('Input should be a finite number');
    if (!Number.isInteger(input)) return fail('Input should be a valid integer, got a number with a fractional part');
    return ok(input);
  }
  if (typeof input === 'string') {
    const m = /^([+-]?\d(?:_?\d)*)(?:\.0*)?$/.exec(input.trim());
    if (m) return ok(Number(m[1].replace(/_/g, '')));
    return fail('Input should be a valid integer, unable to parse string as an integer');
  }
  return fail('Input should be a valid integer');
}

const TRUE_STRINGS = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE_STRINGS = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

function toBool(input: unknown): { ok: true; value: boolean } | { ok: false; msg: string } {
  if (typeof input === 'boolean') return ok(input);
  if (typeof input === 'number') {
    if (input === 0 || input === 1) return ok(input === 1);
    return fail(Number.isInteger(input) ? 'Input should be a valid boolean, unable to interpret input' : 'Input should be a valid boolean');
  }
  if (typeof input === 'string') {
    const s = input.toLowerCase();
    if (TRUE_STRINGS.has(s)) return ok(true);
    if (FALSE_STRINGS.has(s)) return ok(false);
    return fail('Input should be a valid boolean, unable to interpret input');
  }
  return fail('Input should be a valid boolean');
}

/** A JSON object (not an array, a Buffer of raw bytes or another class instance). */
function isPlainObject(input: unknown): input is Record<string, unknown> {
  if (typeof input !== 'object' || input === null) return false;
  const proto = Object.getPrototypeOf(input);
  return proto === Object.prototype || proto === null;
}

/** `'a', 'b' or 'c'`, as pydantic lists the allowed values of an enum or Literal. */
export function pythonChoices(values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

// --- UUID, with the uuid crate's error wording that pydantic-core passes through -------------

const HEX = /^[0-9a-fA-F]$/;

function uuidProblem(input: string): string | undefined {
  let body = input;
  let offset = 0;
  let simple = true;
  if (input.length >= 2 && input.startsWith('{') && input.endsWith('}')) {
    body = input.slice(1, -1);
    offset = 1;
    simple = false;
  } else if (input.startsWith('urn:uuid:')) {
    body = input.slice(9);
    offset = 9;
    simple = false;
  }
  const wellFormed =
    (simple && input.length === 32 && /^[0-9a-fA-F]{32}$/.test(input)) ||
    (body.length === 36 && /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(body) && (simple ? input.length === 36 : true));
  if (wellFormed) return undefined;
  const bounds: number[] = [];
  let hyphens = 0;
  const chars = Array.from(body);
  let index = 0;
  for (const ch of chars) {
    if (ch === '-') {
      if (hyphens < 4) bounds.push(index);
      hyphens += 1;
    } else if (!HEX.test(ch)) {
      return `invalid character: found \`${ch}\` at ${index + offset + 1}`;
    }
    index += Buffer.byteLength(ch);
  }
  if (hyphens === 0 && simple) return `invalid length: expected length 32 for simple format, found ${Buffer.byteLength(input)}`;
  if (hyphens !== 4) return `invalid group count: expected 5, found ${hyphens + 1}`;
  const starts = [0, 9, 14, 19, 24];
  const expected = [8, 4, 4, 4, 12];
  for (let i = 0; i < 4; i++) {
    if (bounds[i] !== starts[i + 1] - 1) return `invalid group length in group ${i}: expected ${expected[i]}, found ${bounds[i] - starts[i]}`;
  }
  return `invalid group length in group 4: expected 12, found ${body.length - starts[4]}`;
}

function toUuid(input: unknown): { ok: true; value: string } | { ok: false; msg: string } {
  if (typeof input !== 'string') return fail('UUID input should be a string, bytes or UUID object');
  const problem = uuidProblem(input);
  if (problem) return fail(`Input should be a valid UUID, ${problem}`);
  const hex = input.replace(/^urn:uuid:|[{}-]/g, '').toLowerCase();
  return ok(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`);
}

// --- datetimes, parsed as pydantic-core's speedate does ---------------------------------------

/** A parsed datetime: the instant, its exact UTC text at microsecond precision, and whether it came without an offset. */
export interface ParsedDateTime {
  date: Date;
  /** `2025-08-21T10:00:00.123456Z`: the instant at microsecond precision (PostgreSQL accepts it as is). */
  iso: string;
  /** No offset was given (pydantic keeps such datetimes naive; we read them as UTC). */
  naive: boolean;
}

const MAX_UNIX_SECONDS = 253_402_300_799; // 9999-12-31T23:59:59

function fromEpochSeconds(seconds: number): ParsedDateTime | string {
  const s = Math.abs(seconds) > 20_000_000_000 ? seconds / 1000 : seconds;
  if (!Number.isFinite(s) || Math.abs(s) > MAX_UNIX_SECONDS) return 'dates after 9999 are not supported as unix timestamps';
  const micros = Math.round(s * 1e6);
  return fromMicros(micros, false);
}

function fromMicros(micros: number, naive: boolean): ParsedDateTime {
  const ms = Math.floor(micros / 1000);
  const date = new Date(ms);
  const sub = String(((micros % 1000) + 1000) % 1000).padStart(3, '0');
  return { date, iso: `${date.toISOString().slice(0, 23)}${sub}Z`, naive };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/** speedate's Date::parse_str error for the first 10 characters, or undefined when they are a date. */
function dateProblem(s: string): string | undefined {
  if (s.length < 10) return 'input is too short';
  for (let i = 0; i < 4; i++) if (!isDigit(s[i])) return 'invalid character in year';
  if (s[4] !== '-') return 'invalid date separator, expected `-`';
  if (!isDigit(s[5]) || !isDigit(s[6])) return 'invalid character in month';
  if (s[7] !== '-') return 'invalid date separator, expected `-`';
  if (!isDigit(s[8]) || !isDigit(s[9])) return 'invalid character in day';
  const year = Number(s.slice(0, 4));
  const month = Number(s.slice(5, 7));
  const day = Number(s.slice(8, 10));
  if (month < 1 || month > 12) return 'month value is outside expected range of 1-12';
  if (day < 1 || day > daysInMonth(year, month)) return 'day value is outside expected range';
  return undefined;
}

const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([zZ])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

function parseDateTimeString(s: string): ParsedDateTime | string {
  if (/^[+-]?\d+(?:\.\d+)?$/.test(s)) return fromEpochSeconds(Number(s));
  const problem = dateProblem(s);
  if (problem) return problem;
  const year = Number(s.slice(0, 4));
  const month = Number(s.slice(5, 7));
  const day = Number(s.slice(8, 10));
  if (s.length === 10) return fromMicros(Date.UTC(year, month - 1, day) * 1000, true);
  const extra = 'unexpected extra characters at the end of the input';
  if (!'Tt _'.includes(s[10])) return extra;
  const m = TIME.exec(s.slice(11));
  if (!m) return extra;
  const [hh, mm, ss] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (hh > 23 || mm > 59 || ss > 59) return extra;
  const fraction = Number((m[4] ?? '').slice(0, 6).padEnd(6, '0'));
  let offsetMinutes = 0;
  if (m[6]) {
    offsetMinutes = (m[6] === '-' ? -1 : 1) * (Number(m[7]) * 60 + Number(m[8] ?? 0));
    if (Number(m[7]) > 23 || Number(m[8] ?? 0) > 59) return extra;
  }
  const naive = !m[5] && !m[6];
  const ms = Date.UTC(year, month - 1, day, hh, mm, ss) - offsetMinutes * 60_000;
  return fromMicros(ms * 1000 + fraction, naive);
}

function toDateTime(input: unknown): { ok: true; value: ParsedDateTime } | { ok: false; msg: string } {
  let parsed: ParsedDateTime | string;
  if (typeof input === 'number') parsed = fromEpochSeconds(input);
  else if (typeof input === 'string') parsed = parseDateTimeString(input);
  else return fail('Input should be a valid datetime');
  if (typeof parsed === 'string') {
    return fail(typeof input === 'number' ? `Input should be a valid datetime, ${parsed}` : `Input should be a valid datetime or date, ${parsed}`);
  }
  return ok(parsed);
}

function withBounds(convert: Check<number>, bounds: Bounds): Check<number> {
  return (v) => {
    const r = convert(v);
    if (!r.ok) return r;
    const msg = bounded(r.value, bounds);
    return msg ? fail(msg) : r;
  };
}

/** "Field required" for a missing value; true when the caller may go on. */
function present(input: unknown, ctx: z.RefinementCtx): boolean {
  if (input !== undefined) return true;
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'Field required' });
  return false;
}

/** Field builders with pydantic v2's coercions and messages. Combine with zod's `.default()` and `.nullable()`. */
export const fields = {
  /** `str`: strings only (pydantic v2 does not turn numbers into strings). */
  str: () => field<string>((v) => (typeof v === 'string' ? ok(v) : fail('Input should be a valid string'))),

  /** `float` with optional bounds: numbers, booleans and numeric strings. */
  number: (bounds: Bounds = {}) => field<number>(withBounds(toFloat, bounds)),

  /** `int` with optional bounds: integral numbers, booleans, integer strings ("10", "10.0"). */
  int: (bounds: Bounds = {}) => field<number>(withBounds(toInt, bounds)),

  /** `bool`: true/false, 0/1 and pydantic's words (yes/no, on/off, t/f, y/n). */
  bool: () => field<boolean>(toBool),

  /** `Dict[str, Any]`: any JSON object. */
  dict: () => field<Record<string, unknown>>((v) => (isPlainObject(v) ? ok(v) : fail('Input should be a valid dictionary'))),

  /** `List[item]`: an array whose items are validated with their index in the location. */
  list: <T extends z.ZodTypeAny>(item: T) =>
    z.unknown().transform((input, ctx): Array<z.output<T>> => {
      if (!present(input, ctx)) return z.NEVER;
      if (!Array.isArray(input)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'Input should be a valid list' });
        return z.NEVER;
      }
      const out: Array<z.output<T>> = [];
      let failed = false;
      input.forEach((value, index) => {
        const r = item.safeParse(value);
        if (r.success) out.push(r.data);
        else {
          failed = true;
          for (const issue of r.error.issues) ctx.addIssue({ code: z.ZodIssueCode.custom, message: issue.message, path: [index, ...issue.path] });
        }
      });
      return failed ? z.NEVER : out;
    }),

  /** A str Enum / Literal: one of `values`, else `Input should be 'a', 'b' or 'c'`. */
  enumOf: <const V extends readonly string[]>(values: V) =>
    field<V[number]>((v) => (typeof v === 'string' && values.includes(v) ? ok(v as V[number]) : fail(`Input should be ${pythonChoices(values)}`))),

  /** `uuid.UUID`: any of the uuid crate's forms, normalised to lowercase hyphenated text. */
  uuid: () => field<string>(toUuid),

  /** `datetime`: ISO 8601 (date, `T`/space separator, optional fraction and offset) or unix seconds/milliseconds. */
  datetime: () => field<ParsedDateTime>(toDateTime),

  /** `Any`: whatever JSON value was sent (still required unless given a default). */
  any: () => field<unknown>((v) => ok(v)),

  /** A nested pydantic model: an object whose unknown keys are dropped. */
  model: <S extends z.ZodRawShape>(shape: S) => {
    const inner = z.object(shape).strip();
    return z.unknown().transform((input, ctx): z.output<typeof inner> => {
      if (!present(input, ctx)) return z.NEVER;
      if (!isPlainObject(input)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'Input should be a valid dictionary or object to extract fields from' });
        return z.NEVER;
      }
      const r = inner.safeParse(input);
      if (r.success) return r.data;
      for (const issue of r.error.issues) ctx.addIssue({ code: z.ZodIssueCode.custom, message: issue.message, path: issue.path });
      return z.NEVER;
    });
  },
};
