/**
 * Run `fn` over `items` with at most `limit` calls in flight. After the first failure no new
 * item starts; the calls in flight finish, then the first error is thrown. Providers use it to
 * bound parallel reads (per-zone lists, per-policy tags) under the API's rate limits.
 */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const workers = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    while (next < items.length && !failure) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  });
  await Promise.all(workers);
  if (failure) throw failure.error;
}
