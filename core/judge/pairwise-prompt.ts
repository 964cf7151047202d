// The pairwise judge's prompt: two answers to the same user message, shown as "Answer A"
// and "Answer B". Callers judge every pair in both orders (core/shadow/both-orders), so a
// preference for a position shows up as a verdict that flips with the order.
import type { JudgedSubject } from './judge-prompt';

/** What a pairwise judge sees: the conversation and two answers in a given order. */
export interface PairwiseSubject extends Omit<JudgedSubject, 'output' | 'expected'> {
  answerA: string;
  answerB: string;
}

// The words "Answer A" and "Answer B" in the system prompt are also how the local
// simulated provider recognises a pairwise request (simulator/llm-provider.ts).
const PAIRWISE_RUBRIC = `You are a strict, careful evaluator comparing two answers of an AI assistant to the same user message.
Decide which answer serves the user better. Weigh, in this order: correctness (every claim true and supported by the conversation or the retrieved documents; invented facts or policies lose), relevance to what was asked, clarity, calibration (confidence that matches the evidence), and a length that fits the question.

Answer A and Answer B are shown in an arbitrary order: the position of an answer says nothing about its quality. Do not prefer the longer answer for its length. Reply "tie" when neither is clearly better.

Reply with one JSON object and nothing else:
{"winner":"A"|"B"|"tie","rationale":"one or two sentences"}`;

export const PAIRWISE_REPAIR_INSTRUCTION =
  'Your previous reply was not a valid verdict. Reply again with ONLY the JSON object {"winner":"A" or "B" or "tie","rationale":"..."} — no prose, no code fences.';

export function renderPairwiseMessages(subject: PairwiseSubject): { system: string; user: string } {
  const history = subject.sessionContext.length
    ? `## Conversation so far\n${subject.sessionContext.map((t) => `User: ${t.input}\nAssistant: ${t.output}`).join('\n')}\n\n`
    : '';
  const documents = subject.retrievedContext.length ? `## Retrieved documents\n${subject.retrievedContext.map((d) => `[${d.id}] ${d.text}`).join('\n')}\n\n` : '';
  return {
    system: PAIRWISE_RUBRIC,
    user: `${history}${documents}## User message\n${subject.input}\n\n## Answer A\n${subject.answerA}\n\n## Answer B\n${subject.answerB}\n\nReturn the JSON verdict.`,
  };
}
