// Judge calls through the real SDK clients. Bounded concurrency per provider endpoint;
// the SDKs retry 429s and 5xx with backoff that honours `retry-after`; a reply that is
// not valid JSON is retried once with a repair instruction, then recorded as a failure.
// Pointwise judgments and pairwise verdicts share the call, repair and usage accounting.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import pLimit, { type LimitFunction } from 'p-limit';
import { REPAIR_INSTRUCTION } from '../../core/judge/judge-prompt';
import { PAIRWISE_REPAIR_INSTRUCTION } from '../../core/judge/pairwise-prompt';
import { parseJudgment, type Judgment } from '../../core/judge/parse-judgment';
import { parsePairwiseVerdict, type PairwiseVerdict } from '../../core/judge/parse-pairwise-verdict';
import { estimateCostUsd } from '../../core/judge/pricing';
import type { JudgeTarget } from '../../core/judge/judge-settings';

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

interface CallUsage {
  attempts: number;
  latencyMs: number;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
}

export type CallResult<T> = ({ ok: true; value: T } | { ok: false; reason: string }) & CallUsage;

export type JudgeCallResult =
  | ({ ok: true; judgment: Judgment } & CallUsage)
  | ({ ok: false; reason: string } & CallUsage);

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

type Reader<T> = (text: string) => { ok: true; value: T } | { ok: false; reason: string };

/** One call, one repair attempt if the reply cannot be read; usage summed over both. */
async function callWithRepair<T>(
  complete: Completer,
  model: string,
  messages: { system: string; user: string },
  reply: { read: Reader<T>; repairInstruction: string; what: string },
  now: () => number,
): Promise<CallResult<T>> {
  const { read, repairInstruction, what } = reply;
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
    const parsed = read(first.text);
    if (parsed.ok) return { ok: true, value: parsed.value, attempts, ...usage() };
    attempts += 1;
    const repaired = await complete(messages.system, [
      { role: 'user', content: messages.user },
      { role: 'assistant', content: first.text },
      { role: 'user', content: repairInstruction },
    ]);
    add(repaired);
    const second = read(repaired.text);
    if (second.ok) return { ok: true, value: second.value, attempts, ...usage() };
    return { ok: false, reason: `not a valid ${what} after a repair attempt: ${second.reason}`, attempts, ...usage() };
  } catch (error) {
    // Exhausted SDK retries (429/5xx/timeouts): a failure with its cause, never a score.
    const message = error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
    return { ok: false, reason: `provider call failed: ${message.slice(0, 500)}`, attempts, ...usage() };
  }
}

/** Judges one subject: one call, one repair attempt if the reply is not a valid judgment. */
export async function judgeWithRepair(complete: Completer, model: string, messages: { system: string; user: string }, now: () => number = Date.now): Promise<JudgeCallResult> {
  const read: Reader<Judgment> = (text) => {
    const parsed = parseJudgment(text);
    return parsed.ok ? { ok: true, value: parsed.judgment } : parsed;
  };
  const result = await callWithRepair(complete, model, messages, { read, repairInstruction: REPAIR_INSTRUCTION, what: 'judgment' }, now);
  if (!result.ok) return result;
  const { value, ...rest } = result;
  return { ...rest, judgment: value };
}

/** Compares two answers in the order given: one call, one repair attempt if the reply is not a verdict. */
export function compareWithRepair(complete: Completer, model: string, messages: { system: string; user: string }, now: () => number = Date.now): Promise<CallResult<PairwiseVerdict>> {
  const read: Reader<PairwiseVerdict> = (text) => {
    const parsed = parsePairwiseVerdict(text);
    return parsed.ok ? { ok: true, value: parsed.verdict } : parsed;
  };
  return callWithRepair(complete, model, messages, { read, repairInstruction: PAIRWISE_REPAIR_INSTRUCTION, what: 'verdict' }, now);
}
