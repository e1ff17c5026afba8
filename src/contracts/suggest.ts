// Close matches for a mistyped name ("md.trade" -> md.trades), for error messages.

/** Levenshtein distance: insertions, deletions and substitutions each cost 1. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Names within a third of the input's length in edits, or containing it (or contained in it),
 * closest first, at most `limit`.
 */
export function closeMatches(input: string, names: readonly string[], limit = 5): string[] {
  const wanted = input.toLowerCase();
  const scored = names
    .map((name) => {
      const lower = name.toLowerCase();
      const distance = editDistance(wanted, lower);
      const related = lower.includes(wanted) || wanted.includes(lower);
      return { name, distance, ok: related || distance <= Math.max(2, Math.floor(wanted.length / 3)) };
    })
    .filter((s) => s.ok)
    .sort((x, y) => x.distance - y.distance || x.name.localeCompare(y.name));
  return scored.slice(0, limit).map((s) => s.name);
}
