// POST /v1/releases/answers?projectId=ID&release=NAME        {caseId, output} per line
// POST /v1/releases/shadow-answers?projectId=ID&release=NAME {traceId, output} per line
// JSONL (optionally gzip) streamed into the database; bad lines reported by number.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../db/client';
import { authenticate } from '../services/api-keys';
import { ServiceError } from '../services/errors';
import { requireProject } from '../services/projects';
import { DEFAULT_MAX_LINE_BYTES } from '../services/ingestion/ingest-traces';
import { splitNdjsonLines } from '../services/ingestion/ndjson-lines';
import { supplyAnswerLines, type AnswerKind } from '../services/releases/answer-uploads';
import { openNdjsonBody, sendJson } from './ndjson-body';

export const ANSWER_ROUTES = new Map<string, AnswerKind>([
  ['/v1/releases/answers', 'case'],
  ['/v1/releases/shadow-answers', 'shadow'],
]);

export async function handleAnswerUpload(db: Db, req: IncomingMessage, res: ServerResponse, url: URL, kind: AnswerKind): Promise<void> {
  try {
    if (req.method !== 'POST') throw new ServiceError('BAD_USER_INPUT', 'use POST with a JSONL body');
    const principal = await authenticate(db, req.headers.authorization ?? null);
    const projectId = url.searchParams.get('projectId') ?? principal.projectId;
    if (!projectId) throw new ServiceError('BAD_USER_INPUT', 'which project? pass ?projectId=ID or use a project-scoped key');
    const release = url.searchParams.get('release');
    if (!release) throw new ServiceError('BAD_USER_INPUT', 'which release? pass ?release=NAME');
    // Refused before the body is read: a key without the right gets 403, whatever it sends.
    await requireProject(db, principal, projectId, 'ingest');
    const body = openNdjsonBody(req, res);
    if (!body) return;
    let streamError: Error | null = null;
    body.on('error', (error: Error) => (streamError = error));
    const summary = await supplyAnswerLines(db, principal, { projectId, release, kind, lines: splitNdjsonLines(body, DEFAULT_MAX_LINE_BYTES), maxLineBytes: DEFAULT_MAX_LINE_BYTES }).catch((error: Error) => {
      if (streamError || (error as NodeJS.ErrnoException).code?.startsWith?.('Z_')) throw new ServiceError('BAD_USER_INPUT', `the body could not be read: ${(streamError ?? error).message}`);
      throw error;
    });
    sendJson(res, 200, summary);
  } catch (error) {
    // The body is not read on a refusal; drain it so the client gets the answer.
    req.resume();
    if (error instanceof ServiceError) sendJson(res, error.httpStatus, { error: { code: error.code, message: error.message } });
    else {
      console.error('answer upload failed', error);
      sendJson(res, 500, { error: { code: 'INTERNAL', message: 'the upload failed; batches stored before the failure are kept, re-sending is safe' } });
    }
  }
}
