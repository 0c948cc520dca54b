// Writing a source's section into a pull request's comment, shared by the daemon's previews and
// `trueup plan --comment`: find the comment by its marker, rewrite only this source's section,
// create the comment when there is none yet. Callers serialise writers of one comment.

import type { PreviewsConfig } from '../../config/schema.ts';
import { githubPlatform } from './github.ts';
import { gitlabPlatform } from './gitlab.ts';
import type { ReviewPlatform } from './platform.ts';
import { isPreviewComment, readSections, writeSection } from './sections.ts';

export function createPlatform(config: PreviewsConfig, token: string): ReviewPlatform {
  const options = { token, repository: config.repository, ...(config.apiUrl ? { apiUrl: config.apiUrl } : {}) };
  return config.provider === 'github' ? githubPlatform(options) : gitlabPlatform(options);
}

/** Edit the sections of the PR's comment (read-modify-write); writes only when something changed. */
export async function editComment(platform: ReviewPlatform, pr: number, edit: (sections: Map<string, string>) => void, signal: AbortSignal): Promise<'created' | 'updated' | 'unchanged'> {
  const existing = (await platform.listComments(pr, signal)).find((c) => isPreviewComment(c.body));
  const sections = readSections(existing?.body ?? '');
  const before = new Map(sections);
  edit(sections);
  let body = existing?.body;
  for (const [source, content] of sections) if (before.get(source) !== content) body = writeSection(body, source, content);
  if (body === undefined || body === existing?.body) return 'unchanged';
  if (existing) {
    await platform.updateComment(pr, existing.id, body, signal);
    return 'updated';
  }
  await platform.createComment(pr, body, signal);
  return 'created';
}

/** Characters one source's section may take when `share` sources write into one comment. */
export function sectionBudget(platform: ReviewPlatform, share: number): number {
  return Math.floor((platform.maxCommentChars - 1_000) / Math.max(1, share)) - 1_500;
}
