// Content addressing for eval cases and set versions: identical content hashes equal, so
// a re-run merge finds the rows it already wrote and two versions can be compared cheaply.
import { createHash } from 'node:crypto';
import { stableStringify, type JsonValue } from '../traces/trace-schema';
import type { EvalCaseContent } from './types';

/**
 * Exactly the EvalCaseContent fields, nothing else. Hashing goes through this so that an
 * ExportCase (content + id + contentHash) or a database row hashes the same as the bare
 * content it carries.
 */
export function pickCaseContent(c: EvalCaseContent): EvalCaseContent {
  return {
    caseKey: c.caseKey,
    input: c.input,
    sessionContext: c.sessionContext,
    retrievedContext: c.retrievedContext,
    output: c.output,
    expected: c.expected,
    labels: c.labels,
    verdict: c.verdict,
    failureCategory: c.failureCategory,
    slice: c.slice,
    needsAdjudication: c.needsAdjudication,
    sourceTraceId: c.sourceTraceId,
    sourceRunId: c.sourceRunId,
  };
}

/** SHA-256 (hex) of the sorted-key JSON of the case content; key order never matters. */
export function caseContentHash(c: EvalCaseContent): string {
  // EvalCaseContent is plain JSON data; the interface just lacks JsonValue's index signature.
  const json = stableStringify(pickCaseContent(c) as unknown as JsonValue);
  return createHash('sha256').update(json, 'utf8').digest('hex');
}

/**
 * SHA-256 (hex) of a version's case hashes. A version is a set of cases, not a list, so the
 * hashes are sorted first: the same cases in any order give the same version hash.
 * Duplicates are kept (a multiset), so listing a case twice is visible as a different hash.
 */
export function versionContentHash(caseHashes: readonly string[]): string {
  const sorted = [...caseHashes].sort();
  return createHash('sha256').update(sorted.join('\n'), 'utf8').digest('hex');
}
