// A fast reader for the YAML that resource files are made of, straight from the text to plain
// values and a compact table of where each value starts. It exists for memory and time: the
// `yaml` library builds a CST of the whole document, then a node tree, then the values (a Zone of
// 10,000 records held ~49 MB of CST and ~18 MB of nodes at once, for ~2 MB of values, and its
// parse was most of the CPU of a no-op plan).
//
// It reads a subset and gives up on everything else, so the caller falls back to the `yaml`
// library for the whole file (src/load/yaml-documents.ts); "gives up" is the answer for anything
// it is not sure to read exactly as `yaml` would (YAML 1.2 core schema, yaml's defaults):
//   read:      block mappings and sequences (also a sequence at its key's indentation, and compact
//              `- key: value` / `- - x`), flow mappings and sequences (over several lines too),
//              plain scalars on one line (resolved by yaml's own core-schema tags), single- and
//              double-quoted scalars on one line (escapes by yaml's own resolver), comments,
//              `---` between documents;
//   gives up:  block scalars (| >), multi-line plain or quoted scalars, anchors, aliases, tags,
//              directives, `...`, explicit keys (?), complex keys, `<<`, tabs, CR, BOM and control
//              characters, comments inside flow collections — and every kind of error (duplicate
//              or null keys, `__proto__`, bad indentation): `yaml` then reports it as it always has.
// test/load/yaml-fast.test.ts checks values and positions against `yaml` on every case and on
// generated documents.

import { CST, Schema, isScalar, type ScalarTag } from 'yaml';

/**
 * Source offsets of every value of one document, as `yaml` ranges give them (`range[0]`), in
 * flat typed arrays: each container (mapping or sequence) owns a run of slots — the first holds
 * its item count, then one per item: the item's offset, the slot where the item's own run starts
 * (-1 for a scalar) and, for a mapping, its key. ~16 bytes per value, no object per node.
 */
export class Positions {
  private offsets = new Int32Array(64);
  private children = new Int32Array(64);
  private keys: (string | undefined)[] = [];
  private size = 0;
  /** Key → slot of mappings too large to scan (a Zone's records), built on first lookup. */
  private readonly indexes = new Map<number, Map<string, number>>();

  /** Record a container's items; returns where its run starts. */
  add(mapping: boolean, offsets: readonly number[], children: readonly number[], keys: readonly string[], from: number): number {
    const count = offsets.length - from;
    const start = this.size;
    const need = start + 1 + count;
    if (need > this.offsets.length) {
      let capacity = this.offsets.length * 2;
      while (capacity < need) capacity *= 2;
      const o = new Int32Array(capacity);
      o.set(this.offsets);
      this.offsets = o;
      const c = new Int32Array(capacity);
      c.set(this.children);
      this.children = c;
    }
    this.offsets[start] = count;
    this.children[start] = mapping ? 1 : 0;
    for (let i = 0; i < count; i += 1) {
      this.offsets[start + 1 + i] = offsets[from + i] as number;
      this.children[start + 1 + i] = children[from + i] as number;
      if (mapping) this.keys[start + 1 + i] = keys[from + i];
    }
    this.size = need;
    return start;
  }

  /** Drop the spare capacity once the document is read. */
  seal(): void {
    this.offsets = this.offsets.slice(0, this.size);
    this.children = this.children.slice(0, this.size);
  }

  /** The offset of the deepest value on `path` that exists (a missing key: its parent), from
   * the root value at `rootOffset` whose run starts at `root` (-1: a scalar). */
  offsetOf(root: number, rootOffset: number, path: ReadonlyArray<string | number>): number {
    let run = root;
    let offset = rootOffset;
    for (const key of path) {
      if (run < 0) break;
      const slot = this.slotOf(run, key);
      if (slot < 0) break;
      offset = this.offsets[slot] as number;
      run = this.children[slot] as number;
    }
    return offset;
  }

