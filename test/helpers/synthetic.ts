// Deterministic synthetic production traffic for tests: sessions across slices with a
// 60-20-10-10 mix, some thumbs down, rephrases and long sessions.
import { createRng } from '../../core/stats/rng';

const INTENTS: [string, number][] = [['billing', 0.6], ['shipping', 0.2], ['returns', 0.1], ['account', 0.1]];
const TOPICS = ['invoice', 'refund', 'card', 'parcel', 'tracking', 'password', 'address', 'warranty', 'coupon', 'plan', 'receipt', 'delivery', 'login', 'size', 'exchange'];

export function syntheticTraces(count: number, options: { seed?: string; month?: string; prefix?: string; release?: string } = {}) {
  const rng = createRng(options.seed ?? 'synthetic');
  const month = options.month ?? '2026-10';
  const prefix = options.prefix ?? 't';
  const traces: Record<string, unknown>[] = [];
  let session = 0;
  while (traces.length < count) {
    session += 1;
    const r = rng();
    let acc = 0;
    const intent = INTENTS.find(([, share]) => (acc += share) >= r)?.[0] ?? 'account';
    const turns = 1 + Math.floor(rng() * (rng() < 0.1 ? 9 : 3));
    const day = 1 + Math.floor(rng() * 28);
    for (let turn = 1; turn <= turns && traces.length < count; turn += 1) {
      const topic = TOPICS[Math.floor(rng() * TOPICS.length)]!;
      const rephrase = turn > 1 && rng() < 0.25;
      const previous = traces.at(-1);
      const input = rephrase && previous ? `${String(previous.input)} please??` : `question ${traces.length} about my ${topic} number ${Math.floor(rng() * 100000)}`;
      traces.push({
        id: `${prefix}${traces.length}`,
        sessionId: `${prefix}-s${session}`,
        turn,
        timestamp: `${month}-${String(day).padStart(2, '0')}T${String(8 + turn).padStart(2, '0')}:00:00Z`,
        input,
        output: `answer ${traces.length} about ${topic}`,
        release: options.release ?? (rng() < 0.5 ? 'v1' : 'v2'),
        slice: { intent },
        latencyMs: Math.round(300 + rng() * 3000),
        ...(rng() < 0.12 ? { feedback: { thumb: 'down' } } : rng() < 0.2 ? { feedback: { thumb: 'up' } } : {}),
        ...(rng() < 0.03 ? { flags: ['pii_detected'] } : {}),
      });
    }
  }
  return traces;
}
