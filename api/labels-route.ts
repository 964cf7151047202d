// POST /v1/labels?projectId=ID&dataset=NAME&kind=pairwise|pointwise[&preset=P][&mapping=JSON]:
// a JSONL file of labels or judge verdicts (optionally gzip) streamed into imported
// judgments. GraphQL's importLabels takes the same rows but holds the whole text in one
// request (8 MB at most); this route reads line by line, so a file of any size works.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../db/client';
import { authenticate } from '../services/api-keys';
import { ServiceError, badInput } from '../services/errors';
import { serviceLog } from '../services/logging';
import { consumeRequest } from '../services/rate-limit';
import { MAX_LABEL_LINE_BYTES, importLabels } from '../services/imports/import-labels';
import { splitNdjsonLines } from '../services/ingestion/ndjson-lines';
import type { RouteLogging } from './ingest-route';
import { isBodyReadError, openNdjsonBody, sendJson } from './ndjson-body';

export const LABELS_PATH = '/v1/labels';

export async function handleLabelImport(db: Db, req: IncomingMessage, res: ServerResponse, url: URL, options: RouteLogging = {}): Promise<void> {
  let log = options.log ?? serviceLog();
  try {
    // The key first (as on every route), then its rate limit, then the request's shape.
    const principal = await authenticate(db, req.headers.authorization ?? null);
    options.onKey?.(principal.keyId);
    log = log.child({ keyId: principal.keyId, role: principal.role });
    await consumeRequest(principal.keyId);
    if (req.method !== 'POST') throw badInput('use POST with a JSONL body');
    const param = (name: string) => url.searchParams.get(name);
    const projectId = param('projectId') ?? principal.projectId;
    if (!projectId) throw badInput('which project? pass ?projectId=ID or use a project-scoped key');
    const dataset = param('dataset');
    const kind = param('kind');
    if (!dataset || !kind) throw badInput('pass ?dataset=NAME&kind=pairwise|pointwise');
    let mapping: unknown;
    const mappingText = param('mapping');
    if (mappingText) {
      try {
        mapping = JSON.parse(mappingText);
      } catch {
        throw badInput('mapping is not valid JSON');
      }
    }
    const body = openNdjsonBody(req, res);
    if (!body) return;
    // importLabels checks the key, project, dataset and mapping before it reads a line.
    const summary = await importLabels(db, principal, { projectId, dataset, kind, preset: param('preset'), mapping, lines: splitNdjsonLines(body.stream, MAX_LABEL_LINE_BYTES) }).catch((error: Error) => {
      if (isBodyReadError(body, error)) throw badInput(`the body could not be read: ${(body.readError() ?? error).message}`);
      throw error;
    });
    // Counts and the first reasons only: the rows themselves are user data.
    log.info({ projectId, dataset, kind, received: summary.received, imported: summary.imported, rejected: summary.rejected, firstErrors: summary.errors.slice(0, 5) }, 'labels imported');
    sendJson(res, 200, summary);
  } catch (error) {
    // Whatever was not read is drained, so the client gets the answer rather than a reset.
    req.resume();
    if (error instanceof ServiceError) {
      log.info({ code: error.code, reason: error.message }, 'label import refused');
      sendJson(res, error.httpStatus, { error: { code: error.code, message: error.message } });
    } else {
      log.error({ err: error }, 'label import failed');
      sendJson(res, 500, { error: { code: 'INTERNAL', message: 'the import failed; batches acknowledged before the failure are stored, re-sending is safe' } });
    }
  }
}
