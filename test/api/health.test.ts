// /healthz is 200 only when both PostgreSQL and Temporal answer; otherwise 503 naming what is
// down, without the cause (the page is public; the cause goes to the log).
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { startTestApi, type TestApi } from '../helpers/api';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';

describe('/healthz', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  const apis: TestApi[] = [];
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    temporal = await connectTestTemporal(database.db);
  });
  afterAll(async () => {
    for (const api of apis) await api.close();
    for (const close of closers) await close().catch(() => {});
    await temporal?.close();
    await database?.drop();
  });

  const health = async (api: TestApi) => {
    const response = await fetch(`${api.baseUrl}/healthz`);
    return { status: response.status, body: (await response.json()) as { ok: boolean; postgres: string; temporal: string } };
  };

  it('is 200 when both answer', async () => {
    const api = await startTestApi(database.db, { client: temporal.client, taskQueue: temporal.taskQueue });
    apis.push(api);
    expect(await health(api)).toEqual({ status: 200, body: { ok: true, postgres: 'ok', temporal: 'ok' } });
  });

  it('is 503 when PostgreSQL does not answer', async () => {
    // Nothing listens on port 1.
    const deadDb = createDb('postgresql://postgres@127.0.0.1:1/postgres', 1);
    closers.push(() => deadDb.$disconnect());
    const api = await startTestApi(deadDb, { client: temporal.client, taskQueue: temporal.taskQueue });
    apis.push(api);
    const { status, body } = await health(api);
    expect(status).toBe(503);
    expect(body.ok).toBe(false);
    expect(body.postgres).toBe('down');
    expect(body.temporal).toBe('ok');
  });

  it('is 503 when Temporal does not answer', async () => {
    // Not closed afterwards: the gRPC client's own retry timers would then find a closed
    // channel and throw outside any test; left open they fail quietly when the fork ends.
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
    const api = await startTestApi(database.db, { client: new Client({ connection }), taskQueue: 'none' });
    apis.push(api);
    const { status, body } = await health(api);
    expect(status).toBe(503);
    expect(body).toMatchObject({ ok: false, postgres: 'ok' });
    expect(body.temporal).toBe('down');
  });
});
