/**
 * Small counts are suppressed so that no applicant can be singled out (k-anonymity): a count from 1
 * to k-1 is published as null ("<k"). Suppressing a cell alone is not enough when the cells of a
 * breakdown add up to a published total (abandoned by step, survey answers by score, paid and not
 * paid of the submitted): the total minus the visible parts would give the hidden one back. So
 * within such a group the suppressed parts must be at least two and add up to at least k; until they
 * do, the smallest visible part is suppressed as well (complementary suppression), and when no part
 * is left to suppress, the total goes too. A total below k takes its whole breakdown with it.
 */

/** A published count: the number, or null where it is suppressed. */
export type Count = number | null;

export function isSmall(n: number, k: number): boolean {
  return n > 0 && n < k;
}

export function single(n: number, k: number): Count {
  return isSmall(n, k) ? null : n;
}

export interface Protected {
  total: Count;
  parts: Count[];
}

/** The group `parts` of `total`, suppressed so that no hidden part can be worked out (see above). */
export function protectGroup(total: number, parts: readonly number[], k: number): Protected {
  if (isSmall(total, k)) return { total: null, parts: parts.map(() => null) };
  const hidden = parts.map((n) => isSmall(n, k));
  for (;;) {
    const count = hidden.filter(Boolean).length;
    const sum = parts.reduce((acc, n, i) => acc + (hidden[i] ? n : 0), 0);
    if (count === 0 || (count >= 2 && sum >= k)) break;
    const candidate = smallestVisible(parts, hidden);
    if (candidate === undefined) {
      // Nothing left to hide among the parts: the total would give the hidden ones away.
      return { total: null, parts: parts.map((n, i) => (hidden[i] ? null : n)) };
    }
    hidden[candidate] = true;
  }
  return { total, parts: parts.map((n, i) => (hidden[i] ? null : n)) };
}

/** The smallest part that is visible and not zero (a zero hides nothing and reveals nothing). */
function smallestVisible(parts: readonly number[], hidden: readonly boolean[]): number | undefined {
  let best: number | undefined;
  parts.forEach((n, i) => {
    if (!hidden[i] && n > 0 && (best === undefined || n < (parts[best] as number))) best = i;
  });
  return best;
}
