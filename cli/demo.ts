// The demo: a synthetic month of a support assistant goes through the whole loop on the
// running service, with SIMULATED reviewers (labelling from the traces' planted truth
// through the same GraphQL mutations real reviewers use) and, without a real key, the
// SIMULATED judge. Nothing here runs unless the demo was asked for.
import { SingleBar, Presets } from 'cli-progress';
import { syntheticMonth, type DemoTruth } from '../core/demo/synthetic-month';
import { createRng } from '../core/stats/rng';
import type { SimulatedProvider } from '../simulator/llm-provider';
import { graphqlClient, type Gql } from './graphql-client';
import { fetchRun, formatRunReport } from './run-report';

type Log = (line: string) => void;

async function ensureProject(gql: Gql, name: string): Promise<string> {
  const existing = await gql<{ projects: { edges: { node: { id: string; name: string } }[] } }>('{ projects(first: 200) { edges { node { id name } } } }');
  const found = existing.projects.edges.find((e) => e.node.name === name);
  if (found) return found.node.id;
  return (await gql<{ createProject: { id: string } }>('mutation($n: String!) { createProject(name: $n) { id } }', { n: name })).createProject.id;
}

/**
 * Simulated reviewers: they read the planted truth (a real reviewer reads the trace) and
 * sometimes differ by a point. They label through the public GraphQL API until the run's
 * queue closes; the end-to-end tests use them too.
 */
export async function simulatedReviewers(gql: Gql, reviewerKeys: string[], baseUrl: string, runId: string, onProgress: (done: number, total: number) => void) {
  const rng = createRng(`reviewers:${runId}`);
  const reviewers = reviewerKeys.map((key) => graphqlClient(baseUrl, key));
  for (;;) {
    const state = (await gql<{ flywheelRun: { status: string; labelingProgress: { total: number; done: number; skipped: number; closed: boolean } | null } }>(
      'query($id: ID!) { flywheelRun(id: $id) { status labelingProgress { total done skipped closed } } }',
      { id: runId },
    )).flywheelRun;
    if (state.status !== 'running' || state.labelingProgress?.closed) return;
    if (state.labelingProgress) onProgress(state.labelingProgress.done + state.labelingProgress.skipped, state.labelingProgress.total);
    let worked = false;
    for (const reviewer of reviewers) {
      const page = await reviewer<{ labelTasks: { edges: { node: { id: string; status: string; trace: { metadata: { demoTruth?: DemoTruth } | null } } }[] } }>(
        'query($r: ID) { labelTasks(runId: $r, status: open, first: 10) { edges { node { id status trace { metadata } } } } }',
        { r: runId },
      );
      for (const { node } of page.labelTasks.edges) {
        const truth = node.trace.metadata?.demoTruth;
        if (!truth) continue;
        const wobble = (n: number) => Math.max(1, Math.min(5, n + (rng() < 0.15 ? (rng() < 0.5 ? -1 : 1) : 0)));
        const label = {
          correctness: wobble(truth.scores.correctness),
          relevance: wobble(truth.scores.relevance),
          clarity: wobble(truth.scores.clarity),
          calibration: wobble(truth.scores.calibration),
          length: wobble(truth.scores.length),
          verdict: truth.verdict,
          ...(truth.failureCategory ? { failureCategory: truth.failureCategory, notes: `simulated reviewer: ${truth.failureCategory}` } : {}),
        };
        try {
          await reviewer('mutation($t: ID!, $l: LabelInput!) { submitLabel(taskId: $t, label: $l) { status } }', { t: node.id, l: label });
          worked = true;
        } catch {
          // Another simulated reviewer holds the other slot of this trace, or it was just taken: move on.
        }
      }
    }
    if (!worked) await new Promise((r) => setTimeout(r, 300));
  }
}

