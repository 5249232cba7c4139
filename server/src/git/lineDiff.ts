/**
 * Which lines of a new text are added or changed relative to an old one: a line diff (Myers' O(ND)
 * algorithm, linear-space bisection, after the usual speed-ups that do not change the result: common
 * prefix and suffix trimmed, and lines that occur on only one side set aside since they can never match).
 * Lines split as LSP does (`\r\n`, `\n` or `\r`), so CRLF and LF versions of one text do not differ.
 */

/** Work above this many diagonal steps gives up on precision: the remaining region counts as changed. */
const DEFAULT_BUDGET = 5_000_000;

export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/** 0-based indices, ascending, of the lines of `newText` that are not matched to a line of `oldText`. */
export function changedLineIndices(oldText: string, newText: string, budget = DEFAULT_BUDGET): number[] {
  const oldLines = splitLines(oldText);
  const newLines = splitLines(newText);
  // The common head and tail are compared as strings: most edits leave little else to look at.
  let start = 0;
  while (start < oldLines.length && start < newLines.length && oldLines[start] === newLines[start]) start++;
  let aEnd = oldLines.length;
  let bEnd = newLines.length;
  while (aEnd > start && bEnd > start && oldLines[aEnd - 1] === newLines[bEnd - 1]) {
    aEnd--;
    bEnd--;
  }
  if (start === bEnd) return [];
  if (start === aEnd) return range(start, bEnd);

  // Numbers for the lines of the middle; a line on one side only is certainly changed (or removed) and
  // can never be part of a match, so it is set aside before the search.
  const ids = new Map<string, number>();
  const idOf = (line: string) => {
    let id = ids.get(line);
    if (id === undefined) {
      id = ids.size;
      ids.set(line, id);
    }
    return id;
  };
  const a = new Int32Array(aEnd - start);
  for (let i = start; i < aEnd; i++) a[i - start] = idOf(oldLines[i] as string);
  const b = new Int32Array(bEnd - start);
  for (let i = start; i < bEnd; i++) b[i - start] = idOf(newLines[i] as string);
  const inA = new Uint8Array(ids.size);
  const inB = new Uint8Array(ids.size);
  for (const id of a) inA[id] = 1;
  for (const id of b) inB[id] = 1;
  const aKept = a.filter((id) => inB[id] === 1);
  const bKept: number[] = [];
  const bIndex: number[] = [];
  const changed = new Uint8Array(b.length);
  b.forEach((id, i) => {
    if (inA[id]) {
      bKept.push(id);
      bIndex.push(i);
    } else changed[i] = 1;
  });

  const matched = new Uint8Array(bKept.length);
  new Bisection(aKept, Int32Array.from(bKept), matched, budget).run();
  for (let j = 0; j < bKept.length; j++) if (!matched[j]) changed[bIndex[j] as number] = 1;

  const result: number[] = [];
  for (let i = 0; i < changed.length; i++) if (changed[i]) result.push(start + i);
  return result;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Consecutive 0-based indices as 1-based inclusive ranges (the shape `git diff` hunks give). */
export function toRanges(indices: readonly number[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const i of indices) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === i) last[1] = i + 1;
    else ranges.push([i + 1, i + 1]);
  }
  return ranges;
}

/**
 * Myers' bisection (as in diff-match-patch's `diff_bisect`): find a point on an optimal path by running
 * the forward and backward searches until they meet, split there, and recurse. Marks the matched lines of
 * `b` in `matched`.
 */
class Bisection {
  private steps = 0;

  constructor(
    private readonly a: Int32Array,
    private readonly b: Int32Array,
    private readonly matched: Uint8Array,
    private budget: number,
  ) {}

  run(): void {
    const stack: [number, number, number, number][] = [[0, this.a.length, 0, this.b.length]];
    for (let job = stack.pop(); job; job = stack.pop()) {
      const split = this.step(...job);
      if (split) stack.push(...split);
    }
  }

