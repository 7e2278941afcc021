import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { parseConfig } from '../shared/config.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const DOCKERFILE = join(ROOT, 'ops', 'Dockerfile');
const REDIS_CONF = join(ROOT, 'ops', 'redis.conf');
const DOCKERIGNORE = join(ROOT, '.dockerignore');

/** Environment variables the app documents; the only names the compose file may interpolate or set. */
const DOCUMENTED_ENV = new Set([
  'MYSQL_HOST',
  'MYSQL_PORT',
  'MYSQL_USER',
  'MYSQL_PASSWORD',
  'MYSQL_DB',
  'REDIS_HOST',
  'REDIS_PORT',
  'REDIS_PASSWORD',
  'REDIS_DB',
  'SECRET',
  'SERVER_PORT',
  'ROOT_PASSWORD',
  'WORKER_CONCURRENCY',
  'LOG_LEVEL',
]);

const APP_SERVICES = ['migrate', 'api', 'workers'] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Dict = Record<string, Json>;
type Service = Dict & {
  image?: string;
  build?: string | Dict;
  command?: string | string[];
  environment?: Dict | string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  ports?: Json[];
  volumes?: Json[];
  deploy?: Dict;
  healthcheck?: Dict;
};
type ComposeDoc = Dict & { services: Record<string, Service>; volumes?: Dict };

/** Parses a compose file the way Compose reads YAML: anchors, aliases and `<<` merge keys resolved. */
function parseCompose(source: string): ComposeDoc {
  return parse(source, { merge: true, maxAliasCount: -1 }) as ComposeDoc;
}

/**
 * The official Compose Specification schema (compose-spec/compose-spec `schema/compose-spec.json`),
 * as shipped verbatim in the `dclint` package (`schemas/compose.schema.json`). The package's
 * `exports` map does not expose that file, so it is located next to the resolved package.json.
 */
function loadComposeSchema(): Dict {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('dclint/package.json'));
  return JSON.parse(readFileSync(join(pkgDir, 'schemas', 'compose.schema.json'), 'utf8')) as Dict;
}

/**
 * Compiles the schema with Ajv. It is a draft-07 schema (Ajv's default class), but it names its
 * meta-schema with an `https://` URL while Ajv registers draft-07 as `http://json-schema.org/...`:
 * point it at the registered one so the schema itself is still validated against draft-07.
 * (Left as is, Ajv throws `no schema with key or ref "https://json-schema.org/draft-07/schema"`.)
 * `allowUnionTypes` and `strict: false` only silence Ajv's strict-mode warnings about how the schema
 * is written (`type: [..]` unions, `additionalProperties` without `type: object`); validation itself
 * is unchanged. The schema uses no `format` keywords, so no format plugin is needed.
 */
function compileComposeSchema(schema: Dict): ValidateFunction {
  const copy = structuredClone(schema);
  if (
    typeof copy.$schema === 'string' &&
    /^https:\/\/json-schema\.org\/draft-07\/schema#?$/.test(copy.$schema)
  ) {
    copy.$schema = 'http://json-schema.org/draft-07/schema#';
  }
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  return ajv.compile(copy);
}

/** Every `${VAR...}` / `$VAR` interpolation in the parsed document (keys and values); `$$` is a literal `$`. */
function interpolatedNames(node: Json): Set<string> {
  const names = new Set<string>();
  const scan = (text: string) => {
    const unescaped = text.replaceAll('$$', '');
    for (const match of unescaped.matchAll(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))/g)) {
      names.add(match[1] ?? match[2]);
    }
  };
  const walk = (value: Json) => {
    if (typeof value === 'string') scan(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        scan(key);
        walk(child);
      }
    }
  };
  walk(node);
  return names;
}

/** Redis config directives (`key value...` lines, comments dropped); repeated keys keep every value. */
function parseRedisConf(source: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [key, ...rest] = line.split(/\s+/);
    const values = directives.get(key.toLowerCase()) ?? [];
    values.push(rest.join(' '));
    directives.set(key.toLowerCase(), values);
  }
  return directives;
}

/** Dockerfile instructions with `\` line continuations joined and comments dropped. */
function parseDockerfile(source: string): { instruction: string; args: string }[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  if (current.trim() !== '') logical.push(current);
  return logical.map((line) => {
    const [instruction, ...rest] = line.trim().split(/\s+/);
    return { instruction: instruction.toUpperCase(), args: rest.join(' ') };
  });
}

