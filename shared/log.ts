// JSON logs (pino). Child loggers carry the request id so api and worker lines of one
// request can be joined; secrets are redacted by path.
import { pino, type Logger } from 'pino';
import { config } from './config.js';

let root: Logger | undefined;

export function logger(): Logger {
  if (!root) {
    root = pino({
      level: config().LOG_LEVEL,
      base: { pid: process.pid },
      redact: {
        paths: ['secret', '*.secret', 'authorization', '*.authorization', 'password', '*.password', 'apiKey'],
        censor: '[redacted]',
      },
    });
  }
  return root;
}

export function requestLogger(requestId: string, role: 'api' | 'worker'): Logger {
  return logger().child({ requestId, role });
}

export type { Logger };