  /** Trims the region's common ends; returns the two halves to do next, if any. */
  private step(
    aLo: number,
    aHi: number,
    bLo: number,
    bHi: number,
  ): [number, number, number, number][] | undefined {
    const { a, b, matched } = this;
    while (aLo < aHi && bLo < bHi && a[aLo] === b[bLo]) {
      matched[bLo] = 1;
      aLo++;
      bLo++;
    }
    while (aLo < aHi && bLo < bHi && a[aHi - 1] === b[bHi - 1]) {
      matched[bHi - 1] = 1;
      aHi--;
      bHi--;
    }
    if (aLo === aHi || bLo === bHi) return undefined;
    if (aHi - aLo === 1 && bHi - bLo === 1) return undefined; // two different lines
    if (this.steps > this.budget) return undefined; // out of budget: the region stays "changed"
    const point = this.bisect(aLo, aHi, bLo, bHi);
    if (!point) return undefined;
    const [x, y] = point;
    return [
      [aLo, x, bLo, y],
      [x, aHi, y, bHi],
    ];
  }

  /** A split point `[x, y]` (absolute indices) on a shortest edit path, or undefined if nothing matches. */
  private bisect(aLo: number, aHi: number, bLo: number, bHi: number): [number, number] | undefined {
    const { a, b } = this;
    const n = aHi - aLo;
    const m = bHi - bLo;
    const maxD = Math.ceil((n + m) / 2);
    const offset = maxD;
    const length = 2 * maxD + 2;
    const v1 = new Int32Array(length).fill(-1);
    const v2 = new Int32Array(length).fill(-1);
    v1[offset + 1] = 0;
    v2[offset + 1] = 0;
    const delta = n - m;
    const front = delta % 2 !== 0;
    let k1start = 0;
    let k1end = 0;
    let k2start = 0;
    let k2end = 0;
    for (let d = 0; d < maxD; d++) {
      for (let k1 = -d + k1start; k1 <= d - k1end; k1 += 2) {
        const i1 = offset + k1;
        let x1 =
          k1 === -d || (k1 !== d && (v1[i1 - 1] as number) < (v1[i1 + 1] as number))
            ? (v1[i1 + 1] as number)
            : (v1[i1 - 1] as number) + 1;
        let y1 = x1 - k1;
        const x0 = x1;
        while (x1 < n && y1 < m && a[aLo + x1] === b[bLo + y1]) {
          x1++;
          y1++;
        }
        this.steps += 1 + x1 - x0;
        v1[i1] = x1;
        if (x1 > n) k1end += 2;
        else if (y1 > m) k1start += 2;
        else if (front) {
          const i2 = offset + delta - k1;
          if (i2 >= 0 && i2 < length && v2[i2] !== -1 && x1 >= n - (v2[i2] as number))
            return [aLo + x1, bLo + y1];
        }
      }
      for (let k2 = -d + k2start; k2 <= d - k2end; k2 += 2) {
        const i2 = offset + k2;
        let x2 =
          k2 === -d || (k2 !== d && (v2[i2 - 1] as number) < (v2[i2 + 1] as number))
            ? (v2[i2 + 1] as number)
            : (v2[i2 - 1] as number) + 1;
        let y2 = x2 - k2;
        const x0 = x2;
        while (x2 < n && y2 < m && a[aHi - 1 - x2] === b[bHi - 1 - y2]) {
          x2++;
          y2++;
        }
        this.steps += 1 + x2 - x0;
        v2[i2] = x2;
        if (x2 > n) k2end += 2;
        else if (y2 > m) k2start += 2;
        else if (!front) {
          const i1 = offset + delta - k2;
          if (i1 >= 0 && i1 < length && v1[i1] !== -1) {
            const x1 = v1[i1] as number;
            const y1 = offset + x1 - i1;
            if (x1 >= n - x2) return [aLo + x1, bLo + y1];
          }
        }
      }
      if (this.steps > this.budget) return undefined;
    }
    return undefined;
  }
}
