// Shared HTTP client for upstream calls (undici): one keep-alive agent per process, and one
// proxy agent per distinct channel proxy.
import { Agent, type Dispatcher, ProxyAgent } from 'undici';

/** A channel's proxy (Chat Nio's fields): proxy_type 0 none, 1 http, 2 https, 3 socks5. */
export interface ChannelProxy {
  proxy: string;
  proxy_type: 0 | 1 | 2 | 3;
  username: string;
  password: string;
}

let agent: Agent | undefined;
const proxies = new Map<string, Dispatcher>();

export function upstreamAgent(): Agent {
  if (!agent) {
    agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 300_000,
      connections: null,
      pipelining: 1,
    });
  }
  return agent;
}

/** The dispatcher for a channel: http(s) proxies are supported; socks5 is not yet. */
export function dispatcherFor(proxy: ChannelProxy | null): Dispatcher {
  if (!proxy?.proxy || proxy.proxy_type === 0) return upstreamAgent();
  if (proxy.proxy_type === 3) throw new Error('socks5 channel proxies are not supported yet');
  const key = JSON.stringify(proxy);
  let dispatcher = proxies.get(key);
  if (!dispatcher) {
    const token = proxy.username
      ? `Basic ${Buffer.from(`${proxy.username}:${proxy.password}`).toString('base64')}`
      : undefined;
    dispatcher = new ProxyAgent({ uri: proxy.proxy, token });
    proxies.set(key, dispatcher);
  }
  return dispatcher;
}

/** Reads at most `limit` bytes of a body as text (an error page or a JSON answer); the rest is dropped. */
export async function readBounded(body: AsyncIterable<Uint8Array>, limit: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of body) {
    if (size + part.byteLength > limit) {
      parts.push(Buffer.from(part.subarray(0, limit - size)));
      size = limit;
      break;
    }
    parts.push(Buffer.from(part));
    size += part.byteLength;
  }
  return Buffer.concat(parts, size).toString('utf8');
}

/** Error bodies are read this far (enough for any provider's error JSON). */
export const ERROR_BODY_LIMIT = 64 * 1024;
/** A non-streamed JSON answer may be this big. */
export const JSON_BODY_LIMIT = 32 * 1024 * 1024;

export async function closeAgents(): Promise<void> {
  const all = [...proxies.values(), ...(agent ? [agent] : [])];
  proxies.clear();
  agent = undefined;
  await Promise.allSettled(all.map((dispatcher) => dispatcher.close()));
}
