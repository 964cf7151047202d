// Typed, user-facing errors. GraphQL shows their message and code; anything else is
// masked by graphql-yoga, so a stack trace never reaches a client.
import { GraphQLError } from 'graphql';

export type ErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT' | 'CONFLICT' | 'UNAVAILABLE' | 'RATE_LIMITED';

const HTTP_STATUS: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  CONFLICT: 409,
  UNAVAILABLE: 503,
  RATE_LIMITED: 429,
};

export class ServiceError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
  ) {
    // Only authentication failures change the HTTP status of a GraphQL response:
    // a partially failed query still answers 200 with its data and errors.
    super(message, {
      extensions: { code, ...details, ...(code === 'UNAUTHENTICATED' ? { http: { status: 401 } } : code === 'RATE_LIMITED' ? { http: { status: 429 } } : {}) },
    });
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}

export const notFound = (what: string, id: string) => new ServiceError('NOT_FOUND', `${what} ${id} not found`);
export const badInput = (message: string, details?: Record<string, unknown>) => new ServiceError('BAD_USER_INPUT', message, details);