  private slotOf(run: number, key: string | number): number {
    const count = this.offsets[run] as number;
    if (this.children[run] !== 1) {
      const i = typeof key === 'number' ? key : /^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : -1;
      return i >= 0 && i < count ? run + 1 + i : -1;
    }
    const name = String(key);
    if (count <= 16) {
      for (let slot = run + 1; slot <= run + count; slot += 1) if (this.keys[slot] === name) return slot;
      return -1;
    }
    let index = this.indexes.get(run);
    if (!index) {
      index = new Map();
      for (let slot = run + 1; slot <= run + count; slot += 1) index.set(this.keys[slot] as string, slot);
      this.indexes.set(run, index);
    }
    return index.get(name) ?? -1;
  }
}

export interface FastDocument {
  value: unknown;
  /** Offset of the document's root value. */
  offset: number;
  positions: Positions;
  /** Where the root's run starts in `positions` (-1: the root is a scalar). */
  run: number;
}

/** Characters the fast reader never handles (the `yaml` library reads such files): tabs, CR,
 * other control characters, and a byte-order mark. */
function unsupportedCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== NEWLINE) || c === 127 || c === 0xfeff) return true;
  }
  return false;
}

/**
 * The documents of `text`, or undefined when the text uses anything outside the subset above
 * (or has an error): read it with the `yaml` library then. Documents that are empty or null are
 * left out, as parseYamlFile leaves them out.
 */
export function parseFast(text: string): FastDocument[] | undefined {
  if (unsupportedCharacter(text)) return undefined;
  try {
    return new Reader(text).stream();
  } catch (error) {
    // Nesting deeper than the stack (hostile input): `yaml` reads it, or reports it, as before.
    if (error === GIVE_UP || error instanceof RangeError) return undefined;
    throw error;
  }
}

const GIVE_UP = new Error('outside the fast YAML subset');

function giveUp(): never {
  throw GIVE_UP;
}

// Plain scalars are typed by yaml's own core-schema tags (null, bool, int, float), so `0x10`,
// `.inf` or `1e3` read as `yaml` reads them; everything else is a string.
const PLAIN_TAGS = new Schema({}).tags.filter((tag): tag is ScalarTag & { test: RegExp } => tag.default === true && 'test' in tag && tag.test instanceof RegExp);
const RESOLVE_OPTIONS = { intAsBigInt: false };
/** First characters any of those tags can match, and all their tests in one (most plain scalars
 * are strings — names, addresses — and then cost one test, not one per tag). */
const TYPED_START = /^[~nNtTfF0-9+\-.]/;
const ANY_TAG = new RegExp(PLAIN_TAGS.map((tag) => `(?:${tag.test.source})`).join('|'));

function resolvePlain(text: string): unknown {
  if (!TYPED_START.test(text) || !ANY_TAG.test(text)) return text;
  for (const tag of PLAIN_TAGS) {
    if (!tag.test.test(text)) continue;
    const resolved: unknown = tag.resolve(text, giveUp, RESOLVE_OPTIONS as never);
    return isScalar(resolved) ? resolved.value : resolved;
  }
  return text;
}

const SPACE = 32;
const NEWLINE = 10;
const HASH = 35;
const COLON = 58;
const DASH = 45;

/** Characters that cannot start a plain scalar here (YAML's indicators; `-`, `?` and `:` only
 * when followed by a space, which callers check). */
