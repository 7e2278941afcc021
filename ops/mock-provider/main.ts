// Mock provider CLI (`npm run mock-provider`): listens on MOCK_PROVIDER_HOST:MOCK_PROVIDER_PORT
// (default 127.0.0.1:8095), keeps the last MOCK_PROVIDER_MAX_RECORDED requests (default 1000), exits 0 on SIGTERM/SIGINT.
import { startMockProvider } from './server.js';

const port = Number(process.env.MOCK_PROVIDER_PORT ?? 8095);
const host = process.env.MOCK_PROVIDER_HOST ?? '127.0.0.1';
const maxRecorded = Number(process.env.MOCK_PROVIDER_MAX_RECORDED ?? 1000);

const provider = await startMockProvider({ port, host, maxRecorded });
console.log(`mock provider listening on ${provider.url}`);

let closing = false;
const shutdown = (): void => {
  if (closing) return;
  closing = true;
  provider.close().then(
    () => process.exit(0),
    () => process.exit(0),
  );
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
