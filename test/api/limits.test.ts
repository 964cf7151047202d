// Expensive or abusive GraphQL requests are refused before they run; the service stays up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../services/api-keys';
import type { TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import { openTestbed, type Testbed } from '../helpers/testbed';

describe('GraphQL limits', () => {
  let database: TestDatabase;
  let api: TestApi;
  let admin: string;
  let bed: Testbed;

  beforeAll(async () => {
    process.env.FLYWHEEL_RATE_LIMIT_PER_MINUTE = '40';
    bed = await openTestbed({ worker: false });
    ({ database, api, admin } = bed);
  });
  afterAll(async () => {
    await bed?.close();
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
