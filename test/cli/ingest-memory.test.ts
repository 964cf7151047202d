// `flywheel ingest` streams the file: the client must not hold what it has sent (Node's
// fetch does unless redirects are off, nodejs/undici#4058).
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFile } from '../../cli/ingest';

const MB = 1024 * 1024;
const FILE_MB = 192;

describe('flywheel ingest: client memory', () => {
  let dir: string;
  let file: string;
  let server: Server;
  let received = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cli-memory-'));
    file = path.join(dir, 'traces.ndjson');
    const line = `${JSON.stringify({ id: 'x', sessionId: 's', timestamp: '2026-10-05T10:00:00Z', input: 'q'.repeat(400), output: 'a'.repeat(600) })}\n`;
    const block = line.repeat(Math.ceil(MB / line.length));
    const out = createWriteStream(file);
    for (let i = 0; i < FILE_MB; i++) if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
    await new Promise<void>((r) => out.end(() => r()));
    // Reads slowly, as a busy server does: a client that does not wait piles the file up.
    server = createServer(async (req, res) => {
      for await (const chunk of req) {
        received += (chunk as Buffer).length;
        await new Promise((r) => setImmediate(r));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received: 0, accepted: 0, updated: 0, duplicates: 0, rejected: 0, errors: [], errorsTruncated: false }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise<void>((r) => server?.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  it(`sends a ${FILE_MB} MB file with a small, flat amount of memory`, async () => {
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 20);
    const baseline = process.memoryUsage().arrayBuffers;
    try {
      await ingestFile(file, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, key: 'efw_test', dataDir: dir });
    } finally {
      clearInterval(sampler);
    }
    expect(received).toBeGreaterThanOrEqual(FILE_MB * MB);
    // Without `redirect: 'error'` this reaches the file size.
    expect(peak - baseline).toBeLessThan(64 * MB);
  });
});
