// `trueup plan --comment`: the pull-request comment from a CI job, for teams that run trueup only
// in CI. The same comment and section the daemon writes (found by its marker, edited in place),
// with the token from the environment variable or file the source's `previews` block names.
// The pull request comes from --pr, or from the CI's own variables: GitHub Actions'
// GITHUB_REF (refs/pull/N/merge) or GitLab CI's CI_MERGE_REQUEST_IID.

import type { Engine } from '../../engine/engine.ts';
import type { Plan } from '../../plan/types.ts';
import { readSecret } from '../../report/notify/secrets.ts';
import { OUTCOME_STATE, planDescription, planOutcome, renderPlanSection, sectionHead } from '../../report/preview/comment.ts';
import { changesChecksum } from '../../report/preview/compare.ts';
import { createPlatform, editComment, sectionBudget } from '../../report/preview/post.ts';
import type { Revision } from '../../source/types.ts';
import { UsageError } from '../command.ts';

export function pullRequestNumber(flag: string | undefined, env: NodeJS.ProcessEnv): number {
  const text = flag ?? /^refs\/pull\/(\d+)\//.exec(env.GITHUB_REF ?? '')?.[1] ?? env.CI_MERGE_REQUEST_IID;
  if (!text || !/^\d{1,9}$/.test(text)) {
    throw new UsageError('--comment needs the pull request: --pr N (or GITHUB_REF=refs/pull/N/merge on GitHub Actions, CI_MERGE_REQUEST_IID on GitLab CI)');
  }
  return Number(text);
}

export async function postPlanComment(options: { engine: Engine; source: string; plan: Plan; revision: Revision; pr: number; head?: string | undefined; env: NodeJS.ProcessEnv }): Promise<string> {
  const { engine, source, plan } = options;
  const config = engine.source(source);
  const index = engine.loaded.config.sources.indexOf(config);
  if (!config.previews) {
    throw new UsageError(`source ${source} has no previews block in ${engine.loaded.file}: --comment needs its provider, repository and token (see docs/pull-requests.md)`);
  }
  const token = await readSecret(config.previews.token, `sources[${index}].previews.token`, { env: options.env, baseDir: engine.loaded.baseDir });
  const platform = createPlatform(config.previews, token);
  const share = engine.loaded.config.sources.filter((s) => s.previews?.provider === config.previews?.provider && s.previews?.repository.toLowerCase() === config.previews?.repository.toLowerCase()).length;
  const outcome = planOutcome(plan);
  const head = sectionHead({
    source, outcome, ci: true, fork: false, headSha: options.head ?? options.revision.id,
    planned: { sha: options.revision.id, ref: options.revision.description, mergeResult: false },
    checksum: changesChecksum(source, plan.changes),
  });
  const section = `${head}\n${renderPlanSection(plan, { maxChars: sectionBudget(platform, share), title: `trueup · ${source}` })}`;
  const signal = AbortSignal.timeout(60_000);
  const result = await editComment(platform, options.pr, (sections) => sections.set(source, section), signal);
  if (options.head) {
    await platform.setStatus(options.head, { state: OUTCOME_STATE[outcome], context: config.previews.context ?? `trueup/${source}`, description: planDescription(plan) }, signal);
  }
  return result;
}
