// The seeded cases of the route fuzz test, built from a route's valid base input: fields
// replaced by hostile values (each field in turn), odd whole bodies, odd query strings, odd
// path parameters, wrong methods and odd credentials.
import { baseInput, COMMON_FIELDS, type FuzzState, type Input } from './fuzz-base-inputs.js';
import {
  FIELD_VALUES,
  HEAVY_STRINGS,
  HUGE_NUMBERS,
  LONG_STRINGS,
  NESTED,
  NUMERIC_STRINGS,
  ODD_BODIES,
  ODD_STRINGS,
  pick,
  type Random,
  summarize as show,
  toJsonText,
  WRONG_TYPES,
} from './fuzz-values.js';

export interface FuzzCase {
  label: string;
  /** Path with the query string, as sent (no normalisation). */
  target: string;
  body?: string | Buffer;
  contentType?: string;
  /** Another method than the route's (it must answer a JSON 405, never a bare one). */
  method?: string;
  /** Another Authorization header than the caller's own (anonymous callers only). */
  authorization?: string;
}

export type Caller = 'anonymous' | 'user' | 'root';

/** Every path into `value` (objects and arrays), shortest first, capped. */
export function fieldPaths(
  value: unknown,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
) {
  if (out.length > 60 || typeof value !== 'object' || value === null) return out;
  for (const [key, item] of Object.entries(value)) {
    const path = [...prefix, Array.isArray(value) ? Number(key) : key];
    out.push(path);
    fieldPaths(item, path, out);
  }
  return out;
}

function valueAt(target: unknown, path: (string | number)[]): unknown {
  let node = target as Record<string | number, unknown> | undefined;
  for (const key of path) node = node?.[key] as Record<string | number, unknown> | undefined;
  return node;
}

function setPath(target: Input, path: (string | number)[], value: unknown): void {
  let node = target as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string | number, unknown>;
  }
  node[path[path.length - 1]] = value;
}

const asQueryText = (value: unknown): string => (typeof value === 'string' ? value : toJsonText(value));

/** Percent-encoding that also writes lone surrogates (as the invalid UTF-8 bytes of their code unit). */
function encode(text: string): string {
  let out = '';
  for (const char of text) {
    const unit = char.charCodeAt(0);
    if (char.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      const bytes = [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 63), 0x80 | (unit & 63)];
      out += bytes.map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(char);
    // Node refuses request heads over 16 kB (431 without a body): keep URLs well below that.
    if (out.length > 2000) break;
  }
  return out;
}

function queryString(query: Input, random: Random): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value) && random() < 0.5) {
      for (const item of value.slice(0, 3)) parts.push(`${key}=${encode(asQueryText(item))}`);
    } else parts.push(`${key}=${encode(asQueryText(value))}`);
  }
  return parts.length ? `?${parts.join('&').slice(0, 10_000)}` : '';
}

const RAW_QUERIES = [
  '?page=%zz',
  '?page[]=1&page[]=2',
  '?id=1&id=2',
  '?code=%00',
  '?=',
  '?&&&',
  '?a[b][c]=1',
];

export const PATH_PARAMS = [
  '0',
  '-1',
  '1e3',
  '1.5',
  '99999999999999999999',
  '4294967296',
  'abc',
  '%20',
  '%00',
  '%2e%2e',
  '..%2F..%2Fetc%2Fpasswd',
  '%F0%9F%98%80',
  '%ED%A0%80',
  "'%20OR%201=1%20--",
  'x'.repeat(3000),
  '%E2%80%AE',
  'null',
];

export interface CaseOptions {
  method: string;
  path: string;
  caller: Caller;
  count: number;
  heavy: boolean;
  random: Random;
  state: FuzzState;
  /** The valid `:param` value (a real id) for routes with one. */
  validParam: string;
}

function fieldsOf(base: Input): (string | number)[][] {
  const known = fieldPaths(base);
  const extra = COMMON_FIELDS.filter((name) => !(name in base)).map((name) => [name]);
  return [...known, ...extra];
}

const validPath = (options: CaseOptions) => options.path.replace(/:[A-Za-z_]+/g, options.validParam);

/** The route's path with its parameters replaced: a real id in most cases, a hostile one in some. */
function targetPath(options: CaseOptions, index: number): { target: string; where: string } {
  if (!options.path.includes(':') || index % 3 !== 2) return { target: validPath(options), where: '' };
  const param = pick(options.random, PATH_PARAMS);
  const name = options.path.match(/:\w+/)?.[0];
  return { target: options.path.replace(/:[A-Za-z_]+/g, param), where: ` [${name}=${show(param)}]` };
}

/** Never lock the test out: root's password and ban state are not fuzz targets. */
function spareRoot(body: unknown, options: CaseOptions): unknown {
  if (!/^\/admin\/user\/(password|ban)$/.test(options.path)) return body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const record = body as Input;
  if (Number(record.id) === options.state.rootId) record.id = options.state.userId;
  return body;
}

