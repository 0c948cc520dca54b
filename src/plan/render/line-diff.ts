// A line-level diff of two texts (pretty-printed JSON documents: IAM policies, manifests), so a
// reviewer sees the one action added to a policy instead of two one-line JSON blobs. Myers' O(ND)
// algorithm ("An O(ND) Difference Algorithm and Its Variations", 1986) over the lines left after
// trimming the common head and tail; past MAX_EDITS differing lines it gives up on alignment and
// shows the middle as removed then added, so a rewritten document costs linear time, not N×M.

export type DiffOp = { op: ' ' | '-' | '+'; text: string };

const MAX_EDITS = 400;

export function diffTextLines(before: readonly string[], after: readonly string[]): DiffOp[] {
  let head = 0;
  while (head < before.length && head < after.length && before[head] === after[head]) head++;
  let tail = 0;
  while (tail < before.length - head && tail < after.length - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  const a = before.slice(head, before.length - tail);
  const b = after.slice(head, after.length - tail);
  const out: DiffOp[] = [];
  for (let i = 0; i < head; i++) out.push({ op: ' ', text: before[i] ?? '' });
  for (const op of myers(a, b)) out.push(op);
  for (let i = before.length - tail; i < before.length; i++) out.push({ op: ' ', text: before[i] ?? '' });
  return out;
}

function myers(a: readonly string[], b: readonly string[]): DiffOp[] {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return [...a.map((text) => ({ op: '-' as const, text })), ...b.map((text) => ({ op: '+' as const, text }))];
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0)) ? (v[offset + k + 1] ?? 0) : (v[offset + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) { x++; y++; }
      v[offset + k] = x;
      if (x >= n && y >= m) { found = d; break; }
    }
  }
  if (found < 0) return [...a.map((text) => ({ op: '-' as const, text })), ...b.map((text) => ({ op: '+' as const, text }))];
  // Walk the trace back from (n, m), collecting the edit script in reverse.
  const reversed: DiffOp[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d] ?? v;
    const k = x - y;
    const down = k === -d || (k !== d && (prev[offset + k - 1] ?? 0) < (prev[offset + k + 1] ?? 0));
    const prevK = down ? k + 1 : k - 1;
    const prevX = prev[offset + prevK] ?? 0;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) { reversed.push({ op: ' ', text: a[x - 1] ?? '' }); x--; y--; }
    if (down) reversed.push({ op: '+', text: b[prevY] ?? '' });
    else reversed.push({ op: '-', text: a[prevX] ?? '' });
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) { reversed.push({ op: ' ', text: a[x - 1] ?? '' }); x--; y--; }
  return reversed.reverse();
}

/** Unchanged runs longer than 2 × context shrink to their edges and a count of lines left out. */
export type ShownLine = DiffOp | { op: '…'; count: number };

export function withContext(ops: readonly DiffOp[], context = 3): ShownLine[] {
  const out: ShownLine[] = [];
  let i = 0;
  while (i < ops.length) {
    if (ops[i]?.op !== ' ') { out.push(ops[i] as DiffOp); i++; continue; }
    let j = i;
    while (j < ops.length && ops[j]?.op === ' ') j++;
    const keepHead = i === 0 ? 0 : context;
    const keepTail = j === ops.length ? 0 : context;
    if (j - i > keepHead + keepTail + 1) {
      for (let k = i; k < i + keepHead; k++) out.push(ops[k] as DiffOp);
      out.push({ op: '…', count: j - i - keepHead - keepTail });
      for (let k = j - keepTail; k < j; k++) out.push(ops[k] as DiffOp);
    } else {
      for (let k = i; k < j; k++) out.push(ops[k] as DiffOp);
    }
    i = j;
  }
  return out;
}
