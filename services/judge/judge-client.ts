// Judge calls through the real SDK clients. Bounded concurrency per provider endpoint;
// the SDKs retry 429s and 5xx with backoff that honours `retry-after`; a reply that is
// not valid JSON is retried once with a repair instruction, then recorded as a failure.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import pLimit, { type LimitFunction } from 'p-limit';
import { REPAIR_INSTRUCTION } from '../../core/judge/judge-prompt';
import { parseJudgment } from '../../core/judge/parse-judgment';
import { estimateCostUsd } from '../../core/judge/pricing';
import type { JudgeTarget } from '../../core/judge/judge-settings';
import type { Dimension } from '../../core/stats/agreement';

export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
}

export interface Completion {
  text: string;
  inputTokens: number | null;
  outputTokens: number | null;
}

export interface JudgeEndpoint extends JudgeTarget {
  temperature: number;
}

export type JudgeCallResult =
  | { ok: true; judgment: { scores: Record<Dimension, number>; verdict: 'pass' | 'fail'; rationale: string }; attempts: number; latencyMs: number; inputTokens: number | null; outputTokens: number | null; costUsd: number | null }
  | { ok: false; reason: string; attempts: number; latencyMs: number; inputTokens: number | null; outputTokens: number | null; costUsd: number | null };

export interface JudgeClientOptions {
  timeoutMs?: number;
  maxRetries?: number;
  concurrency?: number;
}

const limiters = new Map<string, LimitFunction>();

function limiterFor(endpoint: JudgeEndpoint, concurrency: number): LimitFunction {
  const key = `${endpoint.provider}|${endpoint.baseUrl ?? ''}|${concurrency}`;
  let limiter = limiters.get(key);
  if (!limiter) {
    limiter = pLimit(concurrency);
    limiters.set(key, limiter);
  }
  return limiter;
}

function simulatorUrl(endpoint: JudgeEndpoint): string {
  const url = endpoint.baseUrl ?? process.env.FLYWHEEL_SIMULATOR_URL;
  if (!url) throw new Error('the simulated judge needs FLYWHEEL_SIMULATOR_URL (or a base URL on the judge version)');
  return url.replace(/\/$/, '');
}

/** One completion function per endpoint, through the provider's own SDK. */
export function createCompleter(endpoint: JudgeEndpoint, options: JudgeClientOptions = {}) {
  const timeout = options.timeoutMs ?? Number(process.env.JUDGE_TIMEOUT_MS ?? 60_000);
  const maxRetries = options.maxRetries ?? Number(process.env.JUDGE_MAX_RETRIES ?? 4);
  const limit = limiterFor(endpoint, options.concurrency ?? Number(process.env.JUDGE_CONCURRENCY ?? 8));

  if (endpoint.provider === 'anthropic') {
    const client = new Anthropic({ apiKey: process.env.ANTHROPIC_API_KEY ?? 'missing', baseURL: endpoint.baseUrl ?? undefined, timeout, maxRetries });
    return (system: string, turns: ChatTurn[]): Promise<Completion> =>
      limit(async () => {
        // This SDK version takes no temperature on messages.create; the model default applies.
        const reply = await client.messages.create({ model: endpoint.model, max_tokens: 1024, system, messages: turns });
        const text = reply.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
        return { text, inputTokens: reply.usage.input_tokens, outputTokens: reply.usage.output_tokens };
      });
  }
  const baseURL =
    endpoint.provider === 'simulated' ? `${simulatorUrl(endpoint)}/v1` : endpoint.provider === 'openai-compatible' ? (endpoint.baseUrl ?? process.env.OPENAI_BASE_URL) : (endpoint.baseUrl ?? undefined);
  if (endpoint.provider === 'openai-compatible' && !baseURL) throw new Error('an openai-compatible judge needs a base URL');
  const apiKey = endpoint.provider === 'simulated' ? 'simulated' : (process.env.OPENAI_API_KEY ?? 'missing');
  const client = new OpenAI({ apiKey, baseURL, timeout, maxRetries });
  return (system: string, turns: ChatTurn[]): Promise<Completion> =>
    limit(async () => {
      const reply = await client.chat.completions.create({
        model: endpoint.model,
        temperature: endpoint.temperature,
        response_format: { type: 'json_object' },
        messages: [{ role: 'system', content: system }, ...turns],
      });
      return { text: reply.choices[0]?.message?.content ?? '', inputTokens: reply.usage?.prompt_tokens ?? null, outputTokens: reply.usage?.completion_tokens ?? null };
    });
}

export type Completer = ReturnType<typeof createCompleter>;

/** Judges one subject: one call, one repair attempt if the reply is not a valid judgment. */
export async function judgeWithRepair(complete: Completer, model: string, messages: { system: string; user: string }, now: () => number = Date.now): Promise<JudgeCallResult> {
  const started = now();
  let inputTokens = 0;
  let outputTokens = 0;
  let counted = false;
  const add = (c: Completion) => {
    if (c.inputTokens !== null) inputTokens += c.inputTokens;
    if (c.outputTokens !== null) outputTokens += c.outputTokens;
    counted ||= c.inputTokens !== null || c.outputTokens !== null;
  };
  const usage = () => ({
    latencyMs: now() - started,
    inputTokens: counted ? inputTokens : null,
    outputTokens: counted ? outputTokens : null,
    costUsd: counted ? estimateCostUsd(model, inputTokens, outputTokens) : null,
  });
  let attempts = 0;
  try {
    attempts += 1;
    const first = await complete(messages.system, [{ role: 'user', content: messages.user }]);
    add(first);
    const parsed = parseJudgment(first.text);
    if (parsed.ok) return { ok: true, judgment: parsed.judgment, attempts, ...usage() };
    attempts += 1;
    const repaired = await complete(messages.system, [
      { role: 'user', content: messages.user },
      { role: 'assistant', content: first.text },
      { role: 'user', content: REPAIR_INSTRUCTION },
    ]);
    add(repaired);
    const second = parseJudgment(repaired.text);
    if (second.ok) return { ok: true, judgment: second.judgment, attempts, ...usage() };
    return { ok: false, reason: `not a valid judgment after a repair attempt: ${second.reason}`, attempts, ...usage() };
  } catch (error) {
    // Exhausted SDK retries (429/5xx/timeouts): a failure with its cause, never a score.
    const message = error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
    return { ok: false, reason: `provider call failed: ${message.slice(0, 500)}`, attempts, ...usage() };
  }
}
