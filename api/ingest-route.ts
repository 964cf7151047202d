// POST /v1/traces?projectId=ID: NDJSON (optionally gzip) streamed into the database.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../db/client';
import { authenticate } from '../services/api-keys';
import { ServiceError } from '../services/errors';
import { serviceLog, type Logger } from '../services/logging';
import { consumeRequest } from '../services/rate-limit';
import { requireProject } from '../services/projects';
import { ingestParsedTraces, parseNdjsonLines, DEFAULT_MAX_LINE_BYTES } from '../services/ingestion/ingest-traces';
import { splitNdjsonLines } from '../services/ingestion/ndjson-lines';
import { isBodyReadError, openNdjsonBody, sendJson } from './ndjson-body';

export interface RouteLogging {
  /** The request's logger. */
  log?: Logger;
  /** Told the key id once the key is known, for the request's access line. */
  onKey?: (keyId: string) => void;
}

export interface IngestRouteOptions extends RouteLogging {
  maxLineBytes?: number;
}

export async function handleTraceIngest(db: Db, req: IncomingMessage, res: ServerResponse, url: URL, options: IngestRouteOptions = {}): Promise<void> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let log = options.log ?? serviceLog();
  const started = Date.now();
  try {
    const principal = await authenticate(db, req.headers.authorization ?? null);
    options.onKey?.(principal.keyId);
    log = log.child({ keyId: principal.keyId, role: principal.role });
    await consumeRequest(principal.keyId);
    if (req.method !== 'POST') throw new ServiceError('BAD_USER_INPUT', 'use POST with an NDJSON body');
    const projectId = url.searchParams.get('projectId') ?? principal.projectId;
    if (!projectId) throw new ServiceError('BAD_USER_INPUT', 'which project? pass ?projectId=ID or use a project-scoped key');
    await requireProject(db, principal, projectId, 'ingest');

    const body = openNdjsonBody(req, res);
    if (!body) return;
    const summary = await ingestParsedTraces(db, projectId, parseNdjsonLines(splitNdjsonLines(body.stream, maxLineBytes), maxLineBytes)).catch((error: Error) => {
      if (isBodyReadError(body, error)) throw new ServiceError('BAD_USER_INPUT', `the body could not be read: ${(body.readError() ?? error).message}`);
      throw error;
    });
    // Counts and the first reasons only: the lines themselves are user data.
    log.info({ projectId, received: summary.received, accepted: summary.accepted, updated: summary.updated, duplicates: summary.duplicates, rejected: summary.rejected, firstErrors: summary.errors.slice(0, 5), durationMs: Date.now() - started }, 'traces ingested');
    sendJson(res, 200, summary);
  } catch (error) {
    // Whatever was not read is drained, as the answer and label routes do.
    req.resume();
    if (error instanceof ServiceError) {
      log.info({ code: error.code, reason: error.message }, 'ingest refused');
      sendJson(res, error.httpStatus, { error: { code: error.code, message: error.message } });
    } else {
      log.error({ err: error }, 'ingest failed');
      sendJson(res, 500, { error: { code: 'INTERNAL', message: 'ingestion failed; batches acknowledged before the failure are stored, re-sending is safe' } });
    }
  }
}
