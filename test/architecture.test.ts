// The dependency direction as a rule (DESIGN.md sections 1 and 5b): api and workers meet only
// through Redis and MySQL, shared imports neither, providers know nothing of models or
// billing, and no module imports itself back through a cycle.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_ROOTS = ['api', 'workers', 'shared', 'migrations', 'ops'];

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory())
      return name === 'node_modules' || name === 'out' ? [] : sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/** Relative imports of a file, resolved to repository paths (`.js` specifiers name `.ts` files). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map(
    (match) => match[1],
  );
  return specifiers.map((specifier) =>
    relative(root, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts'),
  );
}

const graph = new Map<string, string[]>();
for (const top of SOURCE_ROOTS) {
  for (const file of sourceFiles(join(root, top))) graph.set(relative(root, file), importsOf(file));
}

const RULES: { from: RegExp; never: RegExp; why: string }[] = [
  { from: /^api\//, never: /^workers\//, why: 'api and workers meet only through Redis and MySQL' },
  { from: /^workers\//, never: /^api\//, why: 'api and workers meet only through Redis and MySQL' },
  { from: /^shared\//, never: /^(api|workers|ops|test)\//, why: 'shared is below api and workers' },
  {
    from: /^shared\/providers\//,
    never: /^shared\/(models|billing|channels)\//,
    why: 'providers only map wire formats',
  },
];

describe('architecture: the dependency direction', () => {
  it('finds the sources', () => {
    assert.ok(graph.size > 100, `${graph.size} files`);
  });

  for (const rule of RULES) {
    it(`${rule.from.source} never imports ${rule.never.source} (${rule.why})`, () => {
      const broken: string[] = [];
      for (const [file, imports] of graph) {
        if (!rule.from.test(file)) continue;
        for (const target of imports) if (rule.never.test(target)) broken.push(`${file} -> ${target}`);
      }
      assert.deepEqual(broken, []);
    });
  }

  it('has no import cycles among shared, api and workers', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const walk = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const target of graph.get(file) ?? []) if (graph.has(target)) walk(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (/^(shared|api|workers)\//.test(file)) walk(file, []);
    assert.deepEqual(cycles, []);
  });
});
