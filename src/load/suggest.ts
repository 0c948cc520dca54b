// "did you mean …?" for misspelt field and block names: the closest known name by edit distance
// (optimal string alignment, so a swapped pair such as wieght → weight costs one edit).

/** Edit distance between a and b, counting insertions, deletions, substitutions and swaps of
 * two adjacent characters as one edit each. */
export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  let prev2: number[] = [];
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  for (let i = 1; i <= n; i += 1) {
    const row = [i];
    for (let j = 1; j <= m; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (prev2[j - 2] as number) + 1);
      row.push(d);
    }
    prev2 = prev;
    prev = row;
  }
  return prev[m] as number;
}

/** The known name closest to `word` (case and `_`/`-` ignored), when it is close enough to be a
 * typo: at most one edit per three characters, and at least one. */
export function closest(word: string, known: Iterable<string>): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const w = norm(word);
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    if (candidate === word) continue;
    const d = editDistance(w, norm(candidate));
    if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** `; did you mean weight?` or nothing. */
export function didYouMean(word: string, known: Iterable<string>): string {
  const hit = closest(word, known);
  return hit === undefined ? '' : `; did you mean ${hit}?`;
}
