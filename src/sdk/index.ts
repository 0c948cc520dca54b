// trueup's provider SDK: the only module providers (built-in or plugins) import.
export * from './types.ts';
export * from './errors.ts';
export { canonicalJson, deepEqual, diffValues, pathMatches, maskSensitive, SensitiveValues } from './values.ts';
export { scopeMatcher } from './scope.ts';
export { TokenBucket, sharedBucket } from './rate-limit.ts';
export { mapLimit } from './concurrency.ts';
export { backoffDelay, sleep, withRetries, type RetryOptions } from './retry.ts';
export { hasUnprintable, printable } from './printable.ts';
export { awsAnswerDeadline, boundBody } from './deadline.ts';
