// npm links the bins of a project's dependencies into node_modules/.bin, never the project's own:
// this gives a checkout the node_modules/.bin/trueup the README names. It runs as the `prepare`
// script (npm ci / npm install in the checkout; not when trueup is installed from the registry,
// where npm links the bin itself). Plain JavaScript for whatever Node runs npm.
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'node_modules', '.bin');
mkdirSync(bin, { recursive: true });
rmSync(join(bin, 'trueup'), { force: true });
symlinkSync(join('..', '..', 'bin', 'trueup.js'), join(bin, 'trueup'));
