// POST /v1/releases/answers?projectId=ID&release=NAME        {caseId, output} per line
// POST /v1/releases/shadow-answers?projectId=ID&release=NAME {traceId, output} per line
// JSONL (optionally gzip) streamed into the database; bad lines reported by number.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../db/client';
import { authenticate } from '../services/api-keys';
import { ServiceError } from '../services/errors';
import { serviceLog } from '../services/logging';
import { consumeRequest } from '../services/rate-limit';
import { requireProject } from '../services/projects';
import { DEFAULT_MAX_LINE_BYTES } from '../services/ingestion/ingest-traces';
import { splitNdjsonLines } from '../services/ingestion/ndjson-lines';
import { supplyAnswerLines, type AnswerKind } from '../services/releases/answer-uploads';
import type { RouteLogging } from './ingest-route';
import { isBodyReadError, openNdjsonBody, sendJson } from './ndjson-body';

export const ANSWER_ROUTES = new Map<string, AnswerKind>([
  ['/v1/releases/answers', 'case'],
  ['/v1/releases/shadow-answers', 'shadow'],
]);

export async function handleAnswerUpload(db: Db, req: IncomingMessage, res: ServerResponse, url: URL, kind: AnswerKind, options: RouteLogging = {}): Promise<void> {
  let log = options.log ?? serviceLog();
  try {
    // The key first (as on every route), then its rate limit, then the request's shape.
    const principal = await authenticate(db, req.headers.authorization ?? null);
    options.onKey?.(principal.keyId);
    log = log.child({ keyId: principal.keyId, role: principal.role });
    await consumeRequest(principal.keyId);
    if (req.method !== 'POST') throw new ServiceError('BAD_USER_INPUT', 'use POST with a JSONL body');
    const projectId = url.searchParams.get('projectId') ?? principal.projectId;
    if (!projectId) throw new ServiceError('BAD_USER_INPUT', 'which project? pass ?projectId=ID or use a project-scoped key');
    const release = url.searchParams.get('release');
    if (!release) throw new ServiceError('BAD_USER_INPUT', 'which release? pass ?release=NAME');
    // Refused before the body is read: a key without the right gets 403, whatever it sends.
    await requireProject(db, principal, projectId, 'ingest');
    const body = openNdjsonBody(req, res);
    if (!body) return;
    const summary = await supplyAnswerLines(db, principal, { projectId, release, kind, lines: splitNdjsonLines(body.stream, DEFAULT_MAX_LINE_BYTES), maxLineBytes: DEFAULT_MAX_LINE_BYTES }).catch((error: Error) => {
      if (isBodyReadError(body, error)) throw new ServiceError('BAD_USER_INPUT', `the body could not be read: ${(body.readError() ?? error).message}`);
      throw error;
    });
    // Counts and the first reasons only: the answers themselves are user data.
    log.info({ projectId, release, kind, received: summary.received, rejected: summary.rejected, firstErrors: summary.errors.slice(0, 5) }, 'answers uploaded');
    sendJson(res, 200, summary);
  } catch (error) {
    // The body is not read on a refusal; drain it so the client gets the answer.
    req.resume();
    if (error instanceof ServiceError) {
      log.info({ code: error.code, reason: error.message }, 'answer upload refused');
      sendJson(res, error.httpStatus, { error: { code: error.code, message: error.message } });
    } else {
      log.error({ err: error }, 'answer upload failed');
      sendJson(res, 500, { error: { code: 'INTERNAL', message: 'the upload failed; batches stored before the failure are kept, re-sending is safe' } });
    }
  }
}
