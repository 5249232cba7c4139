/** How many characters the two texts share at the start (`head`) and, after that, at the end (`tail`). */
export function changedRegion(before: string, after: string): { head: number; tail: number } {
  const shorter = Math.min(before.length, after.length);
  let head = 0;
  // Whole blocks first (string slices compare natively), then character by character.
  const BLOCK = 1024;
  while (head + BLOCK <= shorter && before.slice(head, head + BLOCK) === after.slice(head, head + BLOCK)) {
    head += BLOCK;
  }
  while (head < shorter && before.charCodeAt(head) === after.charCodeAt(head)) head++;
  let tail = 0;
  const room = shorter - head;
  while (
    tail + BLOCK <= room &&
    before.slice(before.length - tail - BLOCK, before.length - tail) ===
      after.slice(after.length - tail - BLOCK, after.length - tail)
  ) {
    tail += BLOCK;
  }
  while (
    tail < room &&
    before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)
  ) {
    tail++;
  }
  return { head, tail };
}
