// Cloud DNS health checks compare in one form: the declared short `projects/…` form and the full
// URL the API documents (RRSetRoutingPolicy.healthCheck) are the same check, so a plan is never
// dirty because the server lists the other form (issue 11, item 4).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalPolicy, policyFromWire, policyToWire } from '../../providers/gcp-dns/policy.ts';

const FULL = 'https://www.googleapis.com/compute/v1/projects/p/global/healthChecks/web';
const policy = (healthCheck: string) => ({
  healthCheck,
  primaryBackup: { primary: { externalEndpoints: ['198.51.100.1'] }, backup: [{ location: 'us-east1', values: ['198.51.100.10'] }] },
});
const wire = (healthCheck: string) => ({
  healthCheck,
  primaryBackup: { primaryTargets: { externalEndpoints: ['198.51.100.1'] }, backupGeoTargets: { items: [{ location: 'us-east1', rrdatas: ['198.51.100.10'] }] } },
});

describe('Cloud DNS health check forms', () => {
  it('declared short or full, listed short or full: one canonical value, sent as the documented URL', () => {
    const forms = ['projects/p/global/healthChecks/web', FULL, 'https://compute.googleapis.com/compute/v1/projects/p/global/healthChecks/web'];
    const declared = forms.map((f) => canonicalPolicy('A', policy(f)).policy);
    const listed = forms.map((f) => policyFromWire('A', wire(f)));
    for (const value of [...declared, ...listed]) assert.deepEqual(value, declared[0]);
    assert.equal((declared[0] as { healthCheck: string }).healthCheck, FULL);
    assert.equal(policyToWire(declared[0] as never).healthCheck, FULL);
  });
});
