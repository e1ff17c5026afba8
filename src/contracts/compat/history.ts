// Checks a product's whole version history: each version must read everything the earlier ones wrote.

import { type JsonProduct } from '../product.ts';
import { backwardIssues, type CompatibilityIssue } from './backward.ts';

export interface HistoryProblem {
  readonly topic: string;
  readonly from: number;
  readonly to: number;
  readonly issues: readonly CompatibilityIssue[];
}

/**
 * Compares every older version with every newer one, not only neighbours: the decoder
 * returns an old record as the current type, which needs v1 to be readable by the latest.
 */
export function checkHistory(product: JsonProduct): HistoryProblem[] {
  const versions = product.value.versions;
  const problems: HistoryProblem[] = [];
  versions.forEach((v, i) => {
    if (v.version !== i + 1)
      problems.push({
        topic: product.topic,
        from: v.version,
        to: v.version,
        issues: [{ path: '', message: `version ${v.version} is at position ${i + 1} of the history` }],
      });
  });
  for (let i = 0; i < versions.length; i++) {
    for (let j = i + 1; j < versions.length; j++) {
      const issues = backwardIssues(versions[i]!.schema, versions[j]!.schema);
      if (issues.length > 0)
        problems.push({ topic: product.topic, from: versions[i]!.version, to: versions[j]!.version, issues });
    }
  }
  return problems;
}
