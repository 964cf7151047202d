// Reading an NDJSON request body: the content types accepted as NDJSON and gzip
// decoding, shared by every upload route so they accept and refuse the same requests.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const NDJSON_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/json-seq', 'application/ndjson', 'text/plain', 'application/octet-stream'];

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The body as bytes (gunzipped when sent gzip); null once a 415 has been answered for a body that is not NDJSON. */
export function openNdjsonBody(req: IncomingMessage, res: ServerResponse): Readable | null {
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
  return encoding === 'gzip' ? req.pipe(createGunzip()) : req;
}
