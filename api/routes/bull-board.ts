// Bull Board at /admin/queues for administrators: every queue with readable job names.
// Guarded by the session cookie that POST /login sets for this path only.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { KoaAdapter } from '@bull-board/koa';
import type { Middleware } from 'koa';
import type { ApiContext } from '../context.js';

export const BULL_BOARD_PATH = '/admin/queues';

export function bullBoard(context: ApiContext): Middleware {
  const serverAdapter = new KoaAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(context.chatQueue, { readOnlyMode: false })],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Chat Nio queues' } },
  });
  return serverAdapter.registerPlugin() as Middleware;
}
