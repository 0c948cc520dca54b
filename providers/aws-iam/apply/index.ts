// apply: one IAM entity per change, dispatched by object type. Changes of one batch have no
// dependencies between them (the engine orders waves), so they run concurrently up to
// settings.concurrency; the shared rate limiter paces the calls.

import type { ApplyChange, ChangeOutcome } from '../../../src/sdk/index.ts';
import { mapLimit, toErrorInfo } from '../../../src/sdk/index.ts';
import { toProviderError } from '../client.ts';
import { TYPES } from '../model.ts';
import type { ApplyEnv } from './common.ts';
import { applyGroup } from './group.ts';
import { applyInstanceProfile } from './instance-profile.ts';
import { applyOidcProvider } from './oidc.ts';
import { applyPolicy } from './policy.ts';
import { confirmPolicyOwner } from './proof.ts';
import { applyRole } from './role.ts';
import { applyUser } from './user.ts';

const HANDLERS: Record<string, (env: ApplyEnv, change: ApplyChange) => Promise<void>> = {
  [TYPES.role]: applyRole,
  [TYPES.policy]: applyPolicy,
  [TYPES.user]: applyUser,
  [TYPES.group]: applyGroup,
  [TYPES.instanceProfile]: applyInstanceProfile,
  [TYPES.oidcProvider]: applyOidcProvider,
};

export async function applyChanges(env: ApplyEnv, changes: ApplyChange[], concurrency: number): Promise<ChangeOutcome[]> {
  const outcomes: ChangeOutcome[] = [];
  let done = 0;
  await mapLimit(changes, concurrency, async (change) => {
    const handler = HANDLERS[change.type];
    try {
      if (!handler) throw new Error(`unknown object type ${change.type}`);
      await confirmPolicyOwner(env, change);
      await handler(env, change);
      outcomes.push({ key: change.key, status: 'applied' });
    } catch (error) {
      const info = toErrorInfo(toProviderError(error, change.display, `${change.action}`));
      outcomes.push({ key: change.key, status: 'failed', error: info });
      env.ctx.log.warn({ key: change.key, action: change.action, error: info.message }, 'IAM change failed');
    }
    done += 1;
    if (changes.length >= 50 && done % 50 === 0) env.ctx.progress(`applied ${done}/${changes.length} IAM changes`);
  });
  return outcomes;
}
