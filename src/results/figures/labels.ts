/** Small pieces of wording and scale shared by the figures. */

/** "1 rat", "3 rats". */
export const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** A title's lines (`\n` separates them). */
export const titleLines = (title: string): string[] => title.split('\n');

/**
 * A padded [min, max] of the finite values, always containing 0 ([−1, 1] when every value is 0):
 * each end moves out by `pad` of the range, except, with `anchorZero`, an end at 0 (bars start on
 * the axis).
 */
export function paddedRange(values: Iterable<number>, pad = 0.06, anchorZero = false): [number, number] {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi === lo) return [-1, 1];
  const margin = pad * (hi - lo);
  if (!anchorZero) return [lo - margin, hi + margin];
  return [lo < 0 ? lo - margin : 0, hi > 0 ? hi + margin : 0];
}
