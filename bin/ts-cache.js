// A cache of type-stripped TypeScript for a trueup checkout, where Node runs the .ts sources
// directly. Node strips the types of every module on every start (swc compiled to WebAssembly):
// about half the CPU of `trueup version`, and the CLI starts hundreds of times in `npm test`.
// This module-load hook keeps the stripped JavaScript in node_modules/.cache/trueup-ts/, keyed by
// a hash of the source and the Node version, so a file is stripped once until it changes. Only
// what Node itself would strip as an ES module passes through here ('module-typescript'); the
// result is the same text Node would run (stripping keeps every line and column, so stack traces
// and error positions are unchanged). Load it with `node --import ./bin/ts-cache.js`, or import it
// before the first .ts module; it does nothing where Node has no synchronous module hooks.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as module from 'node:module';
import { URL } from 'node:url';

const dir = new URL('../node_modules/.cache/trueup-ts/', import.meta.url);

function strip(source) {
  // module.stripTypeScriptTypes announces itself as experimental on each process's first call;
  // Node's own stripping (which it replaces here) says nothing, so neither does this.
  const emitWarning = process.emitWarning;
  process.emitWarning = () => undefined;
  try {
    return module.stripTypeScriptTypes(source, { mode: 'strip' });
  } finally {
    process.emitWarning = emitWarning;
  }
}

let writable = true;
function store(file, code) {
  if (!writable) return;
  try {
    mkdirSync(dir, { recursive: true });
    // Another process may write the same entry at the same moment: rename is atomic.
    const partial = new URL(`${file.pathname.split('/').pop()}.${process.pid}`, dir);
    writeFileSync(partial, code);
    renameSync(partial, file);
  } catch {
    writable = false; // a read-only checkout: strip every time, as Node would
  }
}

if (typeof module.registerHooks === 'function' && typeof module.stripTypeScriptTypes === 'function') {
  module.registerHooks({
    load(url, context, nextLoad) {
      const loaded = nextLoad(url, context);
      if (loaded.format !== 'module-typescript' || loaded.source == null) return loaded;
      const source = typeof loaded.source === 'string' ? loaded.source : Buffer.from(loaded.source).toString('utf8');
      const key = createHash('sha256').update(process.version).update('\0').update(source).digest('hex');
      const file = new URL(`${key}.js`, dir);
      let code;
      try {
        code = readFileSync(file, 'utf8');
      } catch {
        code = strip(source);
        store(file, code);
      }
      return { format: 'module', source: code, shortCircuit: true };
    },
  });
}
