// `--peer=portkey`: installs @portkey-ai/gateway at a pinned version into a cache folder outside the repo
// (skipped when already there), starts it headless on a free port and builds the load target that
// routes it to the mock with the same control path (chunks, delay) as the direct target.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { LoadTarget } from './driver.js';
import { type BenchEnvironment, benchHost, getStatus, mockSecret, waitFor } from './environment.js';
import { freePort, spawnNodeChild } from './processes.js';

export const portkeyVersion = '1.15.2';
/** Newer @hono/node-server releases break Portkey's streamed responses. */
export const honoNodeServerVersion = '1.13.5';

const runFile = promisify(execFile);

/** `$CHATNIO_BENCH_CACHE/portkey`, default `~/.cache/chatnio-bench/portkey`. */
export function portkeyFolder(): string {
  const root = process.env.CHATNIO_BENCH_CACHE || join(homedir(), '.cache', 'chatnio-bench');
  return resolve(root, 'portkey');
}

function installedVersion(folder: string, name: string): string | null {
  try {
    const text = readFileSync(join(folder, 'node_modules', name, 'package.json'), 'utf8');
    return String((JSON.parse(text) as { version?: unknown }).version ?? '');
  } catch {
    return null;
  }
}

/** Installs the pinned Portkey (npm registry) unless that version and the override are in place. */
export async function ensurePortkey(repositoryRoot: string, log: (line: string) => void): Promise<string> {
  const folder = portkeyFolder();
  const inside = relative(repositoryRoot, folder);
  if (!inside.startsWith('..') && !inside.startsWith('/'))
    throw new Error(`the peer cache ${folder} is inside the repository; set CHATNIO_BENCH_CACHE elsewhere`);
  const gateway = installedVersion(folder, '@portkey-ai/gateway');
  const server = installedVersion(folder, '@hono/node-server');
  if (gateway === portkeyVersion && server === honoNodeServerVersion) {
    log(`peer: @portkey-ai/gateway@${portkeyVersion} already installed in ${folder}`);
    return folder;
  }
  log(`peer: installing @portkey-ai/gateway@${portkeyVersion} into ${folder} (found ${gateway ?? 'none'})`);
  mkdirSync(folder, { recursive: true });
  const manifest = {
    name: 'portkey-peer',
    private: true,
    dependencies: { '@portkey-ai/gateway': portkeyVersion },
    overrides: { '@hono/node-server': honoNodeServerVersion },
  };
  writeFileSync(join(folder, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await runFile('npm', ['install', '--no-audit', '--no-fund'], { cwd: folder, timeout: 600_000 });
  if (installedVersion(folder, '@portkey-ai/gateway') !== portkeyVersion)
    throw new Error(`npm install in ${folder} did not install @portkey-ai/gateway@${portkeyVersion}`);
  return folder;
}

/** Starts Portkey headless on a free port and waits until it answers `GET /`. */
export async function startPortkey(
  folder: string,
  logPath: string,
  environment: BenchEnvironment,
): Promise<void> {
  environment.peerPort = await freePort();
  environment.peer = spawnNodeChild({
    name: 'peer',
    entry: join(folder, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js'),
    args: [`--port=${environment.peerPort}`, '--headless'],
    tsx: false,
    cwd: folder,
    logPath,
    environment: {},
  });
  const origin = `http://${benchHost}:${environment.peerPort}`;
  await waitFor('the peer gateway', 60_000, async () => (await getStatus(`${origin}/`)) === 200, [
    environment.peer,
  ]);
}

/** Portkey's OpenAI provider with a custom host: the mock, with the current control path. */
export function peerTarget(environment: BenchEnvironment): LoadTarget {
  return {
    name: 'peer',
    origin: `http://${benchHost}:${environment.peerPort}`,
    path: '/v1/chat/completions',
    headers: {
      'content-type': 'application/json',
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `http://${benchHost}:${environment.mockPort}${environment.mockControlPath}/v1`,
      authorization: `Bearer ${mockSecret}`,
    },
  };
}
