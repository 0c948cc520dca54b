// Text that reaches a terminal, a Markdown comment, a web page or a log line with every control
// and invisible character made visible. A name or value holding ESC sequences could otherwise
// move the cursor, erase a `- delete` line or recolour a plan under a reviewer's eyes; a
// zero-width or bidi character could make two different names look the same.

// C0 and C1 controls, DEL, line/paragraph separators, and format characters (zero-width, bidi).
const UNPRINTABLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/** `a\u001bb` → `a\u{1b}b`; tab and newline too, since they also break a one-line rendering. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
}

/** Does the text hold a character `printable` would rewrite? */
export function hasUnprintable(text: string): boolean {
  UNPRINTABLE.lastIndex = 0;
  const found = UNPRINTABLE.test(text);
  UNPRINTABLE.lastIndex = 0;
  return found;
}
