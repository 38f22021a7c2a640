/**
 * "Did you mean" for misspelt names in config errors: the closest candidate within 2 edits, or
 * else a candidate that contains the name as one of its words (`apikey` → `auth-apikey`,
 * `jwt` → `auth-jwt`), ignoring case, `-` and `_`.
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined) return best;
  const plain = (text: string) => text.toLowerCase().replace(/[-_]/g, '');
  const wanted = plain(input);
  // Short inputs would match too much by containment.
  if (wanted.length < 3) return undefined;
  const words = (text: string) => text.toLowerCase().split(/[-_]/).map(plain);
  return (
    candidates.find((candidate) => words(candidate).some((word) => editDistance(word, wanted) <= (wanted.length > 5 ? 1 : 0))) ??
    candidates.find((candidate) => plain(candidate).includes(wanted) || (plain(candidate).length >= 3 && wanted.includes(plain(candidate))))
  );
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
