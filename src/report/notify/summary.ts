// The useful part of an event in one line, for channels with little room (a GitHub status
// description holds 140 characters): an invalid revision's message is "revision … is invalid
// and was not applied (3 problems); nothing was changed:" followed by one problem per line, so
// the line names the first problem rather than ending at the colon. And the link to the
// source on the status page, when the notification config gives the page's address.

import type { NotifiableEvent } from './types.ts';

/** `zones/a.yaml:5:3: spec.ttl: … (+2 more; not applied)`, or the message's first line. */
export function eventSummary(event: NotifiableEvent): string {
  const [head = '', ...rest] = event.message.split('\n');
  const problems = rest.map((l) => l.trim()).filter(Boolean);
  if (!head.endsWith(':') || problems.length === 0) return head;
  const more = problems.length > 1 ? `+${problems.length - 1} more; ` : '';
  return `${problems[0]} (${more}not applied)`;
}

/** At most `max` characters, an ellipsis marking a cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The source's section on the status page (`<base>/#source-<name>`), or undefined. */
export function sourceLink(base: string | undefined, source: string): string | undefined {
  if (!base) return undefined;
  return `${base.replace(/\/+$/, '')}/#source-${encodeURIComponent(source)}`;
}
