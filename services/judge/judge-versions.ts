// Judge prompt versions: list, create, activate; the project's default judge on first use.
import { DEFAULT_RUBRIC, type FewShotExample } from '../../core/judge/judge-prompt';
import { JUDGE_PROVIDERS, defaultJudgeTarget, type JudgeProvider } from '../../core/judge/judge-settings';
import { assertTuningSource } from '../../core/evalsets/held-out';
import type { Db } from '../../db/client';
import type { Principal } from '../api-keys';
import { isVisibleTo } from '../authorization';
import { ServiceError, badInput, notFound } from '../errors';
import { assertUuid, requireProject } from '../projects';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/** The active judge, created from the default target (real key first, else the simulation) when there is none. */
export async function ensureActiveJudge(db: Db, projectId: string) {
  const active = await db.judgePromptVersion.findFirst({ where: { projectId, status: 'active' } });
  if (active) return active;
  const target = defaultJudgeTarget(process.env);
  return db.$transaction(async (tx) => {
    const again = await tx.judgePromptVersion.findFirst({ where: { projectId, status: 'active' } });
    if (again) return again;
    const version = await nextVersionNumber(tx, projectId);
    return tx.judgePromptVersion.create({
      data: { projectId, version, rubric: DEFAULT_RUBRIC, fewShot: [], provider: target.provider, model: target.model, baseUrl: target.baseUrl, reason: 'default judge', status: 'active', activatedAt: new Date() },
    });
  });
}

export async function nextVersionNumber(tx: Tx | Db, projectId: string): Promise<number> {
  const last = await tx.judgePromptVersion.findFirst({ where: { projectId }, orderBy: { version: 'desc' }, select: { version: true } });
  return (last?.version ?? 0) + 1;
}

export async function listJudgeVersions(db: Db, principal: Principal, projectId: string) {
  await requireProject(db, principal, projectId, 'read');
  return db.judgePromptVersion.findMany({ where: { projectId }, orderBy: { version: 'asc' } });
}

export interface CreateJudgeVersionInput {
  projectId: string;
  parentId?: string | null;
  rubric?: string | null;
  fewShot?: unknown;
  /** Eval cases to turn into few-shot examples; refused loudly when one is in the regression set. */
  fewShotCaseIds?: string[] | null;
  provider?: string | null;
  model?: string | null;
  baseUrl?: string | null;
  temperature?: number | null;
  reason: string;
}

function validateFewShot(value: unknown): FewShotExample[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 50) throw badInput('fewShot must be a list of at most 50 examples');
  return value.map((item, i) => {
    const e = item as Partial<FewShotExample>;
    const scoresOk = e.scores && ['correctness', 'relevance', 'clarity', 'calibration', 'length'].every((d) => Number.isInteger((e.scores as Record<string, number>)[d]) && (e.scores as Record<string, number>)[d]! >= 1 && (e.scores as Record<string, number>)[d]! <= 5);
    if (typeof e.input !== 'string' || typeof e.output !== 'string' || !scoresOk || (e.verdict !== 'pass' && e.verdict !== 'fail')) {
      throw badInput(`fewShot[${i}] needs input, output, scores (1-5 on all five dimensions) and verdict pass|fail`);
    }
    return { input: e.input, output: e.output, scores: e.scores!, verdict: e.verdict, ...(e.rationale ? { rationale: String(e.rationale) } : {}) };
  });
}

/** Few-shot examples from eval cases; the held-out rule is enforced here, for every caller. */
export async function fewShotFromCases(db: Db | Tx, projectId: string, caseIds: string[]): Promise<FewShotExample[]> {
  const cases = await db.evalCase.findMany({ where: { id: { in: caseIds } }, include: { evalSet: true } });
  if (cases.length !== new Set(caseIds).size) throw badInput('some fewShotCaseIds do not exist');
  return cases.map((c) => {
    if (c.evalSet.projectId !== projectId) throw badInput(`case ${c.id} belongs to another project`);
    assertTuningSource({ kind: c.evalSet.kind, name: c.evalSet.name });
    const label = (c.labels as { scores: FewShotExample['scores']; verdict: 'pass' | 'fail'; notes?: string | null }[])[0];
    if (!label) throw badInput(`case ${c.id} has no human label to learn from`);
    return { input: c.input, output: c.output ?? '', scores: label.scores, verdict: label.verdict, ...(label.notes ? { rationale: label.notes } : {}) };
  });
}

