// Run the Cloud DNS emulator from a shell:
//   node emulators/gcp-dns/main.ts [--port 8085] [--host 127.0.0.1] [--quiet]
// then point a client at it, e.g.
//   CLOUDSDK_API_ENDPOINT_OVERRIDES_DNS=http://127.0.0.1:8085/ CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true \
//   CLOUDSDK_CORE_PROJECT=demo gcloud dns managed-zones list

import { parseArgs } from 'node:util';
import { startCloudDnsEmulator } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8085' },
    host: { type: 'string', default: '127.0.0.1' },
    quiet: { type: 'boolean', default: false },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`--port must be a TCP port number, got "${values.port}"\n`);
  process.exit(2);
}
const emulator = await startCloudDnsEmulator({ port, host: values.host, log: !values.quiet });
process.stdout.write(`Cloud DNS emulator listening on ${emulator.url}/dns/v1/\n`);
const shutdown = () => {
  emulator.stop().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
