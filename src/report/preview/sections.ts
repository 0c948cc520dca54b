// One comment per pull request, shared by every source that previews the repository (a folder
// per stage): each source owns the text between its two markers and rewrites only that, keeping
// the other sources' sections as they are (read-modify-write of the comment body).
//
//   <!-- trueup:preview source=stage -->
//   …what the stage source planned…
//   <!-- trueup:preview-end source=stage -->
//
// The comment is found again by its first marker. Text from the plan cannot forge a marker: any
// `<!--` inside a section is broken up before it is written.

const START = /<!-- trueup:preview source=([a-z0-9-]+) -->\n/g;

export function startMarker(source: string): string {
  return `<!-- trueup:preview source=${source} -->`;
}

function endMarker(source: string): string {
  return `<!-- trueup:preview-end source=${source} -->`;
}

/** Is this comment body one of ours? */
export function isPreviewComment(body: string): boolean {
  return /<!-- trueup:preview source=[a-z0-9-]+ -->/.test(body);
}

/** The sections of a comment body, by source, in the order they appear. */
export function readSections(body: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of body.matchAll(START)) {
    const source = m[1] ?? '';
    const from = (m.index ?? 0) + m[0].length;
    const to = body.indexOf(`\n${endMarker(source)}`, from);
    if (to >= 0) out.set(source, body.slice(from, to));
  }
  return out;
}

/** The comment body with `source`'s section set to `content` (others kept; sections sorted by
 * source name so the order does not depend on which stage answered first). */
export function writeSection(body: string | undefined, source: string, content: string): string {
  const sections = readSections(body ?? '');
  sections.set(source, neutralise(content));
  return [...sections.keys()].sort().map((name) => `${startMarker(name)}\n${sections.get(name) ?? ''}\n${endMarker(name)}`).join('\n\n') + '\n';
}

/** `<!--` cannot open a comment (or a forged marker) inside a section. */
function neutralise(content: string): string {
  return content.replaceAll('<!--', '<\u200b!--').replace(/\n+$/, '');
}
