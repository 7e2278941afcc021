// A private Redis and a private MariaDB (the machine's own binaries, throwaway data and
// ports) for tests that kill and restart them: the shared services of the run stay up.
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './processes.js';

export interface PrivateService {
  port: number;
  /** The server's own log, when it keeps one. */
  log(): Promise<string>;
  /** SIGKILL: the crash, not a shutdown. */
  kill(): Promise<void>;
  /** Starts it again on the same port (and, for MariaDB, the same data). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

function run(command: string, args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('exit', (code) => resolve(code));
    child.on('error', () => resolve(-1));
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function service(port: number, launch: () => ChildProcess, ready: () => Promise<boolean>, name: string) {
  let child: ChildProcess | null = null;
  const exited = (process: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (process.exitCode !== null || process.signalCode !== null) resolve();
      else process.once('exit', () => resolve());
    });
  const self: PrivateService = {
    port,
    log: async () => '',
    async start() {
      child = launch();
      await waitFor(ready, name);
    },
    async kill() {
      if (!child) return;
      const dying = child;
      child = null;
      dying.kill('SIGKILL');
      await exited(dying);
    },
    async stop() {
      await self.kill();
    },
  };
  return self;
}

export async function startPrivateRedis(): Promise<PrivateService> {
  const port = await freePort();
  const redis = service(
    port,
    () =>
      spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      ),
    () => portOpen(port),
    'private redis',
  );
  await redis.start();
  return redis;
}

export async function startPrivateMariadb(): Promise<PrivateService> {
  const port = await freePort();
  const directory = await mkdtemp(join(tmpdir(), 'chatnio-mariadb-'));
  const data = join(directory, 'data');
  const installed = await run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${data}`,
    '--user=root',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ]);
  if (installed !== 0) throw new Error('mariadb-install-db failed');
  const mariadb = service(
    port,
    () =>
      spawn(
        '/usr/sbin/mariadbd',
        [
          '--no-defaults',
          `--datadir=${data}`,
          `--port=${port}`,
          '--bind-address=127.0.0.1',
          `--socket=${join(directory, 'sock')}`,
          `--pid-file=${join(directory, 'pid')}`,
          '--user=root',
          // A private throwaway server: no accounts to set up, any client is root.
          '--skip-grant-tables',
          '--skip-log-bin',
          '--innodb-buffer-pool-size=64M',
        ],
        { stdio: ['ignore', 'ignore', openSync(join(directory, 'log'), 'a')] },
      ),
    async () =>
      (await run('mysqladmin', ['--protocol=tcp', '-h127.0.0.1', `-P${port}`, '-uroot', 'ping'])) === 0,
    'private mariadb',
  );
  mariadb.log = () => readFile(join(directory, 'log'), 'utf8').catch(() => '');
  await mariadb.start();
  const stop = mariadb.stop;
  mariadb.stop = async () => {
    await stop();
    await rm(directory, { recursive: true, force: true });
  };
  return mariadb;
}
