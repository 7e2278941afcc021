// Every process's in-memory view of the channel table, rebuilt when an admin change is
// announced over Redis and periodically; routing never queries MySQL on the hot path.
import type { Knex } from 'knex';
import type { ChannelProxy } from '../models/channel.js';
import { type MapperRule, parseMapper, servedModels } from './mapper.js';
import { orderCandidates, type RandomSource } from './select.js';

export interface RoutableChannel {
  id: number;
  name: string;
  type: string;
  priority: number;
  weight: number;
  retry: number;
  secret: string;
  endpoint: string;
  enabled: boolean;
  rules: MapperRule[];
  served: Set<string>;
  /** Empty means every group may use it. */
  groups: Set<string>;
  proxy: ChannelProxy | null;
}

/** Why a model can or cannot be routed for a group. */
export type ModelAccess = 'ok' | 'unknown' | 'forbidden' | 'unavailable';

function parseList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string' && value.trim()) {
    try {
      const parsed: unknown = JSON.parse(value);
      return Array.isArray(parsed) ? parsed.map(String) : [];
    } catch {
      return [];
    }
  }
  return [];
}

export function toRoutable(row: Record<string, unknown>): RoutableChannel {
  const rules = parseMapper(String(row.mapper ?? ''));
  const proxy = typeof row.proxy === 'string' && row.proxy ? (JSON.parse(row.proxy) as ChannelProxy) : null;
  return {
    id: Number(row.id),
    name: String(row.name),
    type: String(row.type),
    priority: Number(row.priority),
    weight: Math.max(Number(row.weight), 1),
    retry: Math.max(Number(row.retry), 1),
    secret: String(row.secret),
    endpoint: String(row.endpoint),
    enabled: Boolean(row.state),
    rules,
    served: servedModels(parseList(row.models), rules),
    groups: new Set(parseList(row.group)),
    proxy: proxy?.proxy_type ? proxy : null,
  };
}

function allows(channel: RoutableChannel, group: string): boolean {
  return channel.groups.size === 0 || channel.groups.has(group);
}

/** Where the snapshot reads the shared change counter (a Redis key). */
export interface VersionSource {
  get(key: string): Promise<string | null>;
}

export class ChannelSnapshot {
  private channels: RoutableChannel[] = [];
  private loading: Promise<void> | null = null;
  loadedAt = 0;
  /** The channel change counter this snapshot reflects (at least). */
  version = 0;

  constructor(
    private readonly knex: Knex,
    private readonly versions?: { source: VersionSource; key: string },
  ) {}

  /** Reloads from MySQL; concurrent calls share one query. */
  reload(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /** Reloads first when the caller routed with a newer channel version than this one. */
  async ensureVersion(version: number): Promise<void> {
    if (version > this.version) await this.reload();
    if (version > this.version) await this.reload();
  }

  private async load(): Promise<void> {
    // Read the counter before the rows: a change racing this load bumps it past us.
    const version = this.versions ? Number((await this.versions.source.get(this.versions.key)) ?? 0) : 0;
    const rows = await this.knex('channel').select('*');
    this.channels = rows.map(toRoutable);
    this.version = version;
    this.loadedAt = Date.now();
  }

  /** For tests and tools: replace the snapshot directly. */
  set(channels: RoutableChannel[]): void {
    this.channels = channels;
  }

  access(model: string, group: string): ModelAccess {
    const serving = this.channels.filter((channel) => channel.served.has(model));
    if (serving.length === 0) return 'unknown';
    const allowed = serving.filter((channel) => allows(channel, group));
    if (allowed.length === 0) return 'forbidden';
    return allowed.some((channel) => channel.enabled) ? 'ok' : 'unavailable';
  }

  candidates(model: string, group: string, random?: RandomSource): RoutableChannel[] {
    const usable = this.channels.filter(
      (channel) => channel.enabled && channel.served.has(model) && allows(channel, group),
    );
    return orderCandidates(usable, random);
  }

  /** Models a group can use right now, sorted. */
  models(group: string): string[] {
    const names = new Set<string>();
    for (const channel of this.channels) {
      if (channel.enabled && allows(channel, group)) for (const model of channel.served) names.add(model);
    }
    return [...names].sort();
  }
}
