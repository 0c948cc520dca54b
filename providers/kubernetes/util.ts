// Small helpers without a better home.

export { mapLimit, sleep } from '../../src/sdk/index.ts';

