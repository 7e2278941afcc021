// Bench command-line flags (`npm run bench -- --duration=5 --peer=portkey --slow-streams=2000`),
// parsed into one validated options object; `--help` prints the list.

export type Topology = 'split' | 'single';
export type BenchMode = 'stream' | 'non-stream';
/** `on`: a paying non-admin user and a token-billing rule (the paid path); `off`: root's key, free. */
export type BillingPass = 'off' | 'on';
/** A stateless gateway measured next to ours (`--peer=portkey`). */
export type PeerName = 'portkey';

export interface BenchOptions {
  topology: Topology;
  /** Measured seconds per cell and target. */
  durationSeconds: number;
  /** Unmeasured seconds before each measured run. */
  warmupSeconds: number;
  /** Mock content chunks per reply; each count is its own set of cells. */
  chunks: number[];
  chunkDelayMs: number;
  concurrencies: number[];
  modes: BenchMode[];
  /** Billing passes in run order; each runs every chunks × mode × concurrency cell. */
  billing: BillingPass[];
  /** Concurrencies of the response-cache cells (every mode); empty skips them. */
  cacheConcurrencies: number[];
  /** Concurrent streams of each slow-stream cell (25 chunks 200 ms apart); empty skips them. */
  slowStreams: number[];
  /** Measured seconds of a slow-stream cell. */
  slowDurationSeconds: number;
  peer: PeerName | null;
  profile: boolean;
  workerConcurrency: number | null;
  /** Per-request timeout in milliseconds. */
  requestTimeoutMs: number;
  writeResults: boolean;
}

export const usage = `Usage: npm run bench -- [flags]
  --topology=split|single   split: api + workers processes (default); single: ops/start.ts
  --duration=SECONDS        measured seconds per cell and target (default 10)
  --warmup=SECONDS          unmeasured warm-up before each measured run (default 2)
  --chunks=20,200           mock content chunks per reply, one set of cells per count (default 20,200)
  --chunk-delay=MS          mock delay between chunks (default 0)
  --concurrency=1,50,200    virtual users per cell (default 1,50,200)
  --modes=stream,non-stream cells to run (default both)
  --billing=on|off|both     billing passes (default on: the paid path; both: off, then on)
  --cache-concurrency=1,50  concurrencies of the response-cache hit cells, run last (default 1,50)
  --no-cache                skip the response-cache cells
  --peer=portkey            also measure @portkey-ai/gateway (installed outside the repo) in every cell
  --slow-streams=2000[,5000] slow-stream cells: that many concurrent streams of 25 chunks 200 ms apart
  --slow-duration=SECONDS   measured seconds of a slow-stream cell (default 15)
  --worker-concurrency=N    WORKER_CONCURRENCY for the gateway (default: gateway default)
  --timeout=SECONDS         per-request connect/headers/body timeout (default 30)
  --profile                 CPU-profile the gateway processes and print the hottest functions
  --no-results              do not update ops/bench/RESULTS.md`;

function numberFlag(name: string, text: string, minimum: number, maximum: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < minimum || value > maximum) {
    throw new Error(
      `--${name} must be a number between ${minimum} and ${maximum}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/** A comma list of whole numbers, duplicates dropped, in the order given. */
function integerList(name: string, text: string, minimum: number, maximum: number): number[] {
  const values = text.split(',').map((part) => Math.floor(numberFlag(name, part, minimum, maximum)));
  return [...new Set(values)];
}

export function parseOptions(argv: string[]): BenchOptions | null {
  const options: BenchOptions = {
    topology: 'split',
    durationSeconds: 10,
    warmupSeconds: 2,
    chunks: [20, 200],
    chunkDelayMs: 0,
    concurrencies: [1, 50, 200],
    modes: ['stream', 'non-stream'],
    billing: ['on'],
    cacheConcurrencies: [1, 50],
    slowStreams: [],
    slowDurationSeconds: 15,
    peer: null,
    profile: false,
    workerConcurrency: null,
    requestTimeoutMs: 30_000,
    writeResults: true,
  };
  for (const argument of argv) {
    if (argument === '--help' || argument === '-h') return null;
    if (argument === '--profile') {
      options.profile = true;
      continue;
    }
    if (argument === '--no-cache') {
      options.cacheConcurrencies = [];
      continue;
    }
    if (argument === '--no-results') {
      options.writeResults = false;
      continue;
    }
    const match = /^--([a-z-]+)=(.*)$/.exec(argument);
    if (!match) throw new Error(`Unknown argument ${JSON.stringify(argument)}\n${usage}`);
    const [, name, value] = match;
    switch (name) {
      case 'topology':
        if (value !== 'split' && value !== 'single') throw new Error('--topology must be split or single');
        options.topology = value;
        break;
      case 'duration':
        options.durationSeconds = numberFlag(name, value, 0.5, 600);
        break;
      case 'warmup':
        options.warmupSeconds = numberFlag(name, value, 0, 60);
        break;
      case 'chunks':
        options.chunks = integerList(name, value, 1, 10_000);
        break;
      case 'chunk-delay':
        options.chunkDelayMs = numberFlag(name, value, 0, 10_000);
        break;
      case 'concurrency':
        options.concurrencies = integerList(name, value, 1, 5000);
        break;
      case 'modes': {
        const modes = value.split(',');
        for (const mode of modes) {
          if (mode !== 'stream' && mode !== 'non-stream')
            throw new Error('--modes takes stream and/or non-stream');
        }
        options.modes = [...new Set(modes)] as BenchMode[];
        break;
      }
      case 'billing':
        if (value !== 'off' && value !== 'on' && value !== 'both')
          throw new Error('--billing must be on, off or both');
        options.billing = value === 'both' ? ['off', 'on'] : [value];
        break;
      case 'cache-concurrency':
        options.cacheConcurrencies = integerList(name, value, 1, 5000);
        break;
      case 'peer':
        if (value !== 'portkey') throw new Error('--peer takes portkey');
        options.peer = value;
        break;
      case 'slow-streams':
        options.slowStreams = integerList(name, value, 1, 20_000);
        break;
      case 'slow-duration':
        options.slowDurationSeconds = numberFlag(name, value, 1, 600);
        break;
      case 'worker-concurrency':
        options.workerConcurrency = Math.floor(numberFlag(name, value, 1, 100_000));
        break;
      case 'timeout':
        options.requestTimeoutMs = numberFlag(name, value, 1, 600) * 1000;
        break;
      default:
        throw new Error(`Unknown flag --${name}\n${usage}`);
    }
  }
  return options;
}
