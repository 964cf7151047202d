/**
 * Seeded pseudo-random numbers for resampling.
 *
 * Why not Math.random: a bootstrap interval shown in a report must be the same
 * every time the report is rebuilt from the same data, so every random draw in
 * core/stats comes from a generator seeded by the caller.
 *
 * mulberry32 (Tommy Ettinger, public domain) is tiny, fast and passes the
 * statistical batteries that matter for resampling; it is not cryptographic and
 * does not need to be.
 */

/** A seed: any string (e.g. a run id) or number. */
export type Seed = string | number;

/** A generator of uniform floats in [0, 1). */
export type Rng = () => number;

/**
 * Hash a seed to an unsigned 32-bit integer.
 * Strings go through FNV-1a followed by a murmur3 finaliser, so seeds that differ
 * by one character ("run-1", "run-2") still give unrelated streams.
 * Integer numbers in the uint32 range are used as they are; other numbers are
 * hashed through their string form.
 */
export function hashSeed(seed: Seed): number {
  if (typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff) {
    return seed >>> 0;
  }
  const text = typeof seed === 'number' ? `n:${String(seed)}` : seed;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // murmur3 fmix32: spreads the low-entropy FNV state over all 32 bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A mulberry32 generator: same seed, same sequence, on every platform. */
export function createRng(seed: Seed): Rng {
  let state = hashSeed(seed);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  if (!Number.isInteger(n) || n <= 0) {
    throw new RangeError(`randomInt needs a positive integer bound, got ${n}`);
  }
  return Math.floor(rng() * n);
}

/**
 * A child seed for one sub-computation (a dimension, a slice, a metric).
 * Why: several bootstraps in one report should not share a stream (their
 * intervals would be correlated), yet each must stay reproducible on its own,
 * independent of the order in which the others run.
 */
export function deriveSeed(seed: Seed, ...parts: ReadonlyArray<string | number>): string {
  return [typeof seed === 'number' ? `n:${String(seed)}` : seed, ...parts.map(String)].join('\u241f');
}
