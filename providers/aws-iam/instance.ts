// One configured aws-iam instance. Creating it does no I/O; the AWS SDK loads on first use.

import type {
  ApplyChange, ChangeOutcome, DesiredObject, ExpandContext, ImportRequest, JsonObject, ObserveRequest, ObserveResult,
  ProviderContext, ProviderInstance, Resource, ResourceIssue,
} from '../../src/sdk/index.ts';
import { applyChanges } from './apply/index.ts';
import { IamApi } from './client.ts';
import { expandResources } from './expand.ts';
import { importEntities } from './import.ts';
import { observe } from './observe.ts';
import type { IamSettings } from './schema.ts';
import { PolicyTagCache } from './policy-tags.ts';

export class IamInstance implements ProviderInstance {
  readonly api: IamApi;
  private readonly settings: IamSettings;
  private readonly policyTags: PolicyTagCache;

  constructor(settings: IamSettings) {
    this.settings = settings;
    this.policyTags = new PolicyTagCache(settings.policyTagsRefreshSeconds * 1000);
    this.api = new IamApi(settings);
  }

  expand(resources: Resource[], ctx: ExpandContext): { objects: DesiredObject[]; issues: ResourceIssue[] } {
    return expandResources(resources, ctx, this.settings.accountId);
  }

  observe(request: ObserveRequest, ctx: ProviderContext): Promise<ObserveResult> {
    return observe(this.api, request, ctx, this.settings.concurrency, this.policyTags);
  }

  apply(changes: ApplyChange[], ctx: ProviderContext): Promise<ChangeOutcome[]> {
    return applyChanges({ api: this.api, ctx }, changes, this.settings.concurrency);
  }

  import(request: ImportRequest, ctx: ProviderContext): Promise<JsonObject[]> {
    return importEntities(this.api, request, ctx, this.settings.concurrency);
  }

  async close(): Promise<void> {
    this.api.close();
  }
}
