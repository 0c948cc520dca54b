// Process entry: wire the real stdio and exit with the command's code.
import { main } from './main.ts';

const code = await main(process.argv.slice(2), {
  stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd(),
});
process.exitCode = code;
