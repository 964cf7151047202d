import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REPHRASE_THRESHOLD,
  NEGATIVE_SIGNAL_KINDS,
  SIGNAL_KINDS,
  deriveSessionSignals,
  isNegativeSignal,
  sortSessionTurns,
  type SessionTurn,
  type Signal,
  type SignalKind,
} from '../../../core/signals/derive-signals';
import { similarity } from '../../../core/text/normalize';

// ---------------------------------------------------------------------------------
// Rephrase threshold. Pairs are (this turn's input, the user's next input).
//
// TUNING set: the text-similarity weights and the 0.60 threshold were chosen on these.
// Measured at 0.60: 15/15 rephrases ≥ threshold, 14/14 follow-ups below → 29/29 = 100%.
// Closest calls: "add a teammate" / "remove a teammate" scores 0.59 (an antonym a
// lexical measure cannot see) and "you didn't answer…" / "what are the API rate
// limits" scores 0.61. Every other follow-up is ≤ 0.43, every other rephrase ≥ 0.69.
//
// HELD-OUT set: written after tuning and never used to adjust anything.
// Measured at 0.60: 7/8 rephrases, 8/8 follow-ups → 15/16 = 93.75%. The miss is
// "how do I turn on dark mode" / "where is the dark mode setting" (0.59).
//
// Overall 44/45 ≈ 97.8%.

const TUNING_REPHRASES: [string, string][] = [
  ['how do I reset my password', 'how can i reset my password??'],
  ['cancel my subscription', 'I want to cancel my subscription please'],
  ["What's your refund policy?", 'what is the refund policy'],
  ['change shipping address on order 1234', 'how do i change the shipping address for order 1234'],
  ['export my data to csv', 'how to export data as CSV'],
  ['The app keeps crashing on startup', 'app crashes on startup'],
  ['Can I upgrade to the enterprise plan?', 'how do I upgrade to the Enterprise plan'],
  ['delete my account', 'please delete my account now!!'],
  ['my invoice for march is wrong', 'the march invoice is wrong'],
  ['Why was I charged twice?', 'why did you charge me twice this month'],
  ['connect the slack integration', 'how do I connect Slack integration?'],
  ['Réinitialiser mon mot de passe', 'reinitialiser mot de passe svp'],
  ['Wie kann ich meine Rechnung herunterladen?', 'rechnung herunterladen wie'],
  ['how do i add a teammate', 'how do I add teammates to my workspace'],
  ['you didnt answer my question about api rate limits', 'what are the API rate limits'],
];

const TUNING_FOLLOW_UPS: [string, string][] = [
  ['how do I reset my password', 'thanks, and how do I change my email?'],
  ['cancel my subscription', 'will I get a refund for the remaining months?'],
  ["What's your refund policy?", 'ok, how long does the refund take to arrive'],
  ['change shipping address on order 1234', 'and can I also change the delivery date?'],
  ['export my data to csv', 'can I schedule that to run every week?'],
  ['The app keeps crashing on startup', "I'm on android 14, pixel 8"],
  ['Can I upgrade to the enterprise plan?', 'what does enterprise cost per seat'],
  ['delete my account', 'what happens to my invoices after that'],
  ['Why was I charged twice?', 'great, when will the money show up on my card?'],
  ['connect the slack integration', 'now how do I connect it to jira'],
  ['how do I reset my password', 'how do I reset my 2fa device'],
  ['how do i add a teammate', 'how do I remove a teammate'],
  ['what are the API rate limits', 'is there a bulk endpoint for that?'],
  ['my invoice for march is wrong', 'can you send me the april one too'],
];

const HELD_OUT_REPHRASES: [string, string][] = [
  ['how do I turn on dark mode', 'where is the dark mode setting'],
  ['the export button does nothing', 'export button not working'],
  ['can I pay by invoice instead of card', 'is paying by invoice possible instead of a credit card?'],
  ['where can I find my API key', 'where do I find the api key??'],
  ["my order hasn't arrived yet", 'order still hasnt arrived'],
  ['how do I change the language to German', 'change language to german please'],
  ['is there a student discount', 'do you offer student discounts?'],
  ['log out of all devices', 'how can I log out from all my devices'],
];

