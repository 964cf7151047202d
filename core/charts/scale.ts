// Linear scales and "nice" axis ticks (1, 2, 2.5, 5 x 10^k steps).

export interface Domain {
  min: number;
  max: number;
}

export function linearScale(domain: Domain, range: readonly [number, number]): (value: number) => number {
  const span = domain.max - domain.min;
  return (value) => (span === 0 ? (range[0] + range[1]) / 2 : range[0] + ((value - domain.min) / span) * (range[1] - range[0]));
}

function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** Ticks on multiples of a nice step, inside the domain. */
export function niceTicks(domain: Domain, target = 5): number[] {
  const span = domain.max - domain.min;
  if (!(span > 0)) return [domain.min];
  const step = niceStep(span, target);
  const ticks: number[] = [];
  // Rounding to the step's precision removes float noise such as 0.30000000000000004.
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  for (let v = Math.ceil(domain.min / step - 1e-9) * step; v <= domain.max + step * 1e-9; v += step) ticks.push(Number(v.toFixed(digits)));
  return ticks;
}

/**
 * A domain around the values, padded by a share of its span and widened to nice steps,
 * never beyond the measure's own bounds (a rate stays within 0..1).
 */
export function fitDomain(values: readonly number[], bounds: Domain, padShare = 0.08): Domain {
  if (values.length === 0) return bounds;
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (max - min < (bounds.max - bounds.min) * 0.02) {
    // One value (or nearly): show a small window around it rather than a zero-width axis.
    const half = (bounds.max - bounds.min) * 0.05;
    min -= half;
    max += half;
  }
  const pad = (max - min) * padShare;
  const step = niceStep(max - min + 2 * pad, 5);
  return {
    min: Math.max(bounds.min, Math.floor((min - pad) / step) * step),
    max: Math.min(bounds.max, Math.ceil((max + pad) / step) * step),
  };
}
