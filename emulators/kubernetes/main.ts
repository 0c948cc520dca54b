// Run the Kubernetes API emulator standalone:
//   node emulators/kubernetes/main.ts [--port 8001] [--controllers] [--crd-delay-ms 0]
//     [--authorization-mode RBAC --token-auth-file tokens.csv]   (lines: token,user,uid[,"groups"])
// then `kubectl --server=http://127.0.0.1:8001 get ns`.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseTokenFile } from './auth.ts';
import { startKubeEmulator } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8001' },
    host: { type: 'string', default: '127.0.0.1' },
    controllers: { type: 'boolean', default: false },
    'crd-delay-ms': { type: 'string', default: '0' },
    'authorization-mode': { type: 'string', default: 'AlwaysAllow' },
    'token-auth-file': { type: 'string' },
  },
});

const mode = values['authorization-mode'];
if (mode !== 'AlwaysAllow' && mode !== 'RBAC') throw new Error(`--authorization-mode takes AlwaysAllow or RBAC, got ${mode}`);
const tokens = values['token-auth-file'] ? Object.fromEntries(parseTokenFile(readFileSync(values['token-auth-file'], 'utf8'))) : {};
const emulator = await startKubeEmulator({
  port: Number(values.port), host: values.host, controllers: values.controllers, crdEstablishDelayMs: Number(values['crd-delay-ms']),
  ...(mode === 'RBAC' ? { rbac: { tokens } } : {}),
});
process.stdout.write(`Kubernetes API emulator listening on ${emulator.url}\n`);
const stop = () => {
  void emulator.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
