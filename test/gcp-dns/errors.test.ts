// How Cloud DNS failures are classified: what a retry can fix (throttling, 5xx, network), what
// the next pass heals (the live zone moved under a change), what needs a fix in Git or the
// project (invalid data, quotas, permissions) — with the API's message, subject and operation.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { TerminalError, TransientError } from '../../src/sdk/index.ts';
import { isRetryable, mapError } from '../../providers/gcp-dns/errors.ts';

const apiError = (code: number, reason: string, message: string) => Object.assign(new Error(message), { code, errors: [{ reason, message }] });

it('retries throttling, server errors and network failures, and nothing else', () => {
  assert.equal(isRetryable(apiError(429, 'rateLimitExceeded', 'Rate Limit Exceeded')), true);
  assert.equal(isRetryable(apiError(403, 'userRateLimitExceeded', 'User Rate Limit Exceeded')), true);
  assert.equal(isRetryable(apiError(500, 'internalError', 'Internal Error')), true);
  assert.equal(isRetryable(apiError(503, 'backendError', 'Backend Error')), true);
  assert.equal(isRetryable(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), true);
  assert.equal(isRetryable(apiError(400, 'invalid', 'Invalid value')), false);
  assert.equal(isRetryable(apiError(412, 'conditionNotMet', 'Precondition not met')), false);
  assert.equal(isRetryable(apiError(403, 'forbidden', 'Forbidden')), false);
});

it('maps errors to typed errors with the API message, subject and operation', () => {
  const throttled = mapError(apiError(429, 'rateLimitExceeded', 'Rate Limit Exceeded'), 'resourceRecordSets.list', 'zone example.com.');
  assert.ok(throttled instanceof TransientError);
  assert.equal(throttled.message, 'zone example.com.: resourceRecordSets.list: Rate Limit Exceeded');
  assert.equal(throttled.code, 'rateLimitExceeded');

  const moved = mapError(apiError(412, 'conditionNotMet', "Precondition not met for 'entity.change.deletions[0]'"), 'changes.create', 'www.example.com. A');
  assert.ok(moved instanceof TransientError, 'the next pass re-reads the zone and heals');
  assert.match(moved.message, /^www\.example\.com\. A: changes\.create: Precondition not met for 'entity\.change\.deletions\[0\]'/);

  const invalid = mapError(apiError(400, 'invalid', "Invalid value for 'entity.change.additions[0].rrdata[0]': '1.2.3'"), 'changes.create', 'x.example.com. A');
  assert.ok(invalid instanceof TerminalError);
  assert.equal(invalid.info().transient, false);
  assert.equal(invalid.info().operation, 'changes.create');

  assert.ok(mapError(apiError(413, 'quotaExceeded', 'Quota exceeded'), 'changes.create') instanceof TerminalError);
  assert.ok(mapError(apiError(403, 'forbidden', 'The caller does not have permission'), 'managedZones.list') instanceof TerminalError);
  assert.ok(mapError(apiError(409, 'alreadyExists', 'exists'), 'managedZones.create') instanceof TerminalError, 'only a change can be healed by re-reading');
});
