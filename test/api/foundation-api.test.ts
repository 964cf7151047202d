import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../services/api-keys';
import type { TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import type { TestTemporal } from '../helpers/temporal';
import { openTestbed, type Testbed } from '../helpers/testbed';

describe('API over HTTP (real server, Postgres, Temporal)', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let api: TestApi;
  let adminKey: string;
  let bed: Testbed;

  beforeAll(async () => {
    bed = await openTestbed();
    ({ database, temporal, api, admin: adminKey } = bed);
  });

  afterAll(async () => {
    await bed?.close();
  });

  it('answers /healthz with 200 when Postgres and Temporal answer', async () => {
    const response = await fetch(`${api.baseUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, postgres: 'ok', temporal: 'ok' });
  });

  it.each([
    ['no key', null],
    ['a wrong key', 'efw_not-a-real-key'],
    ['a malformed header', 'two words'],
  ])('refuses %s with 401 and changes nothing', async (_, key) => {
    const before = await database.db.project.count();
    const result = await api.graphql('mutation { createProject(name: "sneaky") { id } }', {}, key);
    expect(result.status).toBe(401);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.data ?? null).toBeNull();
    expect(await database.db.project.count()).toBe(before);
  });

  it('creates a project, starts a run whose workflow completes, and reads it back live', async () => {
    const created = await api.graphql('mutation { createProject(name: "checkout-bot") { id name } }', {}, adminKey);
    expect(created.errors).toBeUndefined();
    const projectId = created.data!.createProject.id as string;

    const started = await api.graphql(
      'mutation($p: ID!) { startFlywheelRun(projectId: $p, periodStart: "2026-10-01T00:00:00Z", periodEnd: "2026-11-01T00:00:00Z") { id workflowId status } }',
      { p: projectId },
      adminKey,
    );
    expect(started.errors).toBeUndefined();
    const run = started.data!.startFlywheelRun;
    expect(run.status).toBe('running');
    await temporal.client.workflow.getHandle(run.workflowId).result();

    const read = await api.graphql(
      'query($id: ID!) { flywheelRun(id: $id) { status stage traceCount workflowStatus progress { stage } project { id name } } }',
      { id: run.id },
      adminKey,
    );
    expect(read.data!.flywheelRun).toEqual({
      status: 'completed',
      stage: 'completed',
      traceCount: 0,
      workflowStatus: 'COMPLETED',
      progress: { stage: 'completed' },
      project: { id: projectId, name: 'checkout-bot' },
    });
    const list = await api.graphql('query($p: ID!) { project(id: $p) { flywheelRuns { totalCount edges { node { id } } } } }', { p: projectId }, adminKey);
    expect(list.data!.project.flywheelRuns).toEqual({ totalCount: 1, edges: [{ node: { id: run.id } }] });
  });

  it('gives clear typed errors for bad input, never a stack trace', async () => {
    const badId = await api.graphql('{ flywheelRun(id: "1; DROP TABLE project") { id } }', {}, adminKey);
    expect(badId.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(badId.errors?.[0]?.message).toMatch(/must be a UUID/);
    const missing = await api.graphql('{ flywheelRun(id: "00000000-0000-4000-8000-000000000000") { id } }', {}, adminKey);
    expect(missing.errors?.[0]).toMatchObject({ message: 'flywheel run 00000000-0000-4000-8000-000000000000 not found', extensions: { code: 'NOT_FOUND' } });
    const duplicate = await api.graphql('mutation { createProject(name: "checkout-bot") { id } }', {}, adminKey);
    expect(duplicate.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const period = await api.graphql('mutation { startFlywheelRun(projectId: "00000000-0000-4000-8000-000000000000", periodStart: "yesterday", periodEnd: "2026-11-01T00:00:00Z") { id } }', {}, adminKey);
    expect(period.errors?.[0]?.message).toMatch(/ISO 8601/);
    expect(JSON.stringify([badId, missing, duplicate, period])).not.toMatch(/at .*\.ts:\d+/);
  });

  it('enforces roles and project scope', async () => {
    const a = await database.db.project.create({ data: { name: 'scope-a' } });
    const b = await database.db.project.create({ data: { name: 'scope-b' } });
    const viewerA = (await createApiKey(database.db, { name: 'viewer', role: 'viewer', projectId: a.id })).plain;
    const ingestA = (await createApiKey(database.db, { name: 'ingest', role: 'ingest', projectId: a.id })).plain;
    const adminA = (await createApiKey(database.db, { name: 'project admin', role: 'admin', projectId: a.id })).plain;

    expect((await api.graphql('query($id: ID!) { project(id: $id) { name } }', { id: a.id }, viewerA)).data!.project.name).toBe('scope-a');
    const other = await api.graphql('query($id: ID!) { project(id: $id) { name } }', { id: b.id }, viewerA);
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const listed = await api.graphql('{ projects { totalCount edges { node { name } } } }', {}, viewerA);
    expect(listed.data!.projects).toEqual({ totalCount: 1, edges: [{ node: { name: 'scope-a' } }] });

    const runs = await database.db.flywheelRun.count();
    for (const key of [viewerA, ingestA]) {
      const denied = await api.graphql('mutation($p: ID!) { startFlywheelRun(projectId: $p) { id } }', { p: a.id }, key);
      expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const crossProject = await api.graphql('mutation($p: ID!) { startFlywheelRun(projectId: $p) { id } }', { p: b.id }, adminA);
    expect(crossProject.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await database.db.flywheelRun.count()).toBe(runs);
    expect((await api.graphql('mutation { createProject(name: "nope") { id } }', {}, adminA)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('shows a new key once, stores only its hash, and refuses it once revoked', async () => {
    const project = await database.db.project.create({ data: { name: 'keys' } });
    const created = await api.graphql('mutation($p: ID!) { createApiKey(name: "ci", role: viewer, projectId: $p) { id key } }', { p: project.id }, adminKey);
    const { id, key } = created.data!.createApiKey as { id: string; key: string };
    const row = await database.db.apiKey.findUniqueOrThrow({ where: { id } });
    expect(row.keyHash).not.toContain(key);
    expect(JSON.stringify(row)).not.toContain(key);
    expect((await api.graphql('{ viewer { role projectId } }', {}, key)).data!.viewer).toEqual({ role: 'viewer', projectId: project.id });
    expect((await api.graphql('mutation($id: ID!) { revokeApiKey(id: $id) }', { id }, adminKey)).data!.revokeApiKey).toBe(true);
    const after = await api.graphql('{ viewer { role } }', {}, key);
    expect(after.status).toBe(401);
  });
});
