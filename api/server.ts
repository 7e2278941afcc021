// Starts the api: context, app, HTTP server; stop() drains (refuses new relay requests,
// lets open streams finish up to SHUTDOWN_GRACE) and closes connections.
import { createServer, type Server } from 'node:http';
import type Koa from 'koa';
import { logger } from '../shared/log.js';
import { createApp } from './app.js';
import { type ApiContext, createApiContext } from './context.js';
import { attachChatSockets } from './streaming/websocket.js';

export interface ApiServer {
  server: Server;
  app: Koa;
  context: ApiContext;
  url: string;
  stop(graceMs?: number): Promise<void>;
}

export async function startApiServer(port = 0, host = '127.0.0.1'): Promise<ApiServer> {
  const context = await createApiContext();
  const app = createApp(context);
  const server = createServer(app.callback());
  const sockets = attachChatSockets(server, context);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${boundPort}`;
  logger().info({ url }, 'api listening');

  async function stop(graceMs = context.config.SHUTDOWN_GRACE * 1000): Promise<void> {
    context.draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive connections become idle as their streams end: close them as they do.
    server.closeIdleConnections();
    const sweeper = setInterval(() => server.closeIdleConnections(), 100);
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([closed, deadline]);
    clearInterval(sweeper);
    // Open chat sockets close with 1001 once the grace is over; their answers are saved anyway.
    sockets.close();
    server.closeAllConnections();
    await context.close();
  }

  return { server, app, context, url, stop };
}
