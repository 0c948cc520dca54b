// Run the Cloud KMS emulator from a shell:
//   node emulators/gcp-kms/main.ts [--port 8086] [--host 127.0.0.1] [--token T] [--key projects/p/locations/l/keyRings/r/cryptoKeys/k]
// then, with the token in a file:
//   CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS=http://127.0.0.1:8086/ CLOUDSDK_AUTH_ACCESS_TOKEN_FILE=token \
//   gcloud kms encrypt --project p --location l --keyring r --key k --plaintext-file in --ciphertext-file out

import { parseArgs } from 'node:util';
import { startCloudKmsEmulator } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8086' },
    host: { type: 'string', default: '127.0.0.1' },
    token: { type: 'string', default: 'emulator-token' },
    key: { type: 'string', multiple: true, default: [] },
    quiet: { type: 'boolean', default: false },
  },
});
const emulator = await startCloudKmsEmulator({ port: Number(values.port), host: values.host, tokens: [values.token], log: !values.quiet });
for (const name of values.key) {
  const m = /^projects\/([^/]+)\/locations\/([^/]+)\/keyRings\/([^/]+)\/cryptoKeys\/([^/]+)$/.exec(name);
  if (!m) {
    process.stderr.write(`--key must be projects/P/locations/L/keyRings/R/cryptoKeys/K, got "${name}"\n`);
    process.exit(2);
  }
  emulator.state.createKey(m[1] as string, m[2] as string, m[3] as string, m[4] as string);
}
process.stdout.write(`Cloud KMS emulator listening on ${emulator.url}/v1/ (token: ${values.token})\n`);
const shutdown = () => {
  emulator.stop().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