const NOT_PLAIN_START = new Set(['[', ']', '{', '}', ',', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', '?']);
const FLOW_STOP = new Set([',', '[', ']', '{', '}']);

class Reader {
  private readonly src: string;
  private readonly len: number;
  private pos = 0;
  /** Offset of the line `pos` is on. */
  private lineStart = 0;
  /** Indentation of the content line `pos` is at after a node was read; -1 at the end or at
   * a document marker. */
  private ind = -1;
  /** Offset of the node last read, and where its run of positions starts (-1: a scalar). */
  private at = 0;
  private run = -1;
  private positions = new Positions();
  // The items of the containers being read, innermost last: each container takes its own off
  // the top when it ends (so arrays are made at their exact size, not grown by push).
  private readonly itemOffsets: number[] = [];
  private readonly itemRuns: number[] = [];
  private readonly itemKeys: string[] = [];
  private readonly itemValues: unknown[] = [];

  constructor(src: string) {
    this.src = src;
    this.len = src.length;
  }

  stream(): FastDocument[] {
    const documents: FastDocument[] = [];
    for (;;) {
      this.nextContent();
      if (this.pos >= this.len) break;
      if (this.ind === -1) {
        // A document marker.
        if (this.src.startsWith('...', this.pos)) giveUp();
        this.pos += 3;
        this.restOfLineBlank();
        continue;
      }
      this.positions = new Positions();
      const value = this.blockNode(-1);
      if (this.ind !== -1) giveUp();
      this.positions.seal();
      if (value !== null) documents.push({ value, offset: this.at, positions: this.positions, run: this.run });
    }
    return documents;
  }

  // --- lines ---

  private lineEnd(from: number): number {
    const e = this.src.indexOf('\n', from);
    return e < 0 ? this.len : e;
  }

  private skipSpaces(): void {
    while (this.src.charCodeAt(this.pos) === SPACE) this.pos += 1;
  }

  private blankAt(p: number): boolean {
    if (p >= this.len) return true;
    const c = this.src.charCodeAt(p);
    return c === SPACE || c === NEWLINE;
  }

  /** From a line start: to the first content of the next line that is not blank or a comment;
   * sets `ind` (-1 at the end of the text or at a `---`/`...` line). */
  private nextContent(): void {
    const { src, len } = this;
    for (;;) {
      const l = this.pos;
      let p = l;
      while (src.charCodeAt(p) === SPACE) p += 1;
      if (p >= len) {
        this.pos = len;
        this.lineStart = l;
        this.ind = -1;
        return;
      }
      const c = src.charCodeAt(p);
      if (c === NEWLINE) {
        this.pos = p + 1;
        continue;
      }
      if (c === HASH) {
        const e = this.lineEnd(p);
        this.pos = e < len ? e + 1 : len;
        continue;
      }
      this.lineStart = l;
      this.pos = p;
      if (p === l && (src.startsWith('---', l) || src.startsWith('...', l)) && this.blankAt(l + 3)) {
        this.ind = -1;
        return;
      }
      if (p === l && c === 37 /* % */) giveUp();
      this.ind = p - l;
      return;
    }
  }

  /** The rest of the line holds only spaces and a comment; moves to the next line's start. */
  private restOfLineBlank(): void {
    const p0 = this.pos;
    this.skipSpaces();
    if (this.pos >= this.len) return;
    const c = this.src.charCodeAt(this.pos);
    if (c === HASH && (this.pos > p0 || this.pos === this.lineStart || this.src.charCodeAt(this.pos - 1) === SPACE)) {
      this.pos = this.lineEnd(this.pos);
    } else if (c !== NEWLINE) {
      giveUp();
    }
    if (this.pos < this.len) this.pos += 1;
    this.lineStart = this.pos;
  }

  // --- containers ---

  private item(key: string): void {
    this.itemOffsets.push(this.at);
    this.itemRuns.push(this.run);
    this.itemKeys.push(key);
  }

  /** Ends the container whose items start at `base`: records their positions, sets `run`. */
  private close(mapping: boolean, base: number): void {
    this.run = this.positions.add(mapping, this.itemOffsets, this.itemRuns, this.itemKeys, base);
    this.itemOffsets.length = base;
    this.itemRuns.length = base;
    this.itemKeys.length = base;
  }

  /** The values of the sequence whose values start at `base`, as an array of its exact size. */
  private takeValues(base: number): unknown[] {
    const values = this.itemValues.slice(base);
    this.itemValues.length = base;
    return values;
  }

  // --- block nodes ---

  /** A node that starts at `pos`, the first content of its line, indented more than `parent`. */
  private blockNode(parent: number): unknown {
    const col = this.pos - this.lineStart;
    if (this.src.charCodeAt(this.pos) === DASH && this.blankAt(this.pos + 1)) return this.blockSeq(col);
    if (this.keyEnd() >= 0) return this.blockMap(col);
    return this.inlineValue(parent);
  }

  private blockMap(indent: number): object {
    const obj: Record<string, unknown> = {};
    const base = this.itemOffsets.length;
    const start = this.pos;
    for (;;) {
      const key = this.blockKey();
      if (Object.hasOwn(obj, key)) giveUp();
      obj[key] = this.mapValue(indent);
      this.item(key);
      if (this.ind === indent) {
        if (this.src.charCodeAt(this.pos) === DASH && this.blankAt(this.pos + 1)) giveUp();
        continue;
      }
      if (this.ind > indent) giveUp();
      break;
    }
    this.close(true, base);
    this.at = start;
    return obj;
  }

  /** After `key:`: the value on the same line, a block below, a sequence at the key's
   * indentation, or nothing (null, located where the line's rest starts, as `yaml` does). */
  private mapValue(indent: number): unknown {
    this.skipSpaces();
    const c = this.src.charCodeAt(this.pos);
    if (this.pos >= this.len || c === NEWLINE || c === HASH) {
      const nullAt = this.pos;
      this.restOfLineBlank();
      this.nextContent();
      if (this.ind > indent) return this.blockNode(indent);
      if (this.ind === indent && this.src.charCodeAt(this.pos) === DASH && this.blankAt(this.pos + 1)) return this.blockSeq(indent);
      this.at = nullAt;
      this.run = -1;
      return null;
    }
    if (c === DASH && this.blankAt(this.pos + 1)) giveUp();
    return this.inlineValue(indent);
  }

  private blockSeq(indent: number): unknown[] {
    const base = this.itemOffsets.length;
    const valueBase = this.itemValues.length;
    const start = this.pos;
    for (;;) {
      this.pos += 1;
      this.skipSpaces();
      const c = this.src.charCodeAt(this.pos);
      let value: unknown;
      if (this.pos >= this.len || c === NEWLINE || c === HASH) {
        const nullAt = this.pos;
        this.restOfLineBlank();
        this.nextContent();
        if (this.ind > indent) {
          value = this.blockNode(indent);
        } else {
          value = null;
          this.at = nullAt;
          this.run = -1;
        }
      } else {
        const col = this.pos - this.lineStart;
        if (c === DASH && this.blankAt(this.pos + 1)) value = this.blockSeq(col);
        else if (this.keyEnd() >= 0) value = this.blockMap(col);
        else value = this.inlineValue(indent);
      }
      this.itemValues.push(value);
      this.item('');
      if (this.ind === indent && this.src.charCodeAt(this.pos) === DASH && this.blankAt(this.pos + 1)) continue;
      if (this.ind > indent) giveUp();
      break;
    }
    this.close(false, base);
    this.at = start;
    return this.takeValues(valueBase);
  }

  /** Where the implicit key starting at `pos` ends (its `:`), or -1 when the line holds no key. */
  private keyEnd(): number {
    const { src } = this;
    const c = src[this.pos] as string;
    if (c === '"' || c === "'") {
      const end = this.quotedEnd(this.pos);
      if (end < 0) return -1;
      let p = end;
      while (src.charCodeAt(p) === SPACE) p += 1;
      return src.charCodeAt(p) === COLON && this.blankAt(p + 1) ? p : -1;
    }
    if (NOT_PLAIN_START.has(c) || ((c === '-' || c === ':') && this.blankAt(this.pos + 1))) return -1;
    const e = this.lineEnd(this.pos);
    for (let i = this.pos; i < e; i += 1) {
      const ch = src.charCodeAt(i);
      if (ch === COLON && (i + 1 === e || src.charCodeAt(i + 1) === SPACE)) return i;
      if (ch === HASH && src.charCodeAt(i - 1) === SPACE) return -1;
    }
    return -1;
  }

  /** An implicit key of a block mapping and its `:`; the key as the object key it becomes. */
  private blockKey(): string {
    const end = this.keyEnd();
    if (end < 0 || end - this.pos > 1024) giveUp();
    let key: string;
    const c = this.src[this.pos];
    if (c === '"' || c === "'") {
      key = this.quoted();
    } else {
      const text = this.src.slice(this.pos, end).trimEnd();
      const resolved = resolvePlain(text);
      // `~:` (null), `<<` (a merge key in some schemas): `yaml` reports or treats them.
      if (resolved === null || text === '<<') giveUp();
      key = String(resolved);
    }
    if (key === '__proto__') giveUp();
    this.pos = end + 1;
    return key;
  }

  /** A scalar or flow collection that starts at `pos` and is the last thing on its line; lines
   * below indented more than `owner` would continue it (or be an error): give up then. */
  private inlineValue(owner: number): unknown {
    const start = this.pos;
    this.run = -1;
    const c = this.src[this.pos] as string;
    let value: unknown;
    if ((c === '|' || c === '>') && owner >= 0) {
      value = this.blockScalar(owner);
      this.nextContent();
      this.at = start;
      return value;
    }
    if (c === '[' || c === '{') value = this.flowNode(owner);
    else if (c === '"' || c === "'") value = this.quoted();
    else if (NOT_PLAIN_START.has(c) || ((c === '-' || c === ':') && this.blankAt(this.pos + 1))) giveUp();
    else value = this.plainBlock();
    this.restOfLineBlank();
    this.nextContent();
    if (this.ind > owner) giveUp();
    this.at = start;
    return value;
  }

  /** A plain scalar to the end of its line or a ` #` comment. */
  private plainBlock(): unknown {
    const { src } = this;
    const e = this.lineEnd(this.pos);
    let stop = e;
    for (let i = this.pos; i < e; i += 1) {
      const ch = src.charCodeAt(i);
      if (ch === HASH && src.charCodeAt(i - 1) === SPACE) {
        stop = i;
        break;
      }
      // `a: b: c` is an error; a key would have been seen before.
      if (ch === COLON && (i + 1 === e || src.charCodeAt(i + 1) === SPACE)) giveUp();
    }
    const text = src.slice(this.pos, stop).trimEnd();
    this.pos = stop;
    return resolvePlain(text);
  }

  /** A `|`, `|-`, `>` or `>-` block scalar of a value whose key (or `-`) is indented `owner`:
   * its lines are the ones below, indented more, and empty lines; yaml's own resolver folds and
   * chomps them. Indentation indicators, `+`, and lines of only spaces give up (the lexer's rules
   * for where such a scalar ends are subtle). */
  private blockScalar(owner: number): string {
    const { src, len } = this;
    const start = this.pos;
    const header = src.charCodeAt(start + 1) === DASH ? src.slice(start, start + 2) : (src[start] as string);
    this.pos = start + header.length;
    if (!this.blankAt(this.pos)) giveUp();
    this.restOfLineBlank();
    const from = this.pos;
    let end = from;
    let p = from;
    while (p < len) {
      const l = p;
      while (src.charCodeAt(p) === SPACE) p += 1;
      if (p >= len || src.charCodeAt(p) === NEWLINE) {
        if (p > l) giveUp();
        p += 1;
        continue;
      }
      if (p - l <= owner) break;
      const e = this.lineEnd(p);
      p = e < len ? e + 1 : len;
      end = p;
    }
    const token = {
      type: 'block-scalar' as const, offset: start, indent: owner, source: src.slice(from, end),
      props: [{ type: 'block-scalar-header' as const, offset: start, indent: owner, source: header }],
    };
    const resolved = CST.resolveAsScalar(token, true, giveUp);
    if (!resolved) giveUp();
    this.pos = end;
    this.lineStart = end;
    return resolved.value;
  }

  // --- quoted scalars (one line) ---

  /** Offset just past the closing quote of the scalar opening at `from`, or -1 (none on the line). */
  private quotedEnd(from: number): number {
    const { src } = this;
    const q = src[from];
    const e = this.lineEnd(from);
    let i = from + 1;
    while (i < e) {
      const ch = src[i];
      if (q === '"' && ch === '\\') {
        i += 2;
        continue;
      }
      if (ch === q) {
        if (q === "'" && src[i + 1] === "'") {
          i += 2;
          continue;
        }
        return i + 1;
      }
      i += 1;
    }
    return -1;
  }

  private quoted(): string {
    const start = this.pos;
    const end = this.quotedEnd(start);
    if (end < 0) giveUp();
    const raw = this.src.slice(start, end);
    this.pos = end;
    if (raw[0] === "'") return raw.slice(1, -1).replaceAll("''", "'");
    if (!raw.includes('\\')) return raw.slice(1, -1);
    const resolved = CST.resolveAsScalar({ type: 'double-quoted-scalar', offset: start, indent: 0, source: raw }, true, giveUp);
    if (!resolved) giveUp();
    return resolved.value;
  }

  // --- flow collections ---

  /** Spaces and line breaks inside a flow collection; a continuation line must be indented more
   * than the block that holds the collection (`yaml` reports it otherwise). */
  private flowSpace(owner: number): void {
    const { src } = this;
    for (;;) {
      const c = src.charCodeAt(this.pos);
      if (c === SPACE) {
        this.pos += 1;
      } else if (c === NEWLINE) {
        this.pos += 1;
        const l = this.pos;
        while (src.charCodeAt(this.pos) === SPACE) this.pos += 1;
        const next = src.charCodeAt(this.pos);
        if (this.pos === l && (src.startsWith('---', l) || src.startsWith('...', l))) giveUp();
        if (this.pos < this.len && next !== NEWLINE && this.pos - l <= owner) giveUp();
      } else if (c === HASH) {
        giveUp();
      } else {
        return;
      }
    }
  }

  private flowNode(owner: number): unknown {
    const start = this.pos;
    this.run = -1;
    const c = this.src[this.pos] as string;
    let value: unknown;
    if (c === '[') value = this.flowSeq(owner);
    else if (c === '{') value = this.flowMap(owner);
    else if (c === '"' || c === "'") value = this.quoted();
    else if (NOT_PLAIN_START.has(c) || ((c === '-' || c === ':') && this.blankAt(this.pos + 1))) giveUp();
    else value = resolvePlain(this.plainFlow());
    this.at = start;
    return value;
  }

  /** A plain scalar inside a flow collection: up to `,[]{}`, a `:` indicator or the line's end. */
  private plainFlow(): string {
    const { src } = this;
    const e = this.lineEnd(this.pos);
    let i = this.pos;
    for (; i < e; i += 1) {
      const ch = src[i] as string;
      if (FLOW_STOP.has(ch)) break;
      if (ch === ':' && (i + 1 === e || src.charCodeAt(i + 1) === SPACE || FLOW_STOP.has(src[i + 1] as string))) break;
      if (ch === '#' && src.charCodeAt(i - 1) === SPACE) giveUp();
    }
    const text = src.slice(this.pos, i).trimEnd();
    if (text === '') giveUp();
    this.pos = i;
    return text;
  }

  private flowSeq(owner: number): unknown[] {
    const base = this.itemOffsets.length;
    const valueBase = this.itemValues.length;
    this.pos += 1;
    this.flowSpace(owner);
    if (this.src[this.pos] === ']') {
      this.pos += 1;
    } else {
      for (;;) {
        this.itemValues.push(this.flowNode(owner));
        this.item('');
        this.flowSpace(owner);
        const c = this.src[this.pos];
        if (c === ',') {
          this.pos += 1;
          this.flowSpace(owner);
          if (this.src[this.pos] === ']') {
            this.pos += 1;
            break;
          }
          continue;
        }
        if (c === ']') {
          this.pos += 1;
          break;
        }
        giveUp();
      }
    }
    this.close(false, base);
    return this.takeValues(valueBase);
  }

  private flowMap(owner: number): object {
    const obj: Record<string, unknown> = {};
    const base = this.itemOffsets.length;
    this.pos += 1;
    this.flowSpace(owner);
    if (this.src[this.pos] === '}') {
      this.pos += 1;
    } else {
      for (;;) {
        const c = this.src[this.pos] as string;
        let key: string;
        if (c === '"' || c === "'") {
          key = this.quoted();
        } else {
          if (NOT_PLAIN_START.has(c) || ((c === '-' || c === ':') && this.blankAt(this.pos + 1))) giveUp();
          const text = this.plainFlow();
          const resolved = resolvePlain(text);
          if (resolved === null || text === '<<') giveUp();
          key = String(resolved);
        }
        if (key === '__proto__' || Object.hasOwn(obj, key)) giveUp();
        this.flowSpace(owner);
        if (this.src[this.pos] !== ':') giveUp();
        this.pos += 1;
        this.flowSpace(owner);
        const v = this.src[this.pos];
        if (v === ',' || v === '}' || this.pos >= this.len) giveUp();
        obj[key] = this.flowNode(owner);
        this.item(key);
        this.flowSpace(owner);
        const next = this.src[this.pos];
        if (next === ',') {
          this.pos += 1;
          this.flowSpace(owner);
          if (this.src[this.pos] === '}') {
            this.pos += 1;
            break;
          }
          continue;
        }
        if (next === '}') {
          this.pos += 1;
          break;
        }
        giveUp();
      }
    }
    this.close(true, base);
    return obj;
  }
}
