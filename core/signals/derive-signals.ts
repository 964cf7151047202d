// Implicit and explicit quality signals per trace. Most implicit signals only exist in
// context (a rephrase is about the *next* message), so derivation works on a whole
// session at once. Every signal says how it was derived, so a reviewer can check it.
import { featuresSimilarity, similarityFeatures } from '../text/normalize';
import type { TraceEvents, TraceFeedback } from '../traces/trace-schema';

export type SignalKind =
  | 'thumbs_down'
  | 'low_rating'
  | 'rephrase'
  | 'follow_up'
  | 'abandoned'
  | 'escalated'
  | 'regenerated'
  | 'long_session'
  | 'high_latency'
  | 'guardrail_flagged'
  | 'thumbs_up';

/** All kinds, in the order signals are emitted for a trace. */
export const SIGNAL_KINDS: readonly SignalKind[] = [
  'thumbs_down',
  'low_rating',
  'rephrase',
  'follow_up',
  'abandoned',
  'escalated',
  'regenerated',
  'long_session',
  'high_latency',
  'guardrail_flagged',
  'thumbs_up',
];

/**
 * Kinds that suggest the answer was bad. `long_session` counts: long back-and-forth
 * usually means the user is struggling. `follow_up` is neutral; `thumbs_up` positive.
 * The order is stored: bit i of trace_sampling_key.negative_mask is the i-th kind (SQL
 * function trace_negative_mask), so new kinds go at the end, with a migration.
 */
export const NEGATIVE_SIGNAL_KINDS: readonly SignalKind[] = [
  'thumbs_down',
  'low_rating',
  'rephrase',
  'abandoned',
  'escalated',
  'regenerated',
  'long_session',
  'high_latency',
  'guardrail_flagged',
];

export const POSITIVE_SIGNAL_KINDS: readonly SignalKind[] = ['thumbs_up'];

const NEGATIVE = new Set<SignalKind>(NEGATIVE_SIGNAL_KINDS);

export function isNegativeSignal(kind: SignalKind): boolean {
  return NEGATIVE.has(kind);
}

/**
 * A signal that fired. Only fired signals are emitted (absence = did not fire). `value`
 * is the measurement behind it where there is one — similarity for `rephrase`, the
 * rating for `low_rating`, milliseconds for `high_latency`, turn count for
 * `long_session` — and `true` otherwise.
 */
export interface Signal {
  kind: SignalKind;
  value: boolean | number;
  derivation: string;
}

/** One turn of a session, as much of a trace as signal derivation needs. */
export interface SessionTurn {
  traceId: string;
  turn: number | null;
  /** ISO 8601 with timezone. */
  timestamp: string;
  input: string;
  latencyMs: number | null;
  feedback: Partial<TraceFeedback> | null;
  events: Partial<TraceEvents> | null;
  flags: readonly string[];
}

export interface SignalConfig {
  /** `rephrase` fires when similarity(next.input, input) >= this. Default {@link DEFAULT_REPHRASE_THRESHOLD}. */
  rephraseThreshold?: number;
  /** `long_session` fires on every turn of a session with at least this many turns. Default 8. */
  longSessionTurns?: number;
  /** The project's p90 latency; null disables `high_latency` (not enough data yet). */
  highLatencyMs: number | null;
  /**
   * With `asOf`: a session whose last turn is less than this many minutes before `asOf`
   * may still be going on, so its last turn is not yet called abandoned.
   */
  abandonmentQuietMinutes?: number;
  /** The "now" of this derivation (ISO 8601), e.g. the end of the analysed period. */
  asOf?: string;
}

/**
 * Tuned on the labelled pairs in test/core/signals/derive-signals.test.ts: 29/29 tuning
 * pairs and 15/16 held-out pairs classified correctly (44/45 ≈ 98%).
 */
export const DEFAULT_REPHRASE_THRESHOLD = 0.6;
export const DEFAULT_LONG_SESSION_TURNS = 8;
export const LOW_RATING_MAX = 2;
export const POSITIVE_RATING_MIN = 4;

