// The body of an NDJSON upload (traces, labels, release and shadow answers): media type and
// encoding checked, gzip undone, read errors kept so the route can answer 400 for them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const NDJSON_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/json-seq', 'application/ndjson', 'text/plain', 'application/octet-stream'];

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

interface NdjsonBody {
  stream: Readable;
  /** The error that broke the stream (e.g. invalid gzip), if any. */
  readError(): Error | null;
}

/** The request's NDJSON body, or null after answering 415 for another media type or encoding. */
export function openNdjsonBody(req: IncomingMessage, res: ServerResponse): NdjsonBody | null {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType && !NDJSON_TYPES.includes(contentType)) {
    sendJson(res, 415, { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: `expected NDJSON (application/x-ndjson), got ${contentType}` } });
    req.resume();
    return null;
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    sendJson(res, 415, { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: `unsupported Content-Encoding ${encoding}; send identity or gzip` } });
    req.resume();
    return null;
  }
  const stream = encoding === 'gzip' ? req.pipe(createGunzip()) : req;
  let error: Error | null = null;
  stream.on('error', (e: Error) => (error = e));
  return { stream, readError: () => error };
}

/** A failure while reading the body is the client's (400), not the server's. */
export function isBodyReadError(body: NdjsonBody, error: Error): boolean {
  return body.readError() !== null || Boolean((error as NodeJS.ErrnoException).code?.startsWith?.('Z_'));
}