/**
 * The value kinds tried on each field in turn, the ones columns refuse first: over 65535 UTF-8
 * bytes in fewer characters, beyond DECIMAL and INT, beyond TEXT in characters, then the rest.
 */
const ROUNDS: readonly (readonly unknown[])[] = [
  ['😀'.repeat(17_000)],
  [1e308],
  ['L'.repeat(70_000), '\u0000'.repeat(11_000), '€'.repeat(22_000)],
  HUGE_NUMBERS,
  WRONG_TYPES,
  ODD_STRINGS,
  NESTED,
  NUMERIC_STRINGS,
  LONG_STRINGS,
];

/** Case `index`: every field in turn gets a value of this round's kind; later rounds add random extras. */
function mutated(base: Input, options: CaseOptions, index: number): { input: Input; label: string } {
  const { random } = options;
  const fields = fieldsOf(base);
  const input = structuredClone(base);
  // Streaming and collected answers alike: every other case asks for a stream.
  if ('stream' in input && index % 2 === 1) input.stream = true;
  const round = Math.floor(index / fields.length);
  const changes = [
    { field: fields[index % fields.length], value: pick(random, ROUNDS[round % ROUNDS.length]) },
  ];
  const extras = round >= 2 ? Math.floor(random() * 3) : 0;
  for (let i = 0; i < extras; i++)
    changes.push({ field: pick(random, fields), value: pick(random, FIELD_VALUES) });
  for (const { field, value } of changes) setPath(input, field, value);
  return { input, label: changes.map(({ field, value }) => `${field.join('.')}=${show(value)}`).join(', ') };
}

/** Case `index` of a GET route: a spoilt query string (or a malformed one). */
function queryCase(base: Input, options: CaseOptions, index: number, mutation: () => number): FuzzCase {
  const { target, where } = targetPath(options, index);
  if (index % 7 === 6) {
    const raw = pick(options.random, RAW_QUERIES);
    return { label: `query ${raw}${where}`, target: `${target}${raw}` };
  }
  const { input, label } =
    index === 0 ? { input: base, label: 'valid input' } : mutated(base, options, mutation());
  return { label: `query ${label}${where}`, target: `${target}${queryString(input, options.random)}` };
}

/** Case `index` of a route with a body: the valid one, an odd body, text/plain, or spoilt fields. */
function bodyCase(base: Input, options: CaseOptions, index: number, mutation: () => number): FuzzCase {
  const { target, where } = targetPath(options, index);
  if (index === 0) return { label: `valid body${where}`, target, body: toJsonText(base) };
  if (index % 6 === 5) {
    const body = pick(options.random, ODD_BODIES);
    return { label: `body ${show(body)}${where}`, target, body };
  }
  if (index % 11 === 10)
    return { label: `text/plain body${where}`, target, body: toJsonText(base), contentType: 'text/plain' };
  const { input, label } = mutated(base, options, mutation());
  return { label: `${label}${where}`, target, body: toJsonText(spareRoot(input, options)) };
}

/** A few hundred kB into the string fields the route reads (a prompt, a secret, a name). */
function heavyCases(base: Input, options: CaseOptions): FuzzCase[] {
  const strings = fieldPaths(base).filter((field) => typeof valueAt(base, field) === 'string');
  const fields = strings.length ? strings : fieldsOf(base);
  return HEAVY_STRINGS.map((value) => {
    const field = pick(options.random, fields);
    const input = structuredClone(base);
    setPath(input, field, value);
    const body = toJsonText(spareRoot(input, options));
    return { label: `${field.join('.')}=${show(value)}`, target: validPath(options), body };
  });
}

/** The seeded cases for one route, method and caller. */
export function buildCases(options: CaseOptions): FuzzCase[] {
  const { method, random } = options;
  const base = baseInput(method, options.path, options.state);
  let mutations = 0;
  const next = () => mutations++;
  const cases = Array.from({ length: options.count }, (_, index) =>
    method === 'GET' ? queryCase(base, options, index, next) : bodyCase(base, options, index, next),
  );
  if (options.heavy && method !== 'GET') cases.push(...heavyCases(base, options));
  const wrong = pick(
    random,
    WRONG_METHODS.filter((other) => other !== method),
  );
  cases.push({ label: `method ${wrong}`, target: validPath(options), method: wrong, body: '{}' });
  if (options.caller === 'anonymous')
    for (const one of cases) if (random() < 0.5) one.authorization = pick(random, ODD_CREDENTIALS);
  return cases;
}

const WRONG_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'PROPFIND'];

/** Authorization headers that are no credentials: bad keys, forged JWTs, other schemes. */
const ODD_CREDENTIALS = [
  'Bearer sk-invalid',
  `Bearer sk-${'a'.repeat(3000)}`,
  'Bearer sk-',
  'sk-%00',
  'Bearer eyJhbGciOiJub25lIn0.eyJpZCI6MSwidXNlcm5hbWUiOiJyb290In0.',
  'not.a.jwt',
  'Basic cm9vdDpyb290',
  `Bearer ${'x'.repeat(5000)}`,
  "Bearer ' OR 1=1 --",
];
