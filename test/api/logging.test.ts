// Structured logs during real requests and a whole run (API, workflows, activities): every
// line is JSON, carries the ids an incident needs (request, key, project, flywheel run,
// workflow, trace), and no API key, Authorization header, provider key or configured secret
// ever appears in one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityLog } from '../../activities/activity-log';
import { configureLogging, scrubSecrets, serviceLog } from '../../services/logging';
import type { TestApi } from '../helpers/api';
import { syntheticTraces } from '../helpers/synthetic';
import type { TestTemporal } from '../helpers/temporal';
import { openTestbed, type Testbed } from '../helpers/testbed';

type LogLine = Record<string, unknown> & { msg: string; level: string };

const CONFIGURED_SECRET = 'configured-admin-secret-0123456789';
const PROVIDER_KEY = 'sk-proj-ThisIsAProviderKey0123456789abcdef';
const LABEL = { correctness: 2, relevance: 3, clarity: 4, calibration: 2, length: 3, verdict: 'fail', failureCategory: 'hallucination', notes: 'made up a policy' };

describe('structured logs', () => {
  const written: string[] = [];
  let temporal: TestTemporal;
  let api: TestApi;
  let gql: Testbed['gql'];
  let bed: Testbed;
  const secrets: string[] = [CONFIGURED_SECRET, PROVIDER_KEY];
  let admin: string;
  let projectId: string;

  const lines = (): LogLine[] => written.map((line) => JSON.parse(line) as LogLine);
  const find = (msg: string, where: (line: LogLine) => boolean = () => true) => lines().filter((l) => l.msg === msg && where(l));

  beforeAll(async () => {
    process.env.FLYWHEEL_ADMIN_KEY = CONFIGURED_SECRET;
    configureLogging({ level: 'debug', destination: { write: (line: string) => void written.push(line) } });
    bed = await openTestbed();
    ({ temporal, api, admin, gql } = bed);
    secrets.push(admin);
  });
  afterAll(async () => {
    delete process.env.FLYWHEEL_ADMIN_KEY;
    await bed?.close();
  });

  it('logs a run end to end with its ids, and never a key', async () => {
    projectId = (await gql('mutation { createProject(name: "logged") { id } }', {})).createProject.id;
    // A key made through the API is in a response body once; it must not be in a log.
    const created = (await gql('mutation($p: ID!) { createApiKey(name: "reviewer", role: reviewer, projectId: $p) { id key } }', { p: projectId })).createApiKey as { id: string; key: string };
    const reviewer = created.key;
    const ingest = (await gql('mutation($p: ID!) { createApiKey(name: "ingest", role: ingest, projectId: $p) { key } }', { p: projectId })).createApiKey.key as string;
    secrets.push(reviewer, ingest);
    await gql('mutation($p: ID!) { setSamplingPolicy(projectId: $p, policy: { sampleSize: 3, sliceFloor: 1 }) setLabelingSettings(projectId: $p, settings: { doubleLabelShare: 0, minDoubleLabelled: 0 }) }', { p: projectId });

    const body = syntheticTraces(40, { prefix: 'log-', month: '2025-06' }).map((t) => JSON.stringify(t)).join('\n');
    const ingested = await fetch(`${api.baseUrl}/v1/traces?projectId=${projectId}`, { method: 'POST', headers: { authorization: `Bearer ${ingest}`, 'content-type': 'application/x-ndjson', 'x-request-id': 'ingest-req-1' }, body });
    expect(await ingested.json()).toMatchObject({ accepted: 40 });
    expect(ingested.headers.get('x-request-id')).toBe('ingest-req-1');

    const run = (await gql('mutation($p: ID!) { startFlywheelRun(projectId: $p, periodStart: "2025-06-01T00:00:00Z", periodEnd: "2025-07-01T00:00:00Z") { id workflowId } }', { p: projectId })).startFlywheelRun as { id: string; workflowId: string };
    const deadline = Date.now() + 60_000;
    let tasks: { id: string }[] = [];
    while (tasks.length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      tasks = (await gql('{ labelTasks(status: open) { edges { node { id } } } }', {}, reviewer)).labelTasks.edges.map((e: { node: { id: string } }) => e.node);
    }
    expect(tasks).toHaveLength(3);
    for (const task of tasks) await gql('mutation($t: ID!, $l: LabelInput!) { submitLabel(taskId: $t, label: $l) { status } }', { t: task.id, l: LABEL }, reviewer);
    await temporal.client.workflow.getHandle(run.workflowId).result();

    // Refused requests with keys in the header: the header is never echoed.
    expect((await api.graphql('{ viewer { id } }', {}, 'efw_ThisKeyDoesNotExistButLooksReal0123')).status).toBe(401);
    await fetch(`${api.baseUrl}/v1/traces?projectId=${projectId}`, { method: 'POST', headers: { authorization: `Bearer ${reviewer}` }, body: '{}' });
    // A provider error that quotes the key (as SDK errors do) and a header object, logged from an activity's logger.
    activityLog().error('provider call failed', { error: new Error(`401 Incorrect API key provided: ${PROVIDER_KEY}`), headers: { authorization: `Bearer ${PROVIDER_KEY}` } });
    serviceLog().warn({ databaseUrl: 'postgresql://flywheel:hunter2-db-password@db.internal:5432/flywheel' }, 'database unreachable');
    await revokeAndUse(created.id, reviewer);
    await new Promise((r) => setTimeout(r, 500));

    // Every line is JSON with a level and a time.
    expect(written.length).toBeGreaterThan(50);
    for (const line of lines()) expect(line).toMatchObject({ level: expect.any(String), time: expect.any(String), msg: expect.any(String) });

    // No secret in any line, in any form.
    const all = written.join('');
    for (const secret of secrets) expect(all).not.toContain(secret);
    expect(all).not.toContain('hunter2-db-password');
    expect(all).not.toMatch(/efw_(?!\[REDACTED\])[A-Za-z0-9_-]{8,}/);
    expect(all).not.toMatch(/Bearer (?!\[REDACTED\])/);
    expect(find('provider call failed')[0]).toMatchObject({ headers: { authorization: '[REDACTED]' } });

    // The ids an incident needs.
    expect(find('traces ingested')[0]).toMatchObject({ requestId: 'ingest-req-1', projectId, accepted: 40, keyId: expect.any(String) });
    expect(find('http request', (l) => l.requestId === 'ingest-req-1')[0]).toMatchObject({ method: 'POST', path: '/v1/traces', status: 200, keyId: expect.any(String) });
    expect(find('flywheel run started')[0]).toMatchObject({ projectId, flywheelRunId: run.id, workflowId: run.workflowId, requestId: expect.any(String), keyId: expect.any(String) });
    expect(find('graphql field', (l) => l.operation === 'mutation.startFlywheelRun')[0]).toMatchObject({ projectId, outcome: 'ok' });
    const submitted = find('label submitted');
    expect(submitted).toHaveLength(3);
    for (const line of submitted) expect(line).toMatchObject({ projectId, flywheelRunId: run.id, workflowId: `${run.workflowId}-labeling`, taskId: expect.any(String), traceId: expect.any(String), requestId: expect.any(String) });
    // Workflow code logs through the workflow logger: Temporal's workflow and run ids come with it.
    const stages = find('stage', (l) => l.workflowId === run.workflowId).map((l) => l.stage);
    expect(stages).toEqual(expect.arrayContaining(['snapshotting_traces', 'sampling', 'labeling', 'merging', 'judging', 'correlating', 'finishing']));
    expect(find('stage', (l) => l.workflowId === run.workflowId)[0]).toMatchObject({ sdkComponent: 'workflow', runId: expect.any(String), flywheelRunId: run.id, projectId, workflowType: 'flywheelRun' });
    // Activities log through the activity context: workflow id, its run id and the activity type.
    const stored = find('label stored', (l) => l.sdkComponent === 'activity');
    expect(stored).toHaveLength(3);
    expect(stored[0]).toMatchObject({ workflowId: `${run.workflowId}-labeling`, workflowRunId: expect.any(String), activityType: 'storeLabel', flywheelRunId: run.id, traceId: expect.any(String), taskToken: '[REDACTED]' });
    expect(find('judged')[0]).toMatchObject({ activityType: 'judgeEvalCases', workflowId: run.workflowId, scored: 3 });
    expect(find('run finished', (l) => l.workflowId === run.workflowId)[0]).toMatchObject({ stage: 'completed', labelled: 3 });
    expect(find('graphql field', (l) => l.operation === 'query.viewer' && l.outcome !== 'ok')).toEqual([]);
    expect(find('http request', (l) => l.status === 401).length).toBeGreaterThanOrEqual(2);
  });

  async function revokeAndUse(keyId: string, key: string) {
    expect((await api.graphql('mutation($id: ID!) { revokeApiKey(id: $id) }', { id: keyId }, admin)).data!.revokeApiKey).toBe(true);
    expect((await api.graphql('{ viewer { id } }', {}, key)).status).toBe(401);
    expect(find('API key revoked')[0]).toMatchObject({ apiKeyId: keyId, role: 'reviewer', projectId });
  }

  it('scrubs secret shapes from any line, keeping it valid JSON', () => {
    const line = JSON.stringify({ msg: `failed with Bearer efw_abcdefghijklmnop and sk-ant-api03-abcdefghijklmnopqrstuv at postgres://u:p4ss@h/db`, note: 'literal s3cr3t-value-xyz' });
    const scrubbed = scrubSecrets(line, ['s3cr3t-value-xyz']);
    expect(JSON.parse(scrubbed)).toEqual({ msg: 'failed with Bearer [REDACTED] and sk-[REDACTED] at postgres://u:[REDACTED]@h/db', note: 'literal [REDACTED]' });
  });
});