const HELD_OUT_FOLLOW_UPS: [string, string][] = [
  ['how do I turn on dark mode', 'does it work on mobile too?'],
  ['the export button does nothing', 'I already tried clearing the cache'],
  ['can I pay by invoice instead of card', 'what are the payment terms then'],
  ['where can I find my API key', 'how do I rotate it'],
  ["my order hasn't arrived yet", 'the tracking number is 1Z999AA10123456784'],
  ['how do I change the language to German', 'and the date format?'],
  ['is there a student discount', 'how do I verify my student status'],
  ['log out of all devices', 'how do I see which devices are logged in'],
];

function accuracy(rephrases: [string, string][], followUps: [string, string][], threshold: number): number {
  const hits =
    rephrases.filter(([a, b]) => similarity(b, a) >= threshold).length +
    followUps.filter(([a, b]) => similarity(b, a) < threshold).length;
  return hits / (rephrases.length + followUps.length);
}

describe('rephrase threshold', () => {
  it('defaults to 0.60', () => {
    expect(DEFAULT_REPHRASE_THRESHOLD).toBe(0.6);
  });

  it.each(TUNING_REPHRASES)('treats %j → %j as a rephrase', (a, b) => {
    expect(similarity(b, a)).toBeGreaterThanOrEqual(DEFAULT_REPHRASE_THRESHOLD);
  });

  it.each(TUNING_FOLLOW_UPS)('treats %j → %j as a follow-up', (a, b) => {
    expect(similarity(b, a)).toBeLessThan(DEFAULT_REPHRASE_THRESHOLD);
  });

  it('separates the tuning set completely (29/29)', () => {
    expect(accuracy(TUNING_REPHRASES, TUNING_FOLLOW_UPS, DEFAULT_REPHRASE_THRESHOLD)).toBe(1);
  });

  it('generalises to the held-out set (measured 15/16)', () => {
    expect(accuracy(HELD_OUT_REPHRASES, HELD_OUT_FOLLOW_UPS, DEFAULT_REPHRASE_THRESHOLD)).toBeGreaterThanOrEqual(15 / 16);
  });
});

// ---------------------------------------------------------------------------------
// Signal derivation

let seq = 0;
function turn(partial: Partial<SessionTurn> & { input: string }): SessionTurn {
  seq += 1;
  return {
    traceId: `t${seq}`,
    turn: null,
    timestamp: `2024-05-01T12:${String(seq % 60).padStart(2, '0')}:00Z`,
    latencyMs: null,
    feedback: null,
    events: null,
    flags: [],
    ...partial,
  };
}

function session(inputs: string[], extra: Partial<SessionTurn>[] = []): SessionTurn[] {
  return inputs.map((input, i) =>
    turn({ input, turn: i + 1, timestamp: `2024-05-01T12:0${i}:00Z`, traceId: `s${i + 1}`, ...(extra[i] ?? {}) }),
  );
}

const kinds = (signals: Signal[]): SignalKind[] => signals.map((s) => s.kind);
const cfg = { highLatencyMs: null };

