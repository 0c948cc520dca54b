// OpenID Connect providers (GitHub Actions, EKS IRSA): the issuer URL is the identity; client
// ids are added/removed one by one, thumbprints replaced as a list.

import type { ApplyChange, JsonObject } from '../../../src/sdk/index.ts';
import { NO_SUCH_ENTITY } from '../client.ts';
import { arnOf, nameOfKey, ownerOf, tagMap, type OidcProviderValue } from '../model.ts';
import type { OidcHandle } from '../observe.ts';
import { adoption, alreadyExists, resolvedAfter, syncTags, tagList, type ApplyEnv } from './common.ts';

type Oidc = OidcProviderValue & { thumbprints?: string[] };

export async function applyOidcProvider(env: ApplyEnv, change: ApplyChange): Promise<void> {
  const issuer = nameOfKey(change.key);
  const arn = (change.observed?.handle as OidcHandle | undefined)?.arn ?? arnOf(env.api.account ?? '', `oidc-provider/${issuer}`);
  switch (change.action) {
    case 'create':
      return createProvider(env, change, issuer);
    case 'update':
      return updateProvider(env, change, arn);
    case 'delete':
      return deleteProvider(env, change.display, arn);
    case 'replace':
      await deleteProvider(env, change.display, arn);
      return createProvider(env, change, issuer);
  }
}

async function createProvider(env: ApplyEnv, change: ApplyChange, issuer: string): Promise<void> {
  const { api, ctx } = env;
  const after = resolvedAfter<Oidc>(env, change);
  let exists = false;
  const created = await api.write(ctx, 'CreateOpenIDConnectProvider', change.display, (m, c) => c.send(new m.CreateOpenIDConnectProviderCommand({
    Url: after.url, ClientIDList: after.clientIds, Tags: tagList(after.tags, ctx.ownerId),
    ...(after.thumbprints ? { ThumbprintList: after.thumbprints } : {}),
  })), { doneOn: (e) => (e.code === 'EntityAlreadyExists' ? (exists = true) : false) });
  if (exists) {
    if (!api.account) {
      const list = await api.read(ctx, 'ListOpenIDConnectProviders', change.display, (m, c) => c.send(new m.ListOpenIDConnectProvidersCommand({})));
      api.learnAccount(list.OpenIDConnectProviderList?.find((p) => p.Arn?.endsWith(`:oidc-provider/${issuer}`))?.Arn);
    }
    const arn = api.account ? arnOf(api.account, `oidc-provider/${issuer}`) : undefined;
    const live = arn ? await api.read(ctx, 'GetOpenIDConnectProvider', change.display, (m, c) => c.send(new m.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }))).catch(() => undefined) : undefined;
    const owner = ownerOf(live?.Tags);
    if (!arn || !live || owner !== ctx.ownerId) throw alreadyExists(change.display, 'CreateOpenIDConnectProvider', owner, ctx.ownerId, `oidc-provider/${issuer}`);
    const before: JsonObject = { url: after.url, clientIds: [...(live.ClientIDList ?? [])].sort(), thumbprints: [...(live.ThumbprintList ?? [])].sort(), tags: tagMap(live.Tags) };
    return updateProvider(env, adoption(env, change, before), arn);
  }
  api.learnAccount(created?.OpenIDConnectProviderArn);
}

async function updateProvider(env: ApplyEnv, change: ApplyChange, arn: string): Promise<void> {
  const { api, ctx } = env;
  const before = change.before as Oidc;
  const after = resolvedAfter<Oidc>(env, change);
  const subject = change.display;
  for (const id of after.clientIds) {
    if (before.clientIds.includes(id)) continue;
    await api.write(ctx, 'AddClientIDToOpenIDConnectProvider', subject, (m, c) => c.send(new m.AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: id })));
  }
  for (const id of before.clientIds) {
    if (after.clientIds.includes(id)) continue;
    await api.write(ctx, 'RemoveClientIDFromOpenIDConnectProvider', subject, (m, c) => c.send(new m.RemoveClientIDFromOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: id })));
  }
  const thumbprints = after.thumbprints;
  if (thumbprints && JSON.stringify(thumbprints) !== JSON.stringify(before.thumbprints ?? [])) {
    await api.write(ctx, 'UpdateOpenIDConnectProviderThumbprint', subject, (m, c) => c.send(new m.UpdateOpenIDConnectProviderThumbprintCommand({ OpenIDConnectProviderArn: arn, ThumbprintList: thumbprints })));
  }
  await syncTags(env, subject, before.tags, after.tags, change.observed?.ownership.state !== 'owned',
    (Tags) => api.write(ctx, 'TagOpenIDConnectProvider', subject, (m, c) => c.send(new m.TagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, Tags }))),
    (TagKeys) => api.write(ctx, 'UntagOpenIDConnectProvider', subject, (m, c) => c.send(new m.UntagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, TagKeys }))));
}

async function deleteProvider(env: ApplyEnv, subject: string, arn: string): Promise<void> {
  await env.api.write(env.ctx, 'DeleteOpenIDConnectProvider', subject, (m, c) => c.send(new m.DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })), { doneOn: NO_SUCH_ENTITY });
}
