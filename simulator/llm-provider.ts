// A LOCAL SIMULATED LLM PROVIDER (not a model). It speaks the OpenAI Chat Completions and
// Anthropic Messages wire formats, so the real SDK clients talk to it unchanged, and it
// judges from an oracle of known human labels with a tunable, seeded disagreement. Used by
// the tests, the benchmarks and the demo; never chosen when a real provider key is set.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

type Dimension = 'correctness' | 'relevance' | 'clarity' | 'calibration' | 'length';
const DIMENSIONS: Dimension[] = ['correctness', 'relevance', 'clarity', 'calibration', 'length'];

export interface OracleEntry {
  /** The answer text being judged, as it appears in the prompt. */
  output: string;
  scores: Record<Dimension, number>;
  verdict: 'pass' | 'fail';
}

export interface SimBehaviour {
  latencyMs: number;
  jitterMs: number;
  /** Share of requests answered with HTTP 500. */
  errorRate: number;
  /** Share answered with HTTP 429 and a retry-after header. */
  rateLimitRate: number;
  retryAfterSeconds: number;
  /** Share answered with a reply that is not JSON (prose around a cut-off object). */
  malformedRate: number;
  /** Share answered with the judgment's JSON cut off mid-way, as when a model hits its token limit. */
  truncatedRate: number;
  /** Malformed and truncated replies also to repair requests (by default a repair is answered properly). */
  faultsOnRepair: boolean;
  /** Share that hang for hangMs (longer than a client's timeout). */
  timeoutRate: number;
  hangMs: number;
  /** Probability (per answer, seeded) that the judgment disagrees with the oracle. */
  disagreement: number;
  /** Extra probability of calling an oracle failure a pass (low TPR). */
  missFailureRate: number;
  /** Calibration examples and "Calibration notes:" in the prompt lower the disagreement. */
  fewShotHelps: boolean;
  /**
   * Pairwise prompts (a system prompt naming "Answer A" and "Answer B", the answers under
   * "## Answer A" and "## Answer B"): the better answer by the oracle's mean score wins, a
   * tie when they are within half a point; with this probability (per prompt, so per
   * order) answer A is preferred regardless.
   */
  positionBias: number;
  seed: string;
}

export interface SimStats {
  requests: number;
  byStatus: Record<string, number>;
  byApi: { openai: number; anthropic: number };
  judgments: number;
  pairwiseJudgments: number;
}

const DEFAULTS: SimBehaviour = {
  latencyMs: 0,
  jitterMs: 0,
  errorRate: 0,
  rateLimitRate: 0,
  retryAfterSeconds: 0,
  malformedRate: 0,
  truncatedRate: 0,
  faultsOnRepair: false,
  timeoutRate: 0,
  hangMs: 120_000,
  disagreement: 0,
  missFailureRate: 0,
  fewShotHelps: false,
  positionBias: 0,
  seed: 'simulator',
};

/** A uniform number in [0,1) from a string: deterministic per answer and seed. */
function unit(...parts: string[]): number {
  return parseInt(createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 12), 16) / 2 ** 48;
}

