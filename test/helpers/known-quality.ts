// A month of production traffic from releases whose true quality is known: each release
// fails an exact share of its answers, users react to failures (thumbs down, abandonment,
// escalation, low ratings) more than to good answers, so every production metric is
// monotone in true quality. The truth rides along in metadata.demoTruth, which only the
// simulated reviewers and the simulated judge read (as in the demo).
import type { DemoTrace, DemoTruth } from '../../core/demo/synthetic-month';
import { createRng } from '../../core/stats/rng';
import type { OracleEntry } from '../../simulator/llm-provider';

export interface KnownQualityRelease {
  name: string;
  /** Exact share of this release's answers that are wrong (the truth the eval should recover). */
  failShare: number;
}

const SUBJECTS = ['my invoice', 'the refund', 'my parcel', 'the warranty', 'my password', 'the coupon', 'my plan', 'the receipt', 'the delivery slot', 'my address', 'the exchange', 'my card'];
const ASKS = ['how do I change', 'why was I charged for', 'can you explain', 'where can I find', 'what happens to', 'who handles', 'when will I get', 'is it possible to cancel'];
const DETAILS = ['before Friday', 'for my sister', 'from abroad', 'on the mobile app', 'after the move', 'with a gift card', 'for the second time', 'in euros', 'without an account', 'on a weekend'];
// Enough combinations that few inputs are near-duplicates of each other (sampling skips those).
const OPENERS = ['Hi,', 'Hello there,', 'Quick question:', 'Sorry to bother you,', 'Good morning,', 'Help please:', 'Hey,', 'Dear support,', 'One more thing:', 'Urgent:', 'Hi again,', 'Excuse me,'];
const INTENTS = ['billing', 'billing', 'billing', 'shipping', 'shipping'];

function shuffled<T>(items: readonly T[], rng: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function knownQualityMonth(options: { month: string; releases: readonly KnownQualityRelease[]; tracesPerRelease: number; seed: string }): { traces: DemoTrace[]; oracle: OracleEntry[] } {
  const rng = createRng(options.seed);
  const traces: DemoTrace[] = [];
  for (const release of options.releases) {
    const failing = Math.round(release.failShare * options.tracesPerRelease);
    // Exactly `failing` wrong answers, in a seeded order; reactions are dealt by position
    // among the wrong (or right) answers, so each rate is exact and monotone in quality.
    const fails = shuffled(Array.from({ length: options.tracesPerRelease }, (_, i) => i < failing), rng);
    let nthFail = 0;
    let nthPass = 0;
    fails.forEach((fail, i) => {
      const id = `${options.month}-${release.name}-${i}`;
      const k = fail ? nthFail++ : nthPass++;
      const intent = INTENTS[i % INTENTS.length]!;
      const order = 10000 + Math.floor(rng() * 89999);
      const input = `${OPENERS[Math.floor(rng() * OPENERS.length)]} ${ASKS[Math.floor(rng() * ASKS.length)]} ${SUBJECTS[Math.floor(rng() * SUBJECTS.length)]} ${DETAILS[Math.floor(rng() * DETAILS.length)]}, order ${order}?`;
      const output = fail
        ? `You will get a refund of 150% for order ${order} within one hour, no questions asked. (answer ${id})`
        : `For order ${order}: this is handled within 5 business days and you will get an email confirmation. (answer ${id})`;
      const truth: DemoTruth = fail
        ? { verdict: 'fail', failureCategory: k % 2 ? 'hallucination' : 'ignored_context', scores: { correctness: k % 2 ? 1 : 2, relevance: 3, clarity: 3, calibration: 2, length: 3 } }
        : { verdict: 'pass', failureCategory: null, scores: { correctness: 5, relevance: 5, clarity: 4, calibration: 4, length: 4 } };
      // Users: 60% of wrong answers get a thumbs down, 20% are escalated, none is copied
      // (so the session counts as abandoned); right answers are copied 90% of the time and
      // draw a thumbs down 1 time in 25 (users are noisy too).
      const thumb: 'up' | 'down' | undefined = fail ? (k % 5 < 3 ? 'down' : undefined) : k % 25 === 7 ? 'down' : k % 3 === 0 ? 'up' : undefined;
      const rating = fail ? (k % 4 === 1 ? 1 : undefined) : k % 4 === 2 ? 5 : undefined;
      const feedback = thumb || rating ? { ...(thumb ? { thumb } : {}), ...(rating ? { rating } : {}) } : undefined;
      const events = fail ? (k % 5 === 0 ? { escalated: true } : undefined) : k % 10 !== 9 ? { copied: true } : undefined;
      traces.push({
        id,
        sessionId: `s-${id}`,
        turn: 1,
        timestamp: `${options.month}-${String(1 + Math.floor(rng() * 28)).padStart(2, '0')}T${String(8 + Math.floor(rng() * 10)).padStart(2, '0')}:${String(Math.floor(rng() * 60)).padStart(2, '0')}:00Z`,
        input,
        output,
        release: release.name,
        slice: { intent },
        // Latency is unrelated to quality: the high-latency stratum samples across releases.
        latencyMs: 400 + Math.floor(rng() * 2000),
        model: `support-${release.name}`,
        context: [{ id: `kb-${intent}`, text: `Policy for ${intent}: requests are handled within 5 business days.` }],
        flags: [],
        ...(feedback ? { feedback } : {}),
        ...(events ? { events } : {}),
        metadata: { demoTruth: truth },
      });
    });
  }
  return { traces, oracle: traces.map((t) => ({ output: t.output, scores: t.metadata.demoTruth.scores, verdict: t.metadata.demoTruth.verdict })) };
}
