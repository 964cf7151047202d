// POST /v1/traces?projectId=ID: NDJSON (optionally gzip) streamed into the database.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../db/client';
import { requireProject } from '../services/projects';
import { ingestParsedTraces, parseNdjsonLines, DEFAULT_MAX_LINE_BYTES } from '../services/ingestion/ingest-traces';
import { splitNdjsonLines } from '../services/ingestion/ndjson-lines';
import { handleNdjsonUpload } from './ndjson-upload';
import type { RouteLogging } from './route-logging';

export interface IngestRouteOptions extends RouteLogging {
  maxLineBytes?: number;
}

export async function handleTraceIngest(db: Db, req: IncomingMessage, res: ServerResponse, url: URL, options: IngestRouteOptions = {}): Promise<void> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const started = Date.now();
  await handleNdjsonUpload(db, req, res, url, {
    bodyName: 'an NDJSON body',
    accept: async (principal, projectId) => {
      await requireProject(db, principal, projectId, 'ingest');
      return async (body) => {
        const summary = await ingestParsedTraces(db, projectId, parseNdjsonLines(splitNdjsonLines(body, maxLineBytes), maxLineBytes));
        return {
          summary,
          logged: { projectId, received: summary.received, accepted: summary.accepted, updated: summary.updated, duplicates: summary.duplicates, rejected: summary.rejected, firstErrors: summary.errors.slice(0, 5), durationMs: Date.now() - started },
        };
      };
    },
    logLines: { stored: 'traces ingested', refused: 'ingest refused', failed: 'ingest failed' },
    failureMessage: 'ingestion failed; batches acknowledged before the failure are stored, re-sending is safe',
  }, options);
}
