// The judge's prompt: a rubric with 1-5 anchors for five dimensions and a verdict rule,
// optional calibration examples, and the case rendered for judging.
import { DIMENSIONS, type Dimension } from '../stats/agreement';

export interface FewShotExample {
  input: string;
  output: string;
  scores: Record<Dimension, number>;
  verdict: 'pass' | 'fail';
  rationale?: string;
}

export interface JudgePromptSpec {
  rubric: string;
  fewShot: FewShotExample[];
}

export interface JudgedSubject {
  input: string;
  output: string;
  sessionContext: { input: string; output: string }[];
  retrievedContext: { id: string; text: string }[];
  expected: string | null;
}

export const DEFAULT_RUBRIC = `You are a strict, careful evaluator of an AI assistant's answer to a user.
Score the answer on five dimensions, each an integer from 1 to 5:

- correctness: 5 = every claim is true and supported by the conversation or the retrieved documents; 3 = minor inaccuracies that do not change the outcome; 1 = wrong, invented or contradicted by the documents.
- relevance: 5 = answers exactly what was asked; 3 = partly on topic or misses part of the request; 1 = does not address the request.
- clarity: 5 = easy to follow, well organised; 3 = understandable with effort; 1 = confusing or garbled.
- calibration: 5 = confidence matches the evidence, says when it does not know; 3 = somewhat over- or under-confident; 1 = confidently wrong or refuses without reason.
- length: 5 = as long as needed and no longer; 3 = noticeably too long or too short; 1 = far too long or too short to be useful.

Verdict: "fail" if correctness <= 2, or the answer ignores the retrieved documents when they answer the question, or it would mislead the user; otherwise "pass".
When a reference answer or expected behaviour is given, judge against it.

Reply with one JSON object and nothing else:
{"scores":{"correctness":n,"relevance":n,"clarity":n,"calibration":n,"length":n},"verdict":"pass"|"fail","rationale":"one or two sentences"}`;

export const REPAIR_INSTRUCTION =
  'Your previous reply was not a valid judgment. Reply again with ONLY the JSON object: {"scores":{"correctness":1-5,"relevance":1-5,"clarity":1-5,"calibration":1-5,"length":1-5},"verdict":"pass" or "fail","rationale":"..."} — integers only, no prose, no code fences.';

function renderExample(e: FewShotExample, i: number): string {
  const judgment = JSON.stringify({ scores: Object.fromEntries(DIMENSIONS.map((d) => [d, e.scores[d]])), verdict: e.verdict, rationale: e.rationale ?? '' });
  return `### Example ${i + 1}\nUser: ${e.input}\nAnswer: ${e.output}\nJudgment: ${judgment}`;
}

export function renderJudgeMessages(spec: JudgePromptSpec, subject: JudgedSubject): { system: string; user: string } {
  const examples = spec.fewShot.length
    ? `\n\n## Calibration examples (judged by human reviewers; match their standard)\n\n${spec.fewShot.map(renderExample).join('\n\n')}`
    : '';
  const history = subject.sessionContext.length
    ? `## Conversation so far\n${subject.sessionContext.map((t) => `User: ${t.input}\nAssistant: ${t.output}`).join('\n')}\n\n`
    : '';
  const documents = subject.retrievedContext.length ? `## Retrieved documents\n${subject.retrievedContext.map((d) => `[${d.id}] ${d.text}`).join('\n')}\n\n` : '';
  const expected = subject.expected ? `## Expected behaviour / reference\n${subject.expected}\n\n` : '';
  return {
    system: `${spec.rubric}${examples}`,
    user: `${history}${documents}## User message\n${subject.input}\n\n## Answer to judge\n${subject.output}\n\n${expected}Return the JSON judgment.`,
  };
}
