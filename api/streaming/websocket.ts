// The web chat's WebSocket, `GET /chat` (also `/api/chat`), on the api's own port: the
// upgrade is checked like any request (canonical path, origin, per-IP throttle, draining),
// then each socket gets a handshake deadline, a size limit per frame, a bounded queue of
// frames handled one at a time, and ping/pong keep-alive. What a frame means is WebChat's.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { errors } from '../../shared/errors.js';
import { acquireSlot, LeaseKeeper } from '../../shared/limits/concurrency.js';
import { requestLogger } from '../../shared/log.js';
import { anonymousIdentity, isAnonymous } from '../auth/anonymous.js';
import type { Identity } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';
import { identityFromCredential } from '../middleware/auth.js';
import { parseJsonText } from '../middleware/body.js';
import { canonicalPath } from '../middleware/canonical-path.js';
import { allowedOrigins, originAllowed } from '../middleware/cors.js';
import { hitThrottle } from '../middleware/throttle.js';
import { type ChatAdmission, type ChatRequest, chatAdmission } from '../relay/admission.js';
import { WebChat } from '../relay/web-chat.js';
import { chatFrame, clientFrameSchema, handshakeSchema } from '../relay/web-chat-frames.js';

export const CHAT_SOCKET_PATH = '/chat';
const HANDSHAKE_MS = 10_000;
const PING_MS = 30_000;
/** Frames waiting while one is handled; more means the client floods. */
const MAX_PENDING_FRAMES = 16;
const USER_SLOTS = 5;
const ANONYMOUS_SLOTS = 1;
const SLOT_TTL_MS = 60_000;

function sizeBytes(text: string): number {
  const [, amount, unit] = /^(\d+)(kb|mb)$/i.exec(text) ?? ['', '16', 'mb'];
  return Number(amount) * (unit.toLowerCase() === 'kb' ? 1024 : 1024 * 1024);
}

/** The client address as Koa sees it (X-Forwarded-For only with TRUST_PROXY). */
function clientIp(request: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy
    ? String(request.headers['x-forwarded-for'] ?? '')
        .split(',')[0]
        .trim()
    : '';
  return forwarded || request.socket.remoteAddress || '';
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export interface ChatSockets {
  readonly open: number;
  close(): void;
}

export function attachChatSockets(server: Server, context: ApiContext): ChatSockets {
  const wss = new WebSocketServer({ noServer: true, maxPayload: sizeBytes(context.config.WS_MAX_FRAME) });
  const origins = allowedOrigins(context.config.ALLOW_ORIGINS);
  const admit = chatAdmission(context);
  const leases = new LeaseKeeper(context.redis, SLOT_TTL_MS);

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = canonicalPath(new URL(request.url ?? '/', 'http://socket').pathname);
    if (path?.toLowerCase() !== CHAT_SOCKET_PATH) return refuseUpgrade(socket, 404, 'Not Found');
    if (context.draining) return refuseUpgrade(socket, 503, 'Service Unavailable');
    if (!originAllowed(String(request.headers.origin ?? ''), origins))
      return refuseUpgrade(socket, 403, 'Forbidden');
    const ip = clientIp(request, context.config.TRUST_PROXY);
    hitThrottle(context, CHAT_SOCKET_PATH, ip)
      .then((result) => {
        if (result && !result.allowed) return refuseUpgrade(socket, 429, 'Too Many Requests');
        wss.handleUpgrade(request, socket, head, (ws) => serve(ws, ip));
      })
      .catch(() => refuseUpgrade(socket, 503, 'Service Unavailable'));
  });

  const slotTaker = (identity: Identity, ip: string) => async () => {
    const anonymous = isAnonymous(identity);
    const key = context.keys.webChatSlots(anonymous ? `ip:${ip}` : `user:${identity.userId}`);
    const lease = { key, member: randomUUID() };
    const slot = await acquireSlot(
      context.redis,
      key,
      anonymous ? ANONYMOUS_SLOTS : USER_SLOTS,
      lease.member,
      SLOT_TTL_MS,
    );
    if (!slot.allowed) return null;
    leases.hold(lease);
    return () => void leases.release(lease).catch(() => undefined);
  };

  function serve(ws: WebSocket, ip: string): void {
    const log = requestLogger(randomUUID(), 'api').child({ socket: 'chat' });
    let chat: WebChat | null = null;
    const pending: RawData[] = [];
    let working = false;
    let alive = true;
    const send = (frame: object) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
    };
    const handshakeTimer = setTimeout(() => ws.close(1008, 'handshake timeout'), HANDSHAKE_MS);
    const pinger = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, PING_MS);
    ws.on('pong', () => {
      alive = true;
    });

    const open = async (data: RawData) => {
      const handshake = handshakeSchema.parse(parseJsonText(data.toString()));
      const identity = (await identityFromCredential(context, handshake.token)) ?? anonymousIdentity();
      const deps = {
        context,
        identity,
        log,
        send,
        takeSlot: slotTaker(identity, ip),
        admit: (request: ChatRequest): Promise<ChatAdmission> => admit(request),
      };
      chat = await WebChat.open(deps, handshake.id, handshake.ref);
      clearTimeout(handshakeTimer);
    };
    const handle = async (data: RawData) => {
      if (!chat) return open(data);
      const parsed = clientFrameSchema.safeParse(parseJsonText(data.toString()));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return send(
          chatFrame({
            message: `Invalid frame: ${issue.path.join('.') || 'body'} ${issue.message}`,
            end: true,
          }),
        );
      }
      const frame = parsed.data;
      if (frame.type === 'ping') return;
      await chat.handle({ ...frame, type: frame.type || 'chat' });
    };
    const drain = async () => {
      if (working) return;
      working = true;
      while (pending.length > 0) {
        const data = pending.shift() as RawData;
        try {
          await handle(data);
        } catch (error) {
          const message =
            error instanceof Error && 'status' in error ? error.message : 'The frame could not be handled.';
          if (!chat) {
            log.warn({ err: error }, 'chat handshake refused');
            ws.close(1008, 'bad handshake');
            return;
          }
          log.warn({ err: error }, 'chat frame failed');
          send(chatFrame({ message, end: true }));
        }
      }
      working = false;
    };

    ws.on('message', (data) => {
      if (pending.length >= MAX_PENDING_FRAMES) {
        ws.close(1008, 'too many frames');
        return;
      }
      pending.push(data);
      drain().catch((error) => log.error({ err: error }, 'chat socket failed'));
    });
    ws.on('close', () => {
      clearTimeout(handshakeTimer);
      clearInterval(pinger);
      pending.length = 0;
      // A running answer goes on: it is saved and billed when it ends.
    });
    ws.on('error', (error) => log.warn({ err: error }, 'chat socket error'));
  }

  return {
    get open() {
      return wss.clients.size;
    },
    close() {
      for (const client of wss.clients) client.close(1001, errors.overloaded().message.slice(0, 120));
      leases.stop();
      wss.close();
    },
  };
}
