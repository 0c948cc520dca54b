// GitHub commit status on the commit a pass concerned: success when applied, failure when it could
// not be (invalid revision, apply errors), pending while its plan waits for approval, so the
// commit page shows whether it is live.
// https://docs.github.com/en/rest/commits/statuses#create-a-commit-status

import { clip, eventSummary, sourceLink } from './summary.ts';
import type { NotifiableEvent, Notifier } from './types.ts';
import { post } from './types.ts';

export function githubStatusNotifier(options: {
  token: string; apiUrl: string; repository: string; context?: string; events: NotifiableEvent['type'][]; sources: string[] | undefined;
  /** The status page's address: the status links to the source there (target_url). */
  link?: string;
}): Notifier {
  const base = options.apiUrl.replace(/\/+$/, '');
  return {
    name: 'github-status',
    events: new Set(options.events),
    sources: options.sources ? new Set(options.sources) : undefined,
    send: async (event, signal) => {
      if (!event.revision || !/^[0-9a-f]{40}$/.test(event.revision)) return; // not a Git commit
      const state = event.type === 'failure' ? 'failure'
        : event.type === 'pending-approval' ? 'pending'
        : event.type === 'drift' && !event.corrected ? 'error' : 'success';
      const target = sourceLink(options.link, event.source);
      const body = JSON.stringify({
        state,
        context: options.context ?? `trueup/${event.source}`,
        // GitHub caps descriptions at 140 characters: the first problem, not the preamble.
        description: clip(eventSummary(event), 140),
        ...(target ? { target_url: target } : {}),
      });
      await post(`${base}/repos/${options.repository}/statuses/${event.revision}`, body, {
        authorization: `Bearer ${options.token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28',
      }, signal, 'github-status');
    },
  };
}
