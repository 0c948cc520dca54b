// Character-strings in record data (TXT, the CAA value, NAPTR fields): parsing presentation
// format into bytes and printing bytes back as one canonical quoted form.
//
// Canonical printing: printable ASCII as is, `"` and `\` escaped with a backslash, every other
// byte as a three-digit escape. RFC 1035 escapes are decimal (`\DDD`); Route 53 uses octal
// (`\ooo`) on its wire, so both parse and print take the radix. Semicolons are never escaped on
// output (`\;` on input, as octoDNS and BIND write it, reads as `;`).

import { DnsValueError } from './errors.ts';

export type EscapeRadix = 'decimal' | 'octal';

export interface Token {
  /** The token's bytes with escapes decoded (and quotes removed). */
  bytes: Buffer;
  quoted: boolean;
}

/** Split presentation-format rdata into tokens: white-space separated, `"…"` quoted strings. */
export function tokenize(text: string, radix: EscapeRadix = 'decimal'): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    const quoted = c === '"';
    if (quoted) i += 1;
    const bytes: number[] = [];
    let closed = !quoted;
    while (i < n) {
      const ch = text[i] as string;
      if (quoted && ch === '"') {
        closed = true;
        i += 1;
        break;
      }
      if (!quoted && /\s/.test(ch)) break;
      i = readChar(text, i, radix, bytes);
    }
    if (!closed) throw new DnsValueError(`unterminated quoted string in ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)}`);
    tokens.push({ bytes: Buffer.from(bytes), quoted });
  }
  return tokens;
}

/** Print bytes as one quoted character-string in the canonical escape style. */
export function quote(bytes: Uint8Array, radix: EscapeRadix = 'decimal'): string {
  let out = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b);
    else out += `\\${radix === 'octal' ? b.toString(8).padStart(3, '0') : b.toString(10).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** Token as plain text (for numbers, tags, host names). */
export function tokenText(token: Token): string {
  return token.bytes.toString('utf8');
}

/** Max bytes per character-string (RFC 1035 §3.3). */
export const MAX_STRING_BYTES = 255;

/**
 * Canonical TXT value: the strings joined (as SPF and DKIM readers do), then split into
 * quoted chunks of at most 255 bytes. Input may be quoted (`"a" "b"`) or not (`v=spf1 -all`,
 * taken as one string, white space included).
 */
export function canonicalTxt(value: string, radix: EscapeRadix = 'decimal'): string {
  const data = txtBytes(value, radix);
  return chunkQuoted(data, 'decimal');
}

/** The bytes a TXT value carries, with the chunk boundaries removed. */
export function txtBytes(value: string, radix: EscapeRadix = 'decimal'): Buffer {
  const trimmed = value.trim();
  if (trimmed.startsWith('"')) {
    const tokens = tokenize(trimmed, radix);
    const stray = tokens.find((t) => !t.quoted);
    if (stray) throw new DnsValueError(`TXT value mixes quoted strings and bare text ("${tokenText(stray)}"); quote every part or none`);
    return Buffer.concat(tokens.map((t) => t.bytes));
  }
  // Unquoted: the whole value is one string; escapes still apply (`\;`, `\"`).
  return decodeEscapes(trimmed, radix);
}

/** Decode backslash escapes in a run of text; quotes and white space are literal. */
export function decodeEscapes(text: string, radix: EscapeRadix = 'decimal'): Buffer {
  const bytes: number[] = [];
  let i = 0;
  while (i < text.length) i = readChar(text, i, radix, bytes);
  return Buffer.from(bytes);
}

/** Decode the character at `i` (a `\DDD`/`\ooo` escape, `\x`, or a literal code point) into
 * `bytes`; returns the index after it. */
function readChar(text: string, i: number, radix: EscapeRadix, bytes: number[]): number {
  let at = i;
  if (text[at] === '\\') {
    const m = (radix === 'octal' ? /^[0-7]{3}/ : /^[0-9]{3}/).exec(text.slice(at + 1, at + 4));
    if (m) {
      const code = parseInt(m[0], radix === 'octal' ? 8 : 10);
      if (code > 255) throw new DnsValueError(`escape \\${m[0]} is not a byte`);
      bytes.push(code);
      return at + 4;
    }
    if (at + 1 >= text.length) throw new DnsValueError('a trailing backslash escapes nothing');
    at += 1;
  }
  const s = String.fromCodePoint(text.codePointAt(at) as number);
  bytes.push(...Buffer.from(s));
  return at + s.length;
}

/** Quoted chunks of at most 255 bytes, separated by one space. An empty value is `""`. */
export function chunkQuoted(data: Buffer, radix: EscapeRadix = 'decimal'): string {
  if (data.length === 0) return '""';
  const parts: string[] = [];
  for (let i = 0; i < data.length; i += MAX_STRING_BYTES) parts.push(quote(data.subarray(i, i + MAX_STRING_BYTES), radix));
  return parts.join(' ');
}

/** Re-print every quoted string of a canonical value with another escape radix (for a wire). */
export function convertQuotedEscapes(value: string, from: EscapeRadix, to: EscapeRadix): string {
  if (from === to || !value.includes('\\')) return value;
  return tokenize(value, from).map((t) => (t.quoted ? quote(t.bytes, to) : tokenText(t))).join(' ');
}
