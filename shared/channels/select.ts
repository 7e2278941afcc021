// Candidate ordering (DESIGN.md section 3): priority descending; inside one priority a
// weighted-random order without replacement. Randomness is injected so tests can seed it.

export interface Weighted {
  priority: number;
  weight: number;
}

export type RandomSource = () => number;

/** Orders one tier: repeatedly draws by weight among the channels not yet drawn. */
export function weightedShuffle<T extends Weighted>(items: T[], random: RandomSource): T[] {
  const pool = [...items];
  const ordered: T[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((sum, item) => sum + Math.max(item.weight, 1), 0);
    let point = random() * total;
    let index = 0;
    for (; index < pool.length - 1; index++) {
      point -= Math.max(pool[index].weight, 1);
      if (point < 0) break;
    }
    ordered.push(pool[index]);
    pool.splice(index, 1);
  }
  return ordered;
}

export function orderCandidates<T extends Weighted>(items: T[], random: RandomSource = Math.random): T[] {
  const tiers = new Map<number, T[]>();
  for (const item of items) {
    const tier = tiers.get(item.priority);
    if (tier) tier.push(item);
    else tiers.set(item.priority, [item]);
  }
  return [...tiers.keys()]
    .sort((a, b) => b - a)
    .flatMap((priority) => weightedShuffle(tiers.get(priority)!, random));
}

/** Mulberry32: a tiny seeded PRNG for reproducible orderings in tests and benchmarks. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random secret line (multi-part secrets joined with `|` stay one line). */
export function pickSecret(secret: string, random: RandomSource = Math.random): string {
  const lines = secret
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  if (lines.length === 0) return '';
  return lines[Math.floor(random() * lines.length)];
}
