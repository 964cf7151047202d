// A realistic synthetic month of production traffic for the demo: three releases of a
// support assistant, intents in a 60-20-10-10 mix, sessions with rephrases and abandonment,
// and planted failure modes (release v2 invents refund rules in billing). Every trace
// carries its hidden truth in metadata.demoTruth, which only the simulated reviewers and
// the simulated judge read.
import { createRng } from '../stats/rng';

export interface DemoTruth {
  verdict: 'pass' | 'fail';
  failureCategory: string | null;
  scores: { correctness: number; relevance: number; clarity: number; calibration: number; length: number };
}

export interface DemoTrace {
  id: string;
  sessionId: string;
  turn: number;
  timestamp: string;
  input: string;
  output: string;
  release: string;
  slice: Record<string, string>;
  latencyMs: number;
  model: string;
  context: { id: string; text: string }[];
  flags: string[];
  feedback?: { thumb?: 'up' | 'down'; rating?: number };
  events?: { regenerated?: boolean; copied?: boolean; escalated?: boolean; abandoned?: boolean };
  metadata: { demoTruth: DemoTruth };
}

const INTENTS: [string, number][] = [['billing', 0.6], ['shipping', 0.2], ['returns', 0.1], ['account', 0.1]];
const TOPICS: Record<string, string[]> = {
  billing: ['a refund for order', 'a double charge on invoice', 'changing the card on plan', 'the VAT on receipt', 'a discount code for order'],
  shipping: ['the delivery date of parcel', 'tracking parcel', 'shipping to another address for order'],
  returns: ['returning item', 'an exchange for item', 'the return label for order'],
  account: ['resetting the password of account', 'deleting account', 'changing the email of account'],
};
// Probability that a release fails on an intent: the truth the eval should recover.
const FAILURE_RATE: Record<string, Record<string, number>> = {
  v1: { billing: 0.25, shipping: 0.2, returns: 0.2, account: 0.15 },
  v2: { billing: 0.45, shipping: 0.15, returns: 0.2, account: 0.15 },
  v3: { billing: 0.1, shipping: 0.1, returns: 0.12, account: 0.08 },
};
const CATEGORIES = ['hallucination', 'ignored_context', 'out_of_scope', 'verbosity', 'refusal'];

export function syntheticMonth(options: { month: string; sessions: number; seed: string }): DemoTrace[] {
  const rng = createRng(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
  const traces: DemoTrace[] = [];
  for (let s = 0; s < options.sessions; s += 1) {
    let acc = 0;
    const r = rng();
    const intent = INTENTS.find(([, share]) => (acc += share) >= r)?.[0] ?? 'account';
    const release = rng() < 0.34 ? 'v1' : rng() < 0.5 ? 'v2' : 'v3';
    const tier = rng() < 0.3 ? 'enterprise' : 'free';
    const day = 1 + Math.floor(rng() * 28);
    const turns = rng() < 0.08 ? 8 + Math.floor(rng() * 3) : 1 + Math.floor(rng() * 3);
    let previousInput = '';
    for (let turn = 1; turn <= turns; turn += 1) {
      const id = `demo-${options.month}-${s}-${turn}`;
      const number = 1000 + Math.floor(rng() * 9000);
      const topic = `${pick(TOPICS[intent]!)} ${number}`;
      const fails = rng() < FAILURE_RATE[release]![intent]!;
      const rephrase = turn > 1 && previousInput !== '' && rng() < (fails ? 0.5 : 0.1);
      const input = rephrase ? `${previousInput} - I asked already, please answer properly` : `How do I handle ${topic}?`;
      const category = fails ? (intent === 'billing' && release === 'v2' ? 'hallucination' : pick(CATEGORIES)) : null;
      const policy = `Policy for ${intent}: requests about ${topic} are handled within 5 business days.`;
      const output = fails
        ? category === 'hallucination'
          ? `For ${topic} you get an instant refund of 150% within one hour. (answer ${id})`
          : `I am not sure what you mean about ${topic}. (answer ${id})`
        : `For ${topic}: it is handled within 5 business days, you will get an email confirmation. (answer ${id})`;
      const good = { correctness: 5, relevance: 5, clarity: 4, calibration: 4, length: 4 };
      const bad = { correctness: category === 'hallucination' ? 1 : 2, relevance: 3, clarity: 3, calibration: 2, length: 3 };
      const last = turn === turns;
      traces.push({
        id,
        sessionId: `demo-${options.month}-s${s}`,
        turn,
        timestamp: `${options.month}-${String(day).padStart(2, '0')}T${String(8 + turn).padStart(2, '0')}:${String(Math.floor(rng() * 60)).padStart(2, '0')}:00Z`,
        input,
        output,
        release,
        slice: { intent, tier, locale: rng() < 0.7 ? 'en' : 'de' },
        latencyMs: Math.round(400 + rng() * (fails ? 4000 : 2000)),
        model: `support-${release}`,
        context: [{ id: `kb-${intent}`, text: policy }],
        flags: rng() < 0.02 ? ['pii_detected'] : [],
        ...(fails && rng() < 0.35 ? { feedback: { thumb: 'down' as const } } : !fails && rng() < 0.2 ? { feedback: { thumb: 'up' as const } } : {}),
        ...(fails && last && rng() < 0.3 ? { events: { escalated: true } } : !fails && rng() < 0.3 ? { events: { copied: true } } : {}),
        metadata: { demoTruth: { verdict: fails ? 'fail' : 'pass', failureCategory: category, scores: fails ? bad : good } },
      });
      previousInput = input;
    }
  }
  return traces;
}
