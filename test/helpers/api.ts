// The real HTTP server on an ephemeral port, and a small GraphQL client for tests.
import type { AddressInfo } from 'node:net';
import { createApiServer } from '../../api/server';
import type { Db } from '../../db/client';
import type { TemporalDeps } from '../../services/flywheel-runs';

export interface GraphqlResult<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export interface TestApi {
  baseUrl: string;
  graphql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<GraphqlResult<T>>;
  close(): Promise<void>;
}

export async function startTestApi(db: Db, temporal: TemporalDeps): Promise<TestApi> {
  const server = createApiServer({ db, temporal });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    async graphql(query, variables, key) {
      const response = await fetch(`${baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as Omit<GraphqlResult, 'status'>;
      return { status: response.status, ...body } as GraphqlResult<any>;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
