// POST /v1/releases/answers?projectId=ID&release=NAME        {caseId, output} per line
// POST /v1/releases/shadow-answers?projectId=ID&release=NAME {traceId, output} per line
// JSONL (optionally gzip) streamed into the database; bad lines reported by number.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../db/client';
import { badInput } from '../services/errors';
import { requireProject } from '../services/projects';
import { DEFAULT_MAX_LINE_BYTES } from '../services/ingestion/ingest-traces';
import { splitNdjsonLines } from '../services/ingestion/ndjson-lines';
import { supplyAnswerLines, type AnswerKind } from '../services/releases/answer-uploads';
import { handleNdjsonUpload } from './ndjson-upload';
import type { RouteLogging } from './route-logging';

export const ANSWER_ROUTES = new Map<string, AnswerKind>([
  ['/v1/releases/answers', 'case'],
  ['/v1/releases/shadow-answers', 'shadow'],
]);

export async function handleAnswerUpload(db: Db, req: IncomingMessage, res: ServerResponse, url: URL, kind: AnswerKind, options: RouteLogging = {}): Promise<void> {
  await handleNdjsonUpload(db, req, res, url, {
    bodyName: 'a JSONL body',
    accept: async (principal, projectId) => {
      const release = url.searchParams.get('release');
      if (!release) throw badInput('which release? pass ?release=NAME');
      // Refused before the body is read: a key without the right gets 403, whatever it sends.
      await requireProject(db, principal, projectId, 'ingest');
      return async (body) => {
        const summary = await supplyAnswerLines(db, principal, { projectId, release, kind, lines: splitNdjsonLines(body, DEFAULT_MAX_LINE_BYTES), maxLineBytes: DEFAULT_MAX_LINE_BYTES });
        return { summary, logged: { projectId, release, kind, received: summary.received, rejected: summary.rejected, firstErrors: summary.errors.slice(0, 5) } };
      };
    },
    logLines: { stored: 'answers uploaded', refused: 'answer upload refused', failed: 'answer upload failed' },
    failureMessage: 'the upload failed; batches stored before the failure are kept, re-sending is safe',
  }, options);
}
