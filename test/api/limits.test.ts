// Expensive or abusive GraphQL requests are refused before they run; the service stays up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../services/api-keys';
import { startTestApi, type TestApi } from '../helpers/api';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';

describe('GraphQL limits', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let api: TestApi;
  let admin: string;

  beforeAll(async () => {
    process.env.FLYWHEEL_RATE_LIMIT_PER_MINUTE = '40';
    database = await createTestDatabase();
    temporal = await connectTestTemporal(database.db);
    api = await startTestApi(database.db, { client: temporal.client, taskQueue: temporal.taskQueue });
    admin = (await createApiKey(database.db, { name: 'admin', role: 'admin', projectId: null })).plain;
  });
  afterAll(async () => {
    await api?.close();
    await temporal?.close();
    await database?.drop();
  });

  it('refuses a query nested too deep', async () => {
    const deep = `{ projects { edges { node { flywheelRuns { edges { node { project { flywheelRuns { edges { node { project { flywheelRuns { edges { node { id } } } } } } } } } } } } } } }`;
    const result = await api.graphql(deep, {}, admin);
    expect(result.errors?.[0]?.message).toMatch(/depth/i);
    expect(result.data ?? null).toBeNull();
  });

  it('refuses too many aliases', async () => {
    const aliases = `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: viewer { role }`).join(' ')} }`;
    const result = await api.graphql(aliases, {}, admin);
    expect(result.errors?.[0]?.message).toMatch(/alias/i);
  });

  it('refuses an oversized body with 413', async () => {
    const response = await fetch(`${api.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query: '{ viewer { role } }', variables: { pad: 'x'.repeat(9 * 1024 * 1024) } }),
    });
    expect(response.status).toBe(413);
  });

  it('rate-limits per key with 429 and keeps other keys working', async () => {
    const busy = (await createApiKey(database.db, { name: 'busy', role: 'admin', projectId: null })).plain;
    const statuses: number[] = [];
    for (let i = 0; i < 45; i += 1) statuses.push((await api.graphql('{ viewer { role } }', {}, busy)).status);
    expect(statuses.slice(0, 40).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(40).every((s) => s === 429)).toBe(true);
    const limited = await api.graphql('{ viewer { role } }', {}, busy);
    expect(limited.errors?.[0]).toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    expect((await api.graphql('{ viewer { role } }', {}, admin)).status).toBe(200);
  });
});
