// Process entry: wire the real stdio and exit with the command's code.
import { enableCompileCache } from 'node:module';

// V8's code cache for trueup's ~460 modules (in os.tmpdir()/node-compile-cache, shared by every
// trueup process on the machine): each CLI call starts ~10% cheaper. Enabled before main.ts loads.
enableCompileCache();
const { main } = await import('./main.ts');

const code = await main(process.argv.slice(2), {
  stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd(),
});
// Exit explicitly once stdout and stderr are flushed: a socket or timer some library left open
// (a request aborted mid-flight) must not keep a command that has finished alive.
const flushed = Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => {
  stream.write('', () => resolve());
})));
let timer: NodeJS.Timeout | undefined;
await Promise.race([flushed, new Promise((resolve) => {
  timer = setTimeout(resolve, 2000);
})]);
clearTimeout(timer);
process.exit(code);
