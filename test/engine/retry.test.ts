import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, withRetries } from '../../src/sdk/index.ts';

describe('SDK retries', () => {
  it('retries retryable failures with doubling delays, capped, and gives up after the attempts', async () => {
    const waits: number[] = [];
    let calls = 0;
    await assert.rejects(withRetries(async () => {
      calls += 1;
      throw new Error('Throttling');
    }, { attempts: 4, baseDelayMs: 1, maxDelayMs: 3, retryable: () => true, onRetry: (_e, _a, d) => waits.push(d) }), /Throttling/);
    assert.equal(calls, 4);
    assert.deepEqual(waits, [1, 2, 3]);
  });

  it('stops at once on a failure that is not retryable, and returns the first success', async () => {
    let calls = 0;
    await assert.rejects(withRetries(async () => { calls += 1; throw new Error('AccessDenied'); }, { attempts: 5, baseDelayMs: 1, retryable: () => false }), /AccessDenied/);
    assert.equal(calls, 1);
    const value = await withRetries(async (attempt) => { if (attempt < 3) throw new Error('503'); return attempt; }, { attempts: 5, baseDelayMs: 1, retryable: () => true });
    assert.equal(value, 3);
  });

  it('jitters between half and all of the delay', () => {
    for (let i = 0; i < 50; i += 1) {
      const d = backoffDelay(3, { baseDelayMs: 100, jitter: true });
      assert.ok(d >= 200 && d <= 400, String(d));
    }
  });
});
