// Every activity with a heartbeat timeout heartbeats on its own while it runs, so the
// timeout measures "is the worker still alive", not "did this activity remember to
// heartbeat": a killed worker is noticed within the timeout, a slow but healthy query is
// not cut short. Activities that report progress (judging) still add their own details.
import type { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';

// Three beats per timeout: one lost or late beat does not time the activity out.
const BEATS_PER_TIMEOUT = 3;

class KeepAliveHeartbeats implements ActivityInboundCallsInterceptor {
  constructor(private readonly context: Context) {}

  async execute(...[input, next]: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>): Promise<unknown> {
    const timeoutMs = this.context.info.heartbeatTimeoutMs;
    if (!timeoutMs) return next(input);
    const timer = setInterval(() => this.context.heartbeat(), Math.max(100, Math.floor(timeoutMs / BEATS_PER_TIMEOUT)));
    try {
      return await next(input);
    } finally {
      clearInterval(timer);
    }
  }
}

export const keepAliveHeartbeats: ActivityInterceptorsFactory = (context) => ({ inbound: new KeepAliveHeartbeats(context) });