describe('deriveSessionSignals', () => {
  it('flags a rephrase on the turn being restated, with a derivation', () => {
    const out = deriveSessionSignals(
      session(['how do I reset my password', 'how can i reset my password??', 'thanks, and how do I change my email?']),
      cfg,
    );
    expect(out.map((t) => t.traceId)).toEqual(['s1', 's2', 's3']);
    const rephrase = out[0]!.signals.find((s) => s.kind === 'rephrase');
    expect(rephrase?.value).toBeCloseTo(similarity('how can i reset my password??', 'how do I reset my password'), 10);
    expect(rephrase?.derivation).toMatch(/^similarity 0\.\d\d >= 0\.60 with turn 2's input/);
    expect(kinds(out[0]!.signals)).not.toContain('follow_up');
    const follow = out[1]!.signals.find((s) => s.kind === 'follow_up');
    expect(follow).toMatchObject({ value: true });
    expect(follow?.derivation).toMatch(/^turn 3 follows; similarity 0\.\d\d < 0\.60/);
    expect(kinds(out[2]!.signals)).toEqual(['abandoned']);
  });

  it('honours a custom rephrase threshold', () => {
    const s = session(['how do I reset my password', 'how do I reset my 2fa device']);
    expect(kinds(deriveSessionSignals(s, cfg)[0]!.signals)).toContain('follow_up');
    expect(kinds(deriveSessionSignals(s, { ...cfg, rephraseThreshold: 0.4 })[0]!.signals)).toContain('rephrase');
  });

  it('derives explicit feedback signals', () => {
    const [t] = deriveSessionSignals(
      [turn({ input: 'x', feedback: { thumb: 'down', rating: 2, comment: null }, events: { copied: true } })],
      cfg,
    );
    expect(t!.signals).toEqual([
      { kind: 'thumbs_down', value: true, derivation: 'feedback.thumb = "down"' },
      { kind: 'low_rating', value: 2, derivation: 'feedback.rating 2 <= 2' },
    ]);
    const [up] = deriveSessionSignals([turn({ input: 'x', feedback: { thumb: 'up', rating: 3 } })], cfg);
    expect(kinds(up!.signals)).toEqual(['thumbs_up']);
  });

  it('calls the last turn abandoned only without a positive signal', () => {
    const last = (p: Partial<SessionTurn>) => deriveSessionSignals([turn({ input: 'q', ...p })], cfg)[0]!.signals;
    expect(last({}).find((s) => s.kind === 'abandoned')?.derivation).toBe(
      'session ends after this turn (1 of 1) with no thumbs up, rating >= 4 or copy',
    );
    expect(kinds(last({ feedback: { thumb: 'up' } }))).not.toContain('abandoned');
    expect(kinds(last({ feedback: { rating: 4 } }))).not.toContain('abandoned');
    expect(kinds(last({ events: { copied: true } }))).not.toContain('abandoned');
    expect(kinds(last({ feedback: { rating: 3 } }))).toContain('abandoned');
  });

  it('reports events.abandoned on any turn', () => {
    const out = deriveSessionSignals(session(['a b c', 'x y z'], [{ events: { abandoned: true } }]), cfg);
    expect(out[0]!.signals.find((s) => s.kind === 'abandoned')?.derivation).toBe(
      'events.abandoned = true (reported by the application)',
    );
    // Even a positive last turn counts if the application says the user abandoned.
    const [t] = deriveSessionSignals([turn({ input: 'q', feedback: { thumb: 'up' }, events: { abandoned: true } })], cfg);
    expect(kinds(t!.signals)).toEqual(['abandoned', 'thumbs_up']);
  });

  it('waits out the quiet period before calling a session abandoned', () => {
    const s = [turn({ input: 'q', timestamp: '2024-05-01T12:00:00Z' })];
    const quiet = { ...cfg, abandonmentQuietMinutes: 30 };
    expect(kinds(deriveSessionSignals(s, { ...quiet, asOf: '2024-05-01T12:10:00Z' })[0]!.signals)).toEqual([]);
    const late = deriveSessionSignals(s, { ...quiet, asOf: '2024-05-01T13:00:00+00:00' })[0]!.signals;
    expect(late[0]?.derivation).toBe(
      'session ends after this turn (1 of 1) with no thumbs up, rating >= 4 or copy, quiet for 60 min >= 30 min',
    );
  });

  it('derives event, latency, guardrail and long-session signals', () => {
    const inputs = Array.from({ length: 8 }, (_, i) => `unrelated question number ${['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'][i]}`);
    const out = deriveSessionSignals(
      session(inputs, [
        { events: { escalated: true, regenerated: true }, latencyMs: 4000, flags: ['pii', 'toxicity'] },
        { latencyMs: 2999 },
        { latencyMs: 3000 },
      ]),
      { highLatencyMs: 3000 },
    );
    const first = out[0]!.signals;
    expect(first.find((s) => s.kind === 'escalated')?.derivation).toBe('events.escalated = true');
    expect(first.find((s) => s.kind === 'regenerated')?.derivation).toBe('events.regenerated = true');
    expect(first.find((s) => s.kind === 'high_latency')).toEqual({
      kind: 'high_latency',
      value: 4000,
      derivation: 'latency 4000 ms >= project p90 3000 ms',
    });
    expect(first.find((s) => s.kind === 'guardrail_flagged')?.derivation).toBe('flags: pii, toxicity');
    expect(kinds(out[1]!.signals)).not.toContain('high_latency');
    expect(kinds(out[2]!.signals)).toContain('high_latency');
    for (const t of out) {
      expect(t.signals.find((s) => s.kind === 'long_session')).toEqual({
        kind: 'long_session',
        value: 8,
        derivation: 'session has 8 turns >= 8',
      });
    }
    // Seven turns is not long with the default of 8; the threshold is configurable.
    expect(kinds(deriveSessionSignals(session(inputs.slice(0, 7)), cfg)[0]!.signals)).not.toContain('long_session');
    expect(kinds(deriveSessionSignals(session(inputs.slice(0, 3)), { ...cfg, longSessionTurns: 3 })[0]!.signals)).toContain(
      'long_session',
    );
  });

  it('skips high_latency when there is no p90 yet', () => {
    const [t] = deriveSessionSignals([turn({ input: 'q', latencyMs: 1e9 })], { highLatencyMs: null });
    expect(kinds(t!.signals)).not.toContain('high_latency');
  });

  it('emits signals in SIGNAL_KINDS order', () => {
    const out = deriveSessionSignals(
      session(['reset password', 'reset password!!'], [
        { feedback: { thumb: 'down', rating: 1 }, events: { escalated: true, regenerated: true }, latencyMs: 10, flags: ['x'] },
      ]),
      { highLatencyMs: 1, longSessionTurns: 2 },
    );
    const k = kinds(out[0]!.signals);
    expect(k).toEqual(['thumbs_down', 'low_rating', 'rephrase', 'escalated', 'regenerated', 'long_session', 'high_latency', 'guardrail_flagged']);
    expect([...k].sort((a, b) => SIGNAL_KINDS.indexOf(a) - SIGNAL_KINDS.indexOf(b))).toEqual(k);
  });

  it('sorts turns by turn number then timestamp, whatever the input order', () => {
    const a = turn({ traceId: 'a', turn: 2, timestamp: '2024-05-01T12:00:00Z', input: 'second' });
    const b = turn({ traceId: 'b', turn: 1, timestamp: '2024-05-01T13:00:00Z', input: 'first' });
    const c = turn({ traceId: 'c', turn: 2, timestamp: '2024-05-01T11:00:00Z', input: 'second, earlier' });
    expect(deriveSessionSignals([a, b, c], cfg).map((t) => t.traceId)).toEqual(['b', 'c', 'a']);
    // Without turn numbers, timestamps decide (offsets respected).
    const x = turn({ traceId: 'x', timestamp: '2024-05-01T12:30:00+01:00', input: 'q' }); // 11:30Z
    const y = turn({ traceId: 'y', timestamp: '2024-05-01T12:00:00Z', input: 'q' });
    expect(sortSessionTurns([y, x]).map((t) => t.traceId)).toEqual(['x', 'y']);
  });

  it('labels turns without numbers by position', () => {
    const out = deriveSessionSignals(
      [turn({ input: 'cancel my subscription', timestamp: '2024-05-01T12:00:00Z' }), turn({ input: 'please cancel my subscription', timestamp: '2024-05-01T12:01:00Z' })],
      cfg,
    );
    expect(out[0]!.signals[0]?.derivation).toMatch(/with message 2's input/);
  });

  it('returns nothing for an empty session', () => {
    expect(deriveSessionSignals([], cfg)).toEqual([]);
  });

  it('rejects an invalid config', () => {
    expect(() => deriveSessionSignals([], { ...cfg, rephraseThreshold: 0 })).toThrow(RangeError);
    expect(() => deriveSessionSignals([], { ...cfg, rephraseThreshold: 1.5 })).toThrow(RangeError);
    expect(() => deriveSessionSignals([], { ...cfg, longSessionTurns: 0 })).toThrow(RangeError);
    expect(() => deriveSessionSignals([], { highLatencyMs: -1 })).toThrow(RangeError);
    expect(() => deriveSessionSignals([], { ...cfg, asOf: 'soon' })).toThrow(RangeError);
  });
});

describe('signal kinds', () => {
  it('classifies negatives', () => {
    expect(NEGATIVE_SIGNAL_KINDS).not.toContain('thumbs_up');
    expect(NEGATIVE_SIGNAL_KINDS).not.toContain('follow_up');
    expect(isNegativeSignal('rephrase')).toBe(true);
    expect(isNegativeSignal('thumbs_up')).toBe(false);
    for (const k of NEGATIVE_SIGNAL_KINDS) expect(SIGNAL_KINDS).toContain(k);
  });
});