export interface TraceSignals {
  traceId: string;
  signals: Signal[];
}

interface ResolvedConfig {
  rephraseThreshold: number;
  longSessionTurns: number;
  highLatencyMs: number | null;
  quietMs: number | null;
  asOfMs: number | null;
}

function resolveConfig(config: SignalConfig): ResolvedConfig {
  const rephraseThreshold = config.rephraseThreshold ?? DEFAULT_REPHRASE_THRESHOLD;
  if (!(rephraseThreshold > 0 && rephraseThreshold <= 1)) {
    throw new RangeError(`rephraseThreshold must be in (0, 1], got ${rephraseThreshold}`);
  }
  const longSessionTurns = config.longSessionTurns ?? DEFAULT_LONG_SESSION_TURNS;
  if (!Number.isInteger(longSessionTurns) || longSessionTurns < 1) {
    throw new RangeError(`longSessionTurns must be a positive integer, got ${longSessionTurns}`);
  }
  const { highLatencyMs } = config;
  if (highLatencyMs !== null && !(Number.isFinite(highLatencyMs) && highLatencyMs >= 0)) {
    throw new RangeError(`highLatencyMs must be a non-negative number or null, got ${highLatencyMs}`);
  }
  const quiet = config.abandonmentQuietMinutes;
  if (quiet !== undefined && !(Number.isFinite(quiet) && quiet >= 0)) {
    throw new RangeError(`abandonmentQuietMinutes must be a non-negative number, got ${quiet}`);
  }
  let asOfMs: number | null = null;
  if (config.asOf !== undefined) {
    asOfMs = Date.parse(config.asOf);
    if (Number.isNaN(asOfMs)) throw new RangeError(`asOf must be an ISO 8601 date-time, got ${config.asOf}`);
  }
  return { rephraseThreshold, longSessionTurns, highLatencyMs, quietMs: quiet === undefined ? null : quiet * 60_000, asOfMs };
}

