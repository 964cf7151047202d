// The judge client against a local OpenAI-format server: at most C requests in flight,
// a call waiting out a retry-after holds no slot, retries and repairs, and latencies that
// are the calls' own rather than time spent queued behind other calls.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createCompleter, judgeWithRepair } from '../../services/judge/judge-client';

const JUDGMENT = JSON.stringify({ scores: { correctness: 4, relevance: 4, clarity: 4, calibration: 4, length: 4 }, verdict: 'pass', rationale: 'fine' });

interface Seen {
  user: string;
  repair: boolean;
}

/** A chat-completions server; `answer` decides each reply (after the server counted it in flight). */
async function startServer(answer: (seen: Seen, res: ServerResponse) => Promise<void>) {
  const stats = { inFlight: 0, maxInFlight: 0, requests: [] as Seen[] };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { messages: { role: string; content: string }[] };
      const users = body.messages.filter((m) => m.role === 'user');
      const seen = { user: users[0]!.content, repair: users.length > 1 };
      stats.requests.push(seen);
      stats.inFlight += 1;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      res.on('finish', () => (stats.inFlight -= 1));
      void answer(seen, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, stats, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

const reply = (res: ServerResponse, content: string): void =>
  void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 0, model: 'sim-judge-1', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const messages = (user: string) => ({ system: 'rubric', user });

describe('judge client', () => {
  let close: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await close?.();
    close = null;
  });

  it('keeps at most C requests in flight, and a call waiting out retry-after does not hold a slot', async () => {
    let rateLimited = false;
    let retried = false;
    let inFlightDuringBackoff = 0;
    const server = await startServer(async (seen, res) => {
      if (seen.user === 'limited') {
        if (rateLimited) retried = true;
        else {
          rateLimited = true;
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': '3000' }).end('{"error":{"message":"slow down"}}');
          return;
        }
      } else if (rateLimited && !retried) inFlightDuringBackoff = Math.max(inFlightDuringBackoff, server.stats.inFlight);
      await sleep(50);
      reply(res, JUDGMENT);
    });
    close = server.close;
    const complete = createCompleter({ provider: 'simulated', model: 'sim-judge-1', baseUrl: server.url, temperature: 0 }, { concurrency: 2, maxRetries: 2 });
    const results = await Promise.all(['limited', ...Array.from({ length: 8 }, (_, i) => `case ${i}`)].map((u) => judgeWithRepair(complete, 'sim-judge-1', messages(u))));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(server.stats.maxInFlight).toBe(2);
    // While the limited call waited, both slots served the other cases (had it kept its
    // slot through the backoff, they would have run one at a time).
    expect(inFlightDuringBackoff).toBe(2);
    expect(results[0]!.latencyMs).toBeGreaterThanOrEqual(3000);
  });

  it('records each call\'s own latency, not the time it queued behind others', async () => {
    const server = await startServer(async (_, res) => {
      await sleep(100);
      reply(res, JUDGMENT);
    });
    close = server.close;
    const complete = createCompleter({ provider: 'simulated', model: 'sim-judge-1', baseUrl: server.url, temperature: 0 }, { concurrency: 1 });
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => judgeWithRepair(complete, 'sim-judge-1', messages(`case ${i}`))));
    const wall = performance.now() - started;
    const sum = results.reduce((acc, r) => acc + r.latencyMs, 0);
    // One slot: the six calls ran one after another. Queue time counted in, the latencies
    // would add up to ~3.5x the wall time (100 + 200 + ... + 600 ms); as the calls' own
    // (admitted two at a time, so at most one call's wait each) they stay under 2x.
    expect(server.stats.maxInFlight).toBe(1);
    expect(sum).toBeLessThan(2 * wall);
  });

  it('retries server errors through the SDK, repairs a malformed reply once, and records exhausted retries as a failure', async () => {
    const failures = new Map<string, number>();
    const server = await startServer(async (seen, res) => {
      const n = (failures.get(seen.user) ?? 0) + 1;
      failures.set(seen.user, n);
      if (seen.user === 'flaky' && n === 1) return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"boom"}}');
      if (seen.user === 'down') return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"unavailable"}}');
      if (seen.user === 'chatty' && !seen.repair) return reply(res, 'Sure! {"scores": {"correctness": 4');
      reply(res, JUDGMENT);
    });
    close = server.close;
    const complete = createCompleter({ provider: 'simulated', model: 'sim-judge-1', baseUrl: server.url, temperature: 0 }, { concurrency: 4, maxRetries: 1 });
    const [flaky, chatty, down] = await Promise.all(['flaky', 'chatty', 'down'].map((u) => judgeWithRepair(complete, 'sim-judge-1', messages(u))));
    expect(flaky).toMatchObject({ ok: true, attempts: 1 });
    expect(failures.get('flaky')).toBe(2);
    expect(chatty).toMatchObject({ ok: true, attempts: 2, inputTokens: 20, outputTokens: 10 });
    expect(down).toMatchObject({ ok: false, attempts: 1 });
    expect(down.ok ? '' : down.reason).toMatch(/^provider call failed: InternalServerError: 503/);
    expect(failures.get('down')).toBe(2);
    expect(down.latencyMs).toBeGreaterThan(0);
  });
});