export async function runDemo(options: { baseUrl: string; adminKey: string; simulator: SimulatedProvider | null; log: Log }) {
  const { log } = options;
  const gql = graphqlClient(options.baseUrl, options.adminKey);
  const projectId = await ensureProject(gql, 'demo-support-assistant');
  log(`Demo project demo-support-assistant (${projectId})`);
  await gql('mutation($p: ID!, $v: JSON!) { setSamplingPolicy(projectId: $p, policy: $v) }', { p: projectId, v: { sampleSize: 80, sliceDimension: 'intent', sliceFloor: 4 } });
  await gql('mutation($p: ID!, $v: JSON!) { setLabelingSettings(projectId: $p, settings: $v) }', { p: projectId, v: { doubleLabelShare: 0.15, minDoubleLabelled: 12, deadlineHours: 1 } });

  const month = '2026-10';
  const traces = syntheticMonth({ month, sessions: 1500, seed: 'demo' });
  log(`Ingesting a synthetic month: ${traces.length} traces, 3 releases, intents 60-20-10-10, planted failures (v2 invents refund rules)`);
  const response = await fetch(new URL(`/v1/traces?projectId=${projectId}`, options.baseUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${options.adminKey}`, 'content-type': 'application/x-ndjson' },
    body: traces.map((t) => JSON.stringify(t)).join('\n'),
  });
  const summary = (await response.json()) as { accepted: number; duplicates: number; rejected: number };
  log(`  accepted ${summary.accepted}, duplicates ${summary.duplicates}, rejected ${summary.rejected}`);

  if (options.simulator) {
    // The simulated judge knows the same truth, and starts out drifted (disagreement 30%).
    options.simulator.setOracle(traces.map((t) => ({ output: t.output, scores: t.metadata.demoTruth.scores, verdict: t.metadata.demoTruth.verdict })));
    options.simulator.configure({ disagreement: 0.3, fewShotHelps: true, latencyMs: 20 });
  }

  const keys = await Promise.all(
    [1, 2].map(async (i) => (await gql<{ createApiKey: { key: string } }>('mutation($p: ID!, $n: String!) { createApiKey(name: $n, role: reviewer, projectId: $p) { key } }', { p: projectId, n: `simulated reviewer ${i}` })).createApiKey.key),
  );
  const run = (await gql<{ startFlywheelRun: { id: string; workflowId: string } }>('mutation($p: ID!) { startFlywheelRun(projectId: $p, periodStart: "2026-10-01T00:00:00Z", periodEnd: "2026-11-01T00:00:00Z") { id workflowId } }', { p: projectId })).startFlywheelRun;
  log(`Started run ${run.id} (workflow ${run.workflowId}); two SIMULATED reviewers are labelling through GraphQL`);

  const bar = new SingleBar({ format: 'labelling [{bar}] {value}/{total} tasks', hideCursor: true }, Presets.shades_classic);
  let started = false;
  await simulatedReviewers(gql, keys, options.baseUrl, run.id, (done, total) => {
    if (!started) {
      bar.start(total, done);
      started = true;
    } else bar.update(done);
  });
  if (started) bar.stop();

  let state = await fetchRun(gql, run.id);
  for (let last = ''; state.status === 'running'; state = await fetchRun(gql, run.id)) {
    if (state.stage !== last) log(`  stage: ${state.stage}`);
    last = state.stage;
    await new Promise((r) => setTimeout(r, 500));
  }
  log('Run finished.\n');
  console.log(formatRunReport(state));

  // From now on the loop runs itself every month (a Temporal Schedule, visible in the UI).
  const schedule = (await gql<{ scheduleFlywheel: { scheduleId: string; calendar: string; timezone: string | null; nextRuns: string[] } }>(
    'mutation($p: ID!) { scheduleFlywheel(projectId: $p) { scheduleId calendar timezone nextRuns } }',
    { p: projectId },
  )).scheduleFlywheel;
  log(`Monthly schedule ${schedule.scheduleId} (${schedule.calendar}, ${schedule.timezone ?? 'UTC'}); next run ${schedule.nextRuns[0] ?? 'none'}`);
  return { projectId, runId: run.id, status: state.status as string };
}