export async function createJudgeVersion(db: Db, principal: Principal, input: CreateJudgeVersionInput) {
  await requireProject(db, principal, input.projectId, 'operate');
  if (input.parentId) assertUuid(input.parentId, 'parentId');
  for (const id of input.fewShotCaseIds ?? []) assertUuid(id, 'fewShotCaseIds');
  const parent = input.parentId ? await db.judgePromptVersion.findUnique({ where: { id: input.parentId } }) : await ensureActiveJudge(db, input.projectId);
  if (!parent || parent.projectId !== input.projectId) throw notFound('judge version', input.parentId ?? '(active)');
  const provider = input.provider ?? parent.provider;
  if (!JUDGE_PROVIDERS.includes(provider as JudgeProvider)) throw badInput(`provider must be one of ${JUDGE_PROVIDERS.join(', ')}`);
  if (provider === 'openai-compatible' && !(input.baseUrl ?? parent.baseUrl)) throw badInput('an openai-compatible judge needs a baseUrl');
  const temperature = input.temperature ?? parent.temperature;
  if (temperature < 0 || temperature > 2) throw badInput('temperature must be between 0 and 2');
  const reason = input.reason.trim();
  if (!reason) throw badInput('say why this version is created (reason)');
  const rubric = input.rubric ?? parent.rubric;
  if (!rubric.trim() || rubric.length > 50_000) throw badInput('rubric must be 1 to 50,000 characters');
  let fewShot = input.fewShot === undefined || input.fewShot === null ? (parent.fewShot as unknown as FewShotExample[]) : validateFewShot(input.fewShot);
  if (input.fewShotCaseIds?.length) {
    try {
      fewShot = [...fewShot, ...(await fewShotFromCases(db, input.projectId, input.fewShotCaseIds))];
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      // HeldOutViolation: say so plainly, with its own words.
      throw new ServiceError('FORBIDDEN', (error as Error).message);
    }
  }
  return db.$transaction(async (tx) =>
    tx.judgePromptVersion.create({
      data: {
        projectId: input.projectId,
        version: await nextVersionNumber(tx, input.projectId),
        rubric,
        fewShot: JSON.parse(JSON.stringify(fewShot)),
        provider,
        model: input.model ?? parent.model,
        baseUrl: input.baseUrl ?? parent.baseUrl,
        temperature,
        parentId: parent.id,
        reason,
        status: 'candidate',
      },
    }),
  );
}

/** Makes a version the project's one active judge, inside the caller's transaction; the previous one is retired. */
export async function activateJudgeVersion(tx: Tx, versionId: string) {
  const version = await tx.judgePromptVersion.findUniqueOrThrow({ where: { id: versionId } });
  await tx.judgePromptVersion.updateMany({ where: { projectId: version.projectId, status: 'active', id: { not: version.id } }, data: { status: 'retired' } });
  return tx.judgePromptVersion.update({ where: { id: version.id }, data: { status: 'active', activatedAt: version.activatedAt ?? new Date() } });
}

export async function activateJudgeVersionFor(db: Db, principal: Principal, versionId: string) {
  assertUuid(versionId, 'judge version id');
  const version = await db.judgePromptVersion.findUnique({ where: { id: versionId } });
  if (!version || !isVisibleTo(principal, version.projectId)) throw notFound('judge version', versionId);
  await requireProject(db, principal, version.projectId, 'operate');
  return db.$transaction((tx) => activateJudgeVersion(tx, versionId));
}
