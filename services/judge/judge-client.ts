// Judge calls through the real SDK clients. Bounded concurrency per provider endpoint;
// the SDKs retry 429s and 5xx with backoff that honours `retry-after`; a reply that is
// not valid JSON is retried once with a repair instruction, then recorded as a failure.
// Pointwise judgments and pairwise verdicts share the call, repair and usage accounting.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import pLimit, { type LimitFunction } from 'p-limit';
import { performance } from 'node:perf_hooks';
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
  /** The model stopped at its token limit (finish_reason length / stop_reason max_tokens). */
  truncated: boolean;
  /** From the call's start (see callSlots) to its answer, the SDK's retries and their backoff included. */
  latencyMs: number;
}

/** A call that failed after the SDK's retries, with the time it took. */
class ProviderCallError extends Error {
  constructor(
    cause: unknown,
    readonly latencyMs: number,
  ) {
    super(cause instanceof Error ? `${cause.constructor.name}: ${cause.message}` : String(cause), { cause });
    this.name = 'ProviderCallError';
  }
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

/**
 * Two limits per endpoint. `requestSlots` (C = the concurrency setting) bounds the HTTP
 * requests in flight: each attempt holds a slot until its body is read. A call waiting
 * out the SDK's retry backoff (0.5-8 s, or retry-after) holds none, so a few failing
 * calls do not idle the other slots: with 5% of calls failing, holding the slot through
 * the backoff kept slots busy 81-86% of the time (bench:judge), releasing it 92-100%.
 * `callSlots` (2 C) bounds the calls under way, so a call waits at most about one call's
 * time for a request slot: the SDK's timeout runs from its attempt's start, wait included.
 */
interface EndpointLimits {
  requestSlots: LimitFunction;
  callSlots: LimitFunction;
}

const limits = new Map<string, EndpointLimits>();

function limitsFor(endpoint: JudgeEndpoint, concurrency: number): EndpointLimits {
  const key = `${endpoint.provider}|${endpoint.baseUrl ?? ''}|${concurrency}`;
  let found = limits.get(key);
  if (!found) {
    found = { requestSlots: pLimit(concurrency), callSlots: pLimit(2 * concurrency) };
    limits.set(key, found);
  }
  return found;
}

/** The SDKs' fetch: one request slot per HTTP attempt, held until the body is read. */
function slotFetch(requestSlots: LimitFunction): typeof fetch {
  return (input, init) =>
    requestSlots(async () => {
      const response = await fetch(input, init);
      const body = await response.arrayBuffer();
      return new Response(body.byteLength ? body : null, { status: response.status, statusText: response.statusText, headers: response.headers });
    });
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
  const { requestSlots, callSlots } = limitsFor(endpoint, options.concurrency ?? Number(process.env.JUDGE_CONCURRENCY ?? 8));
  const fetchInSlot = slotFetch(requestSlots);
  const timed = (call: () => Promise<Omit<Completion, 'latencyMs'>>): Promise<Completion> =>
    callSlots(async () => {
      const started = performance.now();
      try {
        return { ...(await call()), latencyMs: performance.now() - started };
      } catch (error) {
        throw new ProviderCallError(error, performance.now() - started);
      }
    });

  if (endpoint.provider === 'anthropic') {
    const client = new Anthropic({ apiKey: process.env.ANTHROPIC_API_KEY ?? 'missing', baseURL: endpoint.baseUrl ?? undefined, timeout, maxRetries, fetch: fetchInSlot });
    return (system: string, turns: ChatTurn[]): Promise<Completion> =>
      timed(async () => {
        // This SDK version takes no temperature on messages.create; the model default applies.
        const reply = await client.messages.create({ model: endpoint.model, max_tokens: 1024, system, messages: turns });
        const text = reply.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
        return { text, inputTokens: reply.usage.input_tokens, outputTokens: reply.usage.output_tokens, truncated: reply.stop_reason === 'max_tokens' };
      });
  }
  const baseURL =
    endpoint.provider === 'simulated' ? `${simulatorUrl(endpoint)}/v1` : endpoint.provider === 'openai-compatible' ? (endpoint.baseUrl ?? process.env.OPENAI_BASE_URL) : (endpoint.baseUrl ?? undefined);
  if (endpoint.provider === 'openai-compatible' && !baseURL) throw new Error('an openai-compatible judge needs a base URL');
  const apiKey = endpoint.provider === 'simulated' ? 'simulated' : (process.env.OPENAI_API_KEY ?? 'missing');
  const client = new OpenAI({ apiKey, baseURL, timeout, maxRetries, fetch: fetchInSlot });
  return (system: string, turns: ChatTurn[]): Promise<Completion> =>
    timed(async () => {
      const reply = await client.chat.completions.create({
        model: endpoint.model,
        temperature: endpoint.temperature,
        response_format: { type: 'json_object' },
        messages: [{ role: 'system', content: system }, ...turns],
      });
      const choice = reply.choices[0];
      return { text: choice?.message?.content ?? '', inputTokens: reply.usage?.prompt_tokens ?? null, outputTokens: reply.usage?.completion_tokens ?? null, truncated: choice?.finish_reason === 'length' };
    });
}

export type Completer = ReturnType<typeof createCompleter>;

type Reader<T> = (text: string) => { ok: true; value: T } | { ok: false; reason: string };

/**
 * One call, one repair attempt if the reply cannot be read; usage summed over both. Its
 * latency is the calls' own (the SDK's retries included), not time queued behind others.
 */
async function callWithRepair<T>(
  complete: Completer,
  model: string,
  messages: { system: string; user: string },
  reply: { read: Reader<T>; repairInstruction: string; what: string },
): Promise<CallResult<T>> {
  const { read, repairInstruction, what } = reply;
  let latencyMs = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let counted = false;
  const add = (c: Completion) => {
    latencyMs += c.latencyMs;
    if (c.inputTokens !== null) inputTokens += c.inputTokens;
    if (c.outputTokens !== null) outputTokens += c.outputTokens;
    counted ||= c.inputTokens !== null || c.outputTokens !== null;
  };
  const usage = () => ({
    latencyMs,
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
    // Say so when the model ran out of tokens: the fix is a larger limit, not a better prompt.
    const cutOff = repaired.truncated ? "the reply was cut off at the model's token limit; " : '';
    return { ok: false, reason: `not a valid ${what} after a repair attempt: ${cutOff}${second.reason}`, attempts, ...usage() };
  } catch (error) {
    // Exhausted SDK retries (429/5xx/timeouts): a failure with its cause, never a score.
    if (error instanceof ProviderCallError) latencyMs += error.latencyMs;
    const message = error instanceof ProviderCallError ? error.message : error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
    return { ok: false, reason: `provider call failed: ${message.slice(0, 500)}`, attempts, ...usage() };
  }
}

/** Judges one subject: one call, one repair attempt if the reply is not a valid judgment. */
export async function judgeWithRepair(complete: Completer, model: string, messages: { system: string; user: string }): Promise<JudgeCallResult> {
  const read: Reader<Judgment> = (text) => {
    const parsed = parseJudgment(text);
    return parsed.ok ? { ok: true, value: parsed.judgment } : parsed;
  };
  const result = await callWithRepair(complete, model, messages, { read, repairInstruction: REPAIR_INSTRUCTION, what: 'judgment' });
  if (!result.ok) return result;
  const { value, ...rest } = result;
  return { ...rest, judgment: value };
}

/** Compares two answers in the order given: one call, one repair attempt if the reply is not a verdict. */
export function compareWithRepair(complete: Completer, model: string, messages: { system: string; user: string }): Promise<CallResult<PairwiseVerdict>> {
  const read: Reader<PairwiseVerdict> = (text) => {
    const parsed = parsePairwiseVerdict(text);
    return parsed.ok ? { ok: true, value: parsed.verdict } : parsed;
  };
  return callWithRepair(complete, model, messages, { read, repairInstruction: PAIRWISE_REPAIR_INSTRUCTION, what: 'verdict' });
}