const clamp = (n: number) => Math.max(1, Math.min(5, Math.round(n)));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startSimulatedProvider(options: Partial<SimBehaviour> & { port?: number } = {}) {
  const behaviour: SimBehaviour = { ...DEFAULTS, ...options };
  let oracle: OracleEntry[] = [];
  const stats: SimStats = { requests: 0, byStatus: {}, byApi: { openai: 0, anthropic: 0 }, judgments: 0, pairwiseJudgments: 0 };
  let counter = 0;
  // How often each prompt has been asked (SDK retries and repairs repeat it): faults are
  // drawn per prompt and repetition, so concurrency does not change which calls fault.
  const asked = new Map<string, number>();
  const count = (status: string) => (stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1);

  function effectiveDisagreement(system: string): number {
    if (!behaviour.fewShotHelps) return behaviour.disagreement;
    const examples = (system.match(/### Example \d+/g) ?? []).length;
    let factor = Math.max(0.1, 1 - 0.15 * examples);
    if (system.includes('Calibration notes:')) factor *= 0.7;
    return behaviour.disagreement * factor;
  }

  /** The oracle entry of an answer: the same text, else the longest entry it contains. */
  function lookup(answer: string): OracleEntry | undefined {
    const trimmed = answer.trim();
    return oracle.find((o) => o.output === trimmed) ?? oracle.find((o) => answer.includes(o.output));
  }

  /** Mean score of an answer: the oracle's, else a seeded guess from its text (2 or 4, as for unknown pointwise answers). */
  function quality(answer: string): number {
    const entry = lookup(answer);
    if (entry) return DIMENSIONS.reduce((sum, d) => sum + entry.scores[d], 0) / DIMENSIONS.length;
    return unit(behaviour.seed, 'unknown', answer) < 0.2 ? 2 : 4;
  }

  /** The text under a "## <heading>" line, up to the next heading or the closing instruction. */
  function section(user: string, heading: string): string {
    const after = user.split(`## ${heading}\n`)[1] ?? '';
    return after.split(/\n\n(?:## |Return the JSON)/)[0] ?? '';
  }

  function judge(system: string, user: string): string {
    if (system.includes('Answer A') && system.includes('Answer B')) {
      stats.pairwiseJudgments += 1;
      if (unit(behaviour.seed, 'pair', user) < behaviour.positionBias) return JSON.stringify({ winner: 'A', rationale: 'simulated pairwise preference (position bias)' });
      const gap = quality(section(user, 'Answer A')) - quality(section(user, 'Answer B'));
      const winner = Math.abs(gap) < 0.5 ? 'tie' : gap > 0 ? 'A' : 'B';
      return JSON.stringify({ winner, rationale: 'simulated pairwise preference, from the oracle' });
    }
    if (system.includes('maintain the rubric')) {
      return '- A claim not supported by the retrieved documents is a failure, however fluent.\n- Invented policies or numbers fail correctness.';
    }
    const answerSection = user.split('## Answer to judge\n')[1]?.split('\n\n## ')[0] ?? user;
    const entry = oracle.find((o) => answerSection.includes(o.output)) ?? oracle.find((o) => user.includes(o.output));
    stats.judgments += 1;
    if (!entry) {
      const r = unit(behaviour.seed, 'unknown', answerSection);
      const base = r < 0.2 ? 2 : 4;
      const scores = Object.fromEntries(DIMENSIONS.map((d, i) => [d, clamp(base + (unit(behaviour.seed, d, answerSection) < 0.3 ? (i % 2 ? 1 : -1) : 0))]));
      return JSON.stringify({ scores, verdict: base <= 2 ? 'fail' : 'pass', rationale: 'simulated judgment (answer not in the oracle)' });
    }
    const key = entry.output;
    const flip = unit(behaviour.seed, 'disagree', key) < effectiveDisagreement(system);
    const miss = entry.verdict === 'fail' && unit(behaviour.seed, 'miss', key) < behaviour.missFailureRate;
    if (!flip && !miss) return JSON.stringify({ scores: entry.scores, verdict: entry.verdict, rationale: 'simulated judgment, agrees with the oracle' });
    const verdict = entry.verdict === 'pass' ? 'fail' : 'pass';
    const shift = verdict === 'pass' ? 2 : -2;
    const scores = Object.fromEntries(DIMENSIONS.map((d) => [d, clamp(entry.scores[d] + (d === 'correctness' ? shift : shift / 2))]));
    return JSON.stringify({ scores, verdict, rationale: 'simulated judgment, disagrees with the oracle' });
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const api = req.url?.startsWith('/v1/messages') ? 'anthropic' : req.url?.startsWith('/v1/chat/completions') ? 'openai' : null;
    if (req.method !== 'POST' || !api) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'simulated provider: unknown route' } }));
      return;
    }
    stats.requests += 1;
    stats.byApi[api] += 1;
    const n = (counter += 1);
    const body = JSON.parse(await readBody(req)) as { model?: string; system?: string; messages: { role: string; content: string | { text?: string }[] }[] };
    const text = (c: string | { text?: string }[]) => (typeof c === 'string' ? c : c.map((p) => p.text ?? '').join(''));
    const system = api === 'anthropic' ? (body.system ?? '') : text(body.messages.find((m) => m.role === 'system')?.content ?? '');
    const lastUser = [...body.messages].reverse().find((m) => m.role === 'user');
    const firstUser = body.messages.find((m) => m.role === 'user');
    const user = text(firstUser?.content ?? '');
    const repair = lastUser !== firstUser;

    const repetition = (asked.get(user) ?? 0) + 1;
    asked.set(user, repetition);
    const roll = (what: string) => unit(behaviour.seed, what, String(repetition), user);
    const delay = behaviour.latencyMs + (behaviour.jitterMs ? roll('jitter') * behaviour.jitterMs : 0);
    const headers = { 'content-type': 'application/json', 'x-simulated-provider': 'true' };
    if (roll('timeout') < behaviour.timeoutRate) {
      count('timeout');
      await new Promise((r) => setTimeout(r, behaviour.hangMs));
      if (!res.destroyed) res.writeHead(504, headers).end('{}');
      return;
    }
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (roll('429') < behaviour.rateLimitRate) {
      count('429');
      res.writeHead(429, { ...headers, 'retry-after': String(behaviour.retryAfterSeconds), 'retry-after-ms': String(behaviour.retryAfterSeconds * 1000) });
      res.end(JSON.stringify({ error: { type: 'rate_limit_error', message: 'simulated rate limit' } }));
      return;
    }
    if (roll('500') < behaviour.errorRate) {
      count('500');
      res.writeHead(500, headers).end(JSON.stringify({ error: { type: 'api_error', message: 'simulated server error' } }));
      return;
    }
    // By default a repair request is answered properly: malformed replies are a first-attempt fault.
    const replyFaults = !repair || behaviour.faultsOnRepair;
    const malformed = replyFaults && roll('malformed') < behaviour.malformedRate;
    const truncated = !malformed && replyFaults && roll('truncated') < behaviour.truncatedRate;
    const judgment = malformed ? '' : judge(system, user);
    const content = malformed ? 'Sure! Here is my judgment: {"scores": {"correctness": 4, "relev' : truncated ? judgment.slice(0, Math.floor(judgment.length / 2)) : judgment;
    count(malformed ? 'malformed' : truncated ? 'truncated' : '200');
    const inputTokens = Math.ceil((system.length + user.length) / 4);
    const outputTokens = Math.ceil(content.length / 4);
    const model = body.model ?? 'sim-judge-1';
    const payload =
      api === 'openai'
        ? { id: `simcmpl-${n}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: truncated ? 'length' : 'stop' }], usage: { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens } }
        : { id: `simmsg-${n}`, type: 'message', role: 'assistant', model, content: [{ type: 'text', text: content }], stop_reason: truncated ? 'max_tokens' : 'end_turn', stop_sequence: null, usage: { input_tokens: inputTokens, output_tokens: outputTokens } };
    res.writeHead(200, headers).end(JSON.stringify(payload));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `simulated provider: ${error.message}` } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    stats: (): SimStats => JSON.parse(JSON.stringify(stats)) as SimStats,
    configure: (patch: Partial<SimBehaviour>) => Object.assign(behaviour, patch),
    setOracle: (entries: OracleEntry[]) => {
      // Longest first, so an answer that contains another is matched as itself.
      oracle = [...entries].sort((a, b) => b.output.length - a.output.length);
    },
    addToOracle: (entries: OracleEntry[]) => {
      oracle = [...oracle, ...entries].sort((a, b) => b.output.length - a.output.length);
    },
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export type SimulatedProvider = Awaited<ReturnType<typeof startSimulatedProvider>>;