function timeOf(t: SessionTurn): number {
  const ms = Date.parse(t.timestamp);
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

/**
 * Orders turns by turn number, then timestamp, then trace id. If any turn number is
 * missing, numbers cannot be compared across all pairs, so timestamp leads instead
 * (a mixed comparator would not be a consistent ordering).
 */
export function sortSessionTurns<T extends SessionTurn>(turns: readonly T[]): T[] {
  const allNumbered = turns.every((t) => t.turn !== null);
  const byTurn = (a: T, b: T) => (allNumbered ? a.turn! - b.turn! : 0);
  const byTime = (a: T, b: T) => {
    const d = timeOf(a) - timeOf(b);
    return Number.isNaN(d) ? 0 : d; // both unparseable (∞ − ∞)
  };
  const byId = (a: T, b: T) => (a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0);
  const byNullableTurn = (a: T, b: T) => (a.turn ?? Number.POSITIVE_INFINITY) - (b.turn ?? Number.POSITIVE_INFINITY) || 0;
  return [...turns].sort((a, b) =>
    allNumbered ? byTurn(a, b) || byTime(a, b) || byId(a, b) : byTime(a, b) || byNullableTurn(a, b) || byId(a, b),
  );
}

function label(t: SessionTurn, index: number): string {
  return t.turn !== null ? `turn ${t.turn}` : `message ${index + 1}`;
}

const f2 = (x: number) => x.toFixed(2);

function positiveEvidence(t: SessionTurn): string | undefined {
  if (t.feedback?.thumb === 'up') return 'a thumbs up';
  if (t.feedback?.rating != null && t.feedback.rating >= POSITIVE_RATING_MIN) return `rating ${t.feedback.rating}`;
  if (t.events?.copied === true) return 'the answer was copied';
  return undefined;
}

/**
 * Derives the signals that fired for each trace of one session. `turns` should be the
 * whole session; it is re-sorted defensively (see {@link sortSessionTurns}). Output is in
 * session order, one entry per turn, with signals in {@link SIGNAL_KINDS} order.
 * Throws RangeError on an invalid config (a programming error, not a data error).
 */
export function deriveSessionSignals(turns: readonly SessionTurn[], config: SignalConfig): TraceSignals[] {
  const cfg = resolveConfig(config);
  const sorted = sortSessionTurns(turns);
  const n = sorted.length;
  // Each input is compared with its neighbours on both sides: its features are computed once.
  const features = sorted.map((t) => similarityFeatures(t.input));
  return sorted.map((t, i) => {
    const signals: Signal[] = [];
    const next = sorted[i + 1];
    const fb = t.feedback;
    const ev = t.events;

    if (fb?.thumb === 'down') signals.push({ kind: 'thumbs_down', value: true, derivation: 'feedback.thumb = "down"' });

    if (fb?.rating != null && fb.rating <= LOW_RATING_MAX) {
      signals.push({ kind: 'low_rating', value: fb.rating, derivation: `feedback.rating ${fb.rating} <= ${LOW_RATING_MAX}` });
    }

    if (next !== undefined) {
      // The user's next message restating this one means this answer did not land.
      const sim = featuresSimilarity(features[i + 1]!, features[i]!).score;
      const other = `${label(next, i + 1)}'s input`;
      if (sim >= cfg.rephraseThreshold) {
        signals.push({
          kind: 'rephrase',
          value: sim,
          derivation: `similarity ${f2(sim)} >= ${f2(cfg.rephraseThreshold)} with ${other} (the next message restates this one)`,
        });
      } else {
        signals.push({
          kind: 'follow_up',
          value: true,
          derivation: `${label(next, i + 1)} follows; similarity ${f2(sim)} < ${f2(cfg.rephraseThreshold)} with ${other}, so not a rephrase`,
        });
      }
    }

    if (ev?.abandoned === true) {
      signals.push({ kind: 'abandoned', value: true, derivation: 'events.abandoned = true (reported by the application)' });
    } else if (next === undefined) {
      const positive = positiveEvidence(t);
      const quietForMs = cfg.asOfMs === null ? null : cfg.asOfMs - timeOf(t);
      const maybeOngoing = cfg.quietMs !== null && quietForMs !== null && quietForMs < cfg.quietMs;
      if (positive === undefined && !maybeOngoing) {
        const quiet =
          cfg.quietMs !== null && quietForMs !== null
            ? `, quiet for ${Math.floor(quietForMs / 60_000)} min >= ${cfg.quietMs / 60_000} min`
            : '';
        signals.push({
          kind: 'abandoned',
          value: true,
          derivation: `session ends after this turn (${i + 1} of ${n}) with no thumbs up, rating >= ${POSITIVE_RATING_MIN} or copy${quiet}`,
        });
      }
    }

    if (ev?.escalated === true) signals.push({ kind: 'escalated', value: true, derivation: 'events.escalated = true' });
    if (ev?.regenerated === true) signals.push({ kind: 'regenerated', value: true, derivation: 'events.regenerated = true' });

    if (n >= cfg.longSessionTurns) {
      signals.push({ kind: 'long_session', value: n, derivation: `session has ${n} turns >= ${cfg.longSessionTurns}` });
    }

    if (cfg.highLatencyMs !== null && t.latencyMs !== null && t.latencyMs >= cfg.highLatencyMs) {
      signals.push({
        kind: 'high_latency',
        value: t.latencyMs,
        derivation: `latency ${t.latencyMs} ms >= project p90 ${cfg.highLatencyMs} ms`,
      });
    }

    if (t.flags.length > 0) {
      const shown = t.flags.slice(0, 5).join(', ') + (t.flags.length > 5 ? `, +${t.flags.length - 5} more` : '');
      signals.push({ kind: 'guardrail_flagged', value: true, derivation: `flags: ${shown}` });
    }

    if (fb?.thumb === 'up') signals.push({ kind: 'thumbs_up', value: true, derivation: 'feedback.thumb = "up"' });

    return { traceId: t.traceId, signals };
  });
}
