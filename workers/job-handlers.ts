// Every queue's handler in one typed record: adding a queue name without a handler is a
// compile error.
import type { Job } from 'bullmq';
import type { JobDataByQueue, QueueName } from '../shared/queues.js';
import { createBillingHandler } from './jobs/billing.js';
import { type ChatJobDeps, createChatHandler } from './jobs/chat.js';
import { createMaintenanceHandler, type MaintenanceDeps } from './jobs/maintenance.js';

export type Handler<N extends QueueName> = (job: Job<JobDataByQueue[N]>) => Promise<unknown>;

export type JobHandlers = { [N in QueueName]: Handler<N> };

export function createJobHandlers(deps: ChatJobDeps & MaintenanceDeps): JobHandlers {
  return {
    chat: createChatHandler(deps),
    billing: createBillingHandler(deps.knex),
    maintenance: createMaintenanceHandler(deps),
  };
}
