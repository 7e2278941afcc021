// Shared HTTP client for upstream calls (undici): one keep-alive agent per process, and one
// proxy agent per distinct channel proxy.
import { Agent, type Dispatcher, ProxyAgent } from 'undici';
import type { ChannelProxy } from '../models/channel.js';

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

export async function closeAgents(): Promise<void> {
  const all = [...proxies.values(), ...(agent ? [agent] : [])];
  proxies.clear();
  agent = undefined;
  await Promise.allSettled(all.map((dispatcher) => dispatcher.close()));
}
