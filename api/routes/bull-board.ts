// Bull Board at /admin/queues for administrators: every queue with readable job names.
// Guarded by the session cookie that POST /login sets for this path only.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { KoaAdapter } from '@bull-board/koa';
import type { Middleware } from 'koa';
import { createQueue, QUEUE_NAMES } from '../../shared/queues.js';
import type { ApiContext } from '../context.js';

export const BULL_BOARD_PATH = '/admin/queues';

export function bullBoard(context: ApiContext): Middleware {
  const serverAdapter = new KoaAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    // Every declared queue: the chat relay, billing retries and the maintenance schedules.
    queues: QUEUE_NAMES.map((name) => {
      if (name === 'chat') return new BullMQAdapter(context.chatQueue);
      if (name === 'billing') return new BullMQAdapter(context.billingQueue);
      return new BullMQAdapter(createQueue(name, context.redis));
    }),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Chat Nio queues' } },
  });
  return serverAdapter.registerPlugin() as Middleware;
}
