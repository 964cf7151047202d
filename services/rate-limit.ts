// Requests per API key, in memory per API process (rate-limiter-flexible). With several
// API processes each enforces its own budget; a shared store would be its Redis/Postgres mode.
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ServiceError } from './errors';

let limiter: RateLimiterMemory | undefined;
let perMinute = 600;

export async function consumeRequest(keyId: string): Promise<void> {
  if (!limiter) {
    // Read at first use, so a process (or a test) can set the budget before serving.
    perMinute = Number(process.env.FLYWHEEL_RATE_LIMIT_PER_MINUTE ?? 600);
    limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  }
  try {
    await limiter.consume(keyId);
  } catch (error) {
    if (error instanceof RateLimiterRes) {
      throw new ServiceError('RATE_LIMITED', `too many requests for this key: ${perMinute} a minute; retry in ${Math.ceil(error.msBeforeNext / 1000)} s`, { retryAfterSeconds: Math.ceil(error.msBeforeNext / 1000) });
    }
    throw error;
  }
}
