// Hostile values for the route fuzz test: a seeded PRNG, pools of wrong types, huge numbers,
// odd strings (unicode, NUL, injection, traversal), deep nesting, and JSON text with raw tokens.

export type Random = () => number;
export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];

/** A JSON token written as is (numbers JSON.stringify cannot produce, such as 1e309). */
export class RawJson {
  constructor(readonly text: string) {}
}

export function nested(depth: number, kind: 'object' | 'array'): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = kind === 'object' ? { a: value } : [value];
  return value;
}

/** Deep nesting as JSON text (building it as a value would overflow this process's stack). */
export function deepJson(depth: number, kind: 'object' | 'array'): string {
  return kind === 'object'
    ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
    : `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

export const WRONG_TYPES: readonly unknown[] = [
  'text',
  '',
  0,
  1,
  -1,
  true,
  false,
  null,
  [],
  {},
  [1, 'two', null],
  { a: 1 },
  [[[]]],
];

export const HUGE_NUMBERS: readonly unknown[] = [
  1e308,
  -1e308,
  2 ** 63,
  -(2 ** 63),
  2 ** 53 + 2,
  4_294_967_296,
  2_147_483_648,
  -2_147_483_649,
  1e18,
  1e-320,
  -0,
  0.1,
  1.5,
  -1.5,
  new RawJson('1e309'),
  new RawJson('-1e309'),
  new RawJson('123456789012345678901234567890'),
  new RawJson('1E+2'),
];

export const NUMERIC_STRINGS: readonly unknown[] = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e308',
  '0x10',
  ' 1 ',
  '-1',
  '1e3',
  '00001',
  '١٢٣',
  '1,000',
];

export const ODD_STRINGS: readonly unknown[] = [
  'a'.repeat(25),
  'a'.repeat(256),
  'b'.repeat(1025),
  '😀🎉👩‍👩‍👧‍👦',
  '\u202Eevil\u202C',
  'مرحبا بالعالم',
  'e\u0301\u0301\u0301\u0301',
  '\u200B\u200C\u200D\uFEFF',
  '\ud800',
  'x\udfffy',
  'a\u0000b',
  '\u0000',
  '\u0001\u001f\u007f',
  'line\r\nbreak\n',
  '   ',
  "' OR 1=1 --",
  '"; DROP TABLE auth; --',
  "1' AND SLEEP(5) #",
  '%',
  '_',
  '\\',
  '`auth`',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as is
  '${7*7}{{7*7}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  '../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f',
  '..\\..\\windows\\win.ini',
  '/etc/passwd\u0000.png',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'http://',
  'https://a',
];

/** Long strings: beyond VARCHAR(255), beyond TEXT in characters and in UTF-8 bytes. */
export const LONG_STRINGS: readonly unknown[] = [
  'L'.repeat(70_000),
  '€'.repeat(22_000),
  '😀'.repeat(17_000),
  '\u0000'.repeat(11_000),
];

/** Only a few requests get these (they cost a few hundred kB each). */
export const HEAVY_STRINGS: readonly unknown[] = ['H'.repeat(300_000), '字'.repeat(300_000)];

export const NESTED: readonly unknown[] = [
  nested(100, 'object'),
  nested(100, 'array'),
  new RawJson(deepJson(3000, 'array')),
  new RawJson(deepJson(3000, 'object')),
  JSON.parse('{"__proto__":{"is_admin":true}}'),
  { constructor: { prototype: { admin: true } } },
  Array.from({ length: 5000 }, (_, i) => i),
  Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])),
];

/** Every value the fuzzer puts in a field, heavy strings aside. */
export const FIELD_VALUES: readonly unknown[] = [
  ...WRONG_TYPES,
  ...HUGE_NUMBERS,
  ...NUMERIC_STRINGS,
  ...ODD_STRINGS,
  ...LONG_STRINGS,
  ...NESTED,
];

/** Whole bodies that are not the object a route expects, as JSON text or raw bytes. */
export const ODD_BODIES: readonly (string | Buffer)[] = [
  '[]',
  '[{}]',
  '"just a string"',
  '42',
  'null',
  'true',
  '{',
  '{"a":}',
  '{"a":1,}',
  "{'a':1}",
  '',
  '   ',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  deepJson(5000, 'array'),
  deepJson(5000, 'object'),
  `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]),
  Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
];

/** JSON text of `value`, writing RawJson tokens as they are. */
export function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, item) => {
    if (item instanceof RawJson) {
      raws.push(item.text);
      return `\u0001raw${raws.length - 1}\u0001`;
    }
    return item;
  });
  if (text === undefined) return 'null';
  return text.replace(/"\\u0001raw(\d+)\\u0001"/g, (_match, index: string) => raws[Number(index)]);
}

/** A short, readable description of a value for failure reports. */
export function summarize(value: unknown): string {
  if (value instanceof RawJson)
    return value.text.length > 40
      ? `raw ${value.text.slice(0, 20)}… (${value.text.length} chars)`
      : `raw ${value.text}`;
  if (typeof value === 'string') {
    const shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 20)}…` : value);
    return value.length > 40 ? `${shown} (${value.length} chars)` : shown;
  }
  if (Buffer.isBuffer(value)) return `bytes ${value.toString('hex').slice(0, 40)}`;
  const text = toJsonText(value);
  return text.length > 60 ? `${text.slice(0, 40)}… (${text.length} chars JSON)` : text;
}