/** Compose durations as used here (`30s`, `1m30s`, `500ms`) in seconds. */
function durationSeconds(value: Json | undefined): number {
  const text = String(value ?? '');
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6 };
  let total = 0;
  let matched = '';
  for (const [part, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g)) {
    total += Number(amount) * units[unit];
    matched += part;
  }
  assert.equal(matched, text, `unsupported duration ${JSON.stringify(value)}`);
  return total;
}

function envOf(service: Service): Dict {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(
    env.map((entry) => {
      const eq = entry.indexOf('=');
      return eq === -1 ? [entry, null] : [entry.slice(0, eq), entry.slice(eq + 1)];
    }),
  );
}

function commandOf(service: Service): string[] {
  const { command } = service;
  if (command === undefined) return [];
  return Array.isArray(command) ? command : command.split(/\s+/);
}

function conditionOf(service: Service, dependency: string): string | undefined {
  const deps = service.depends_on;
  if (deps === undefined) return undefined;
  if (Array.isArray(deps)) return deps.includes(dependency) ? 'service_started' : undefined;
  return deps[dependency]?.condition;
}

function formatErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)
    .join('\n');
}

describe('docker-compose.yml', () => {
  const source = readFileSync(COMPOSE_FILE, 'utf8');
  const doc = parseCompose(source);
  const schema = loadComposeSchema();
  const validate = compileComposeSchema(schema);
  const { services } = doc;

  describe('Compose Specification schema', () => {
    it('is the official, complete schema', () => {
      assert.equal(schema.title, 'Compose Specification');
      assert.equal(schema.$id, 'compose_spec.json');
      const definitions = schema.definitions as Dict;
      for (const name of [
        'service',
        'deployment',
        'healthcheck',
        'network',
        'volume',
        'secret',
        'list_or_dict',
      ]) {
        assert.ok(definitions[name], `schema has no definitions.${name}`);
      }
      const serviceKeys = Object.keys((definitions.service as Dict).properties as Dict);
      assert.ok(
        serviceKeys.length >= 80,
        `schema looks like a hand-made subset (${serviceKeys.length} service keys)`,
      );
    });

    it('validates the compose file', () => {
      const ok = validate(doc);
      assert.ok(
        ok,
        `docker-compose.yml is not valid against the Compose Specification:\n${formatErrors(validate.errors)}`,
      );
    });

    it('uses no obsolete top-level `version:` key', () => {
      assert.equal(doc.version, undefined);
    });

    it('rejects an unknown key in a service', () => {
      const mutated = structuredClone(doc);
      (mutated.services.api as Dict).imagee = 'typo:latest';
      assert.equal(validate(mutated), false);
      assert.ok(
        validate.errors?.some(
          (e) =>
            e.instancePath === '/services/api' &&
            e.keyword === 'additionalProperties' &&
            e.params.additionalProperty === 'imagee',
        ),
        formatErrors(validate.errors),
      );
    });

    it('rejects an unknown depends_on condition', () => {
      const mutated = structuredClone(doc);
      const deps = mutated.services.workers.depends_on as Record<string, { condition: string }>;
      deps.redis.condition = 'service_ready';
      assert.equal(validate(mutated), false);
      assert.ok(
        validate.errors?.some((e) => e.instancePath === '/services/workers/depends_on/redis/condition'),
        formatErrors(validate.errors),
      );
    });

    it('rejects an unknown top-level key and a wrongly typed field', () => {
      const topLevel = structuredClone(doc) as Dict;
      topLevel.servicez = {};
      assert.equal(validate(topLevel), false);

      const wrongType = structuredClone(doc);
      wrongType.services.redis.volumes = 'redis-data:/data' as unknown as Json[];
      assert.equal(validate(wrongType), false);
    });
  });

  it('defines the mysql, redis, migrate, api and workers services', () => {
    for (const name of ['mysql', 'redis', 'migrate', 'api', 'workers']) {
      assert.ok(services[name], `service ${name} is missing`);
    }
  });

  it('runs api, workers and migrate from the same image built from ops/Dockerfile', () => {
    const images = new Set(APP_SERVICES.map((name) => services[name].image));
    assert.equal(images.size, 1, `app services use different images: ${[...images].join(', ')}`);
    const [image] = images;
    assert.ok(image, 'app services have no image name');
    for (const name of APP_SERVICES) {
      const { build } = services[name];
      assert.ok(build && typeof build === 'object', `${name} has no build section`);
      assert.equal(resolve(ROOT, String(build.context)), ROOT, `${name} build context is not the repo root`);
      assert.equal(build.dockerfile, 'ops/Dockerfile');
    }
    assert.ok(existsSync(DOCKERFILE));
  });

  it('starts each app service with the same command as its npm script', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const expected: Record<(typeof APP_SERVICES)[number], string> = {
      migrate: 'migrate',
      api: 'start:api',
      workers: 'start:workers',
    };
    for (const name of APP_SERVICES) {
      assert.deepEqual(commandOf(services[name]), pkg.scripts[expected[name]].split(/\s+/), name);
    }
  });

  it('runs redis with ops/redis.conf mounted read-only and a data volume', () => {
    const redis = services.redis;
    assert.match(String(redis.image), /^redis:7/);
    const command = commandOf(redis);
    assert.equal(command[0], 'redis-server');
    const confPath = command[1];
    assert.ok(confPath?.endsWith('.conf'), 'redis-server is not started with a config file');
    const mounts = (redis.volumes ?? []).map(String);
    const confMount = mounts.find((m) => m.split(':')[1] === confPath);
    assert.ok(confMount, `nothing is mounted at ${confPath}`);
    const [hostPath, , mode] = confMount.split(':');
    assert.equal(resolve(ROOT, hostPath), REDIS_CONF);
    assert.equal(mode, 'ro');
    assert.ok(mounts.includes('redis-data:/data'));
  });

  it('persists mysql and redis in named volumes', () => {
    assert.ok(doc.volumes && 'mysql-data' in doc.volumes && 'redis-data' in doc.volumes);
    assert.ok((services.mysql.volumes ?? []).map(String).includes('mysql-data:/var/lib/mysql'));
    assert.match(String(services.mysql.image), /^mysql:8\.4/);
  });

  it('gives mysql and redis healthchecks', () => {
    assert.match(JSON.stringify(services.mysql.healthcheck?.test), /mysqladmin.*ping/);
    assert.match(JSON.stringify(services.redis.healthcheck?.test), /redis-cli.*ping/);
  });

  it('publishes the api on 8094 and checks /ready', () => {
    const ports = (services.api.ports ?? []).map(String);
    assert.ok(ports.includes('8094:8094'), `api ports: ${ports.join(', ')}`);
    assert.match(JSON.stringify(services.api.healthcheck?.test), /\/ready/);
    assert.equal(String(envOf(services.api).SERVER_PORT), '8094');
  });

  it('starts api and workers only after mysql and redis are healthy and migrate succeeded', () => {
    for (const name of ['api', 'workers']) {
      assert.equal(conditionOf(services[name], 'mysql'), 'service_healthy', `${name} -> mysql`);
      assert.equal(conditionOf(services[name], 'redis'), 'service_healthy', `${name} -> redis`);
      assert.equal(
        conditionOf(services[name], 'migrate'),
        'service_completed_successfully',
        `${name} -> migrate`,
      );
    }
    assert.equal(conditionOf(services.migrate, 'mysql'), 'service_healthy');
    assert.equal(services.migrate.restart, 'no');
  });

  it('runs 2 worker replicas', () => {
    assert.equal(services.workers.deploy?.replicas, 2);
    assert.equal(services.workers.ports, undefined);
  });

  it('gives api and workers longer to stop than the app takes to drain (SHUTDOWN_GRACE)', () => {
    const appGrace = parseConfig({}).SHUTDOWN_GRACE;
    for (const name of ['api', 'workers']) {
      const grace = durationSeconds(services[name].stop_grace_period);
      assert.ok(grace >= 30, `${name} stop_grace_period ${grace}s < 30s`);
      assert.ok(grace > appGrace, `${name} stop_grace_period ${grace}s <= SHUTDOWN_GRACE ${appGrace}s`);
    }
  });

  it('points the app at the mysql and redis services', () => {
    for (const name of APP_SERVICES) {
      const env = envOf(services[name]);
      assert.equal(env.MYSQL_HOST, 'mysql', name);
      assert.equal(env.REDIS_HOST, 'redis', name);
      assert.ok('SECRET' in env, `${name} gets no SECRET`);
      for (const key of Object.keys(env)) {
        assert.ok(DOCUMENTED_ENV.has(key), `${name} sets undocumented variable ${key}`);
      }
    }
  });

  it('documents only variables the app really reads (shared/config.ts)', () => {
    const known = new Set(Object.keys(parseConfig({})));
    for (const name of DOCUMENTED_ENV) {
      assert.ok(known.has(name), `${name} is not read by shared/config.ts`);
    }
  });

  it('interpolates only documented variables, and SECRET without a default', () => {
    const names = interpolatedNames(doc);
    assert.ok(names.has('SECRET') && names.has('MYSQL_PASSWORD'), `found: ${[...names].join(', ')}`);
    for (const name of names) {
      assert.ok(DOCUMENTED_ENV.has(name), `docker-compose.yml interpolates undocumented variable ${name}`);
    }
    assert.doesNotMatch(source, /\$\{SECRET:?-/, 'SECRET must not have a default value');
    assert.match(source, /\$\{SECRET:?\?/, 'SECRET must be required');
  });

  it('detects interpolations in keys and values and ignores $$ escapes', () => {
    const $ = '$';
    const found = interpolatedNames({
      a: [`x ${$}{FOO:-1}`, `${$}BAR`, `${$}${$}{NOT_ME}`, `${$}${$}ALSO_NOT`],
      [`${$}{KEY}`]: null,
    });
    assert.deepEqual([...found].sort(), ['BAR', 'FOO', 'KEY']);
  });
});

describe('ops/redis.conf', () => {
  const conf = parseRedisConf(readFileSync(REDIS_CONF, 'utf8'));
  const one = (key: string) => {
    const values = conf.get(key);
    assert.ok(values, `${key} is not set`);
    return values[values.length - 1];
  };

  it('persists with an fsync-per-second append-only file', () => {
    assert.equal(one('appendonly'), 'yes');
    assert.equal(one('appendfsync'), 'everysec');
    assert.equal(one('dir'), '/data');
  });

  it('never evicts keys (BullMQ requirement)', () => {
    assert.equal(one('maxmemory-policy'), 'noeviction');
  });

  it('accepts connections from the compose network', () => {
    assert.ok(one('bind').split(/\s+/).includes('0.0.0.0'));
    assert.equal(one('protected-mode'), 'no');
  });
});

describe('ops/Dockerfile', () => {
  const instructions = parseDockerfile(readFileSync(DOCKERFILE, 'utf8'));
  const all = (name: string) => instructions.filter((i) => i.instruction === name);

  it('is a multi-stage build on node:20', () => {
    const froms = all('FROM');
    assert.ok(froms.length >= 2, 'expected a builder and a runtime stage');
    for (const from of froms) {
      assert.match(from.args, /^node:20-bookworm-slim(\s|$)/, `FROM ${from.args}`);
    }
  });

  it('installs production dependencies only', () => {
    assert.ok(all('RUN').some((r) => /\bnpm ci\b.*--omit=dev/.test(r.args)));
  });

  it('runs as a non-root user', () => {
    const users = all('USER');
    assert.ok(users.length > 0, 'no USER instruction');
    const last = users[users.length - 1].args.split(':')[0];
    assert.notEqual(last, 'root');
    assert.notEqual(last, '0');
    // The final stage must switch user after its FROM.
    const lastFrom = instructions.lastIndexOf(all('FROM').at(-1)!);
    const lastUser = instructions.lastIndexOf(users[users.length - 1]);
    assert.ok(lastUser > lastFrom, 'USER is not set in the final stage');
  });

  it('exposes 8094 and checks /health', () => {
    assert.ok(all('EXPOSE').some((e) => e.args.split(/\s+/).includes('8094')));
    const healthchecks = all('HEALTHCHECK');
    assert.equal(healthchecks.length, 1);
    assert.match(healthchecks[0].args, /\/health\b/);
  });

  it('starts node directly in exec form', () => {
    const cmds = all('CMD');
    assert.equal(cmds.length, 1);
    assert.deepEqual(JSON.parse(cmds[0].args), ['node', '--import', 'tsx', 'ops/start.ts']);
  });

  it('copies every source directory the app needs', () => {
    const copied = all('COPY').map((c) => c.args);
    for (const dir of ['api', 'workers', 'shared', 'migrations', 'ops']) {
      assert.ok(
        copied.some((args) => args.split(/\s+/).includes(dir)),
        `${dir}/ is not copied into the image`,
      );
    }
  });
});

describe('.dockerignore', () => {
  const patterns = readFileSync(DOCKERIGNORE, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('keeps node_modules, .git and tests out of the build context', () => {
    for (const pattern of ['node_modules', '.git', 'test', '.env']) {
      assert.ok(patterns.includes(pattern), `${pattern} is not ignored`);
    }
  });

  it('does not ignore the sources the image copies', () => {
    for (const needed of [
      'api',
      'workers',
      'shared',
      'migrations',
      'ops',
      'package.json',
      'package-lock.json',
      'tsconfig.json',
    ]) {
      assert.ok(!patterns.includes(needed) && !patterns.includes(`${needed}/`), `${needed} is ignored`);
    }
  });
});
