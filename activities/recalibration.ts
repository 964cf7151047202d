// Recalibration of the judge: split the labelled cases (the regression set is held out
// of tuning), propose candidate prompts from the tuning part's disagreements, and decide
// on the validation part, which no candidate learned from.
import { createHash } from 'node:crypto';
import { activityLog } from './activity-log';
import { buildJudgeAgreementReport, type JudgeAgreementReport } from '../core/judge/agreement-report';
import { type FewShotExample } from '../core/judge/judge-prompt';
import type { JudgeProvider, JudgeSettings } from '../core/judge/judge-settings';
import { assertTuningSource, excludeHeldOutCases } from '../core/evalsets/held-out';
import type { CaseLabel } from '../core/evalsets/types';
import { flagRunForAttention } from '../services/run-attention';
import type { Db } from '../db/client';
import { createCompleter } from '../services/judge/judge-client';
import { activateJudgeVersion, fewShotFromCases, nextVersionNumber } from '../services/judge/judge-versions';
import { faultPoint } from './fault-injection';
import { loadJudgedCases } from './judging';

export interface RecalibrationSplit {
  tuningCaseIds: string[];
  validationCaseIds: string[];
  /** Labelled production cases kept out of tuning because the regression set holds them. */
  heldOut: number;
}

export interface CandidateSummary {
  versionId: string;
  version: number;
  reason: string;
}

export interface CandidateFigures {
  versionId: string;
  version: number;
  role: 'active' | 'candidate';
  reason: string;
  value: number | null;
  n: number;
  judgeFailures: number;
}

export interface RecalibrationDecision {
  decision: 'promoted' | 'kept_active';
  promotedVersionId: string | null;
  reason: string;
  figures: CandidateFigures[];
}

const inTuningPart = (caseKey: string, share: number) => parseInt(createHash('md5').update(`tuning:${caseKey}`).digest('hex').slice(0, 8), 16) / 0xffffffff < share;

export function createRecalibrationActivities(db: Db) {
  async function validationReport(versionId: string, caseIds: string[], settings: JudgeSettings, sliceDimension: string | null, runId: string): Promise<JudgeAgreementReport> {
    const cases = await loadJudgedCases(db, versionId, caseIds, sliceDimension);
    return buildJudgeAgreementReport(cases, { seed: `${runId}:${versionId}:validation`, metric: settings.primaryMetric, threshold: settings.agreementThreshold });
  }

  return {
    async prepareRecalibration({ projectId, tuningShare }: { runId: string; projectId: string; tuningShare: number }): Promise<RecalibrationSplit> {
      const sets = await db.evalSet.findMany({ where: { projectId, kind: { in: ['production', 'regression'] } } });
      const latestCases = async (setId: string) => {
        const latest = await db.evalSetVersion.findFirst({ where: { evalSetId: setId }, orderBy: { version: 'desc' } });
        return latest ? db.evalCase.findMany({ where: { versions: { some: { versionId: latest.id } } }, select: { id: true, caseKey: true, labels: true }, orderBy: { caseKey: 'asc' } }) : [];
      };
      const production = sets.find((s) => s.kind === 'production');
      if (!production) return { tuningCaseIds: [], validationCaseIds: [], heldOut: 0 };
      assertTuningSource(production);
      const labelled = (await latestCases(production.id)).filter((c) => (c.labels as unknown as CaseLabel[]).length > 0);
      const heldOutSets = await Promise.all(sets.filter((s) => s.kind === 'regression').map(async (s) => ({ kind: s.kind, name: s.name, cases: await latestCases(s.id) })));
      const tunable = excludeHeldOutCases(labelled, heldOutSets);
      const tuning = tunable.filter((c) => inTuningPart(c.caseKey, tuningShare));
      const tuningIds = new Set(tuning.map((c) => c.id));
      return {
        tuningCaseIds: tuning.map((c) => c.id),
        // Validation: every other labelled case, failures included; evaluating on held-out cases is allowed.
        validationCaseIds: labelled.filter((c) => !tuningIds.has(c.id)).map((c) => c.id),
        heldOut: labelled.length - tunable.length,
      };
    },

    /** Candidates: few-shot from the tuning disagreements, a rubric clarification, and both. Idempotent per run. */
    async proposeJudgeCandidates(input: { runId: string; projectId: string; activeVersionId: string; tuningCaseIds: string[]; maxFewShot: number }): Promise<CandidateSummary[]> {
      const existing = await db.judgePromptVersion.findMany({ where: { projectId: input.projectId, createdByRunId: input.runId }, orderBy: { version: 'asc' } });
      if (existing.length) return existing.map((v) => ({ versionId: v.id, version: v.version, reason: v.reason }));
      const active = await db.judgePromptVersion.findUniqueOrThrow({ where: { id: input.activeVersionId } });
      const judged = await loadJudgedCases(db, active.id, input.tuningCaseIds, null);
      const disagreements = judged.filter((c) => c.judge && c.humans[0] && (c.judge.verdict !== c.humans[0].verdict || Math.abs(c.judge.scores.correctness - c.humans[0].scores.correctness) >= 2));
      // Disagreements first (they show the judge what it gets wrong), then other tuning cases, up to the limit.
      const rest = judged.filter((c) => c.judge && !disagreements.includes(c));
      const pool = [...disagreements, ...rest].slice(0, input.maxFewShot);
      const examples = pool.length ? await fewShotFromCases(db, input.projectId, pool.map((c) => c.caseId)) : [];
      const activeFewShot = active.fewShot as unknown as FewShotExample[];

      const notes = await db.evalCase.findMany({ where: { id: { in: disagreements.map((d) => d.caseId) } }, select: { input: true, output: true, labels: true } });
      let clarification: string | null = null;
      let clarificationProblem: string | null = null;
      if (notes.length) {
        try {
          const complete = createCompleter({ provider: active.provider as JudgeProvider, model: active.model, baseUrl: active.baseUrl, temperature: 0 });
          const described = notes
            .slice(0, 20)
            .map((n, i) => {
              const label = (n.labels as unknown as CaseLabel[])[0];
              return `Case ${i + 1}\nQuestion: ${n.input.slice(0, 500)}\nAnswer: ${(n.output ?? '').slice(0, 800)}\nReviewer verdict: ${label?.verdict} (${label?.failureCategory ?? 'no category'}); notes: ${label?.notes ?? '-'}`;
            })
            .join('\n\n');
          const reply = await complete(
            'You maintain the rubric of an LLM judge. Given cases where the judge disagreed with human reviewers, write short, concrete clarifications of the rubric (bullet points) that would make the judge agree with the reviewers. Reply with the bullet points only.',
            [{ role: 'user', content: `Current rubric:\n${active.rubric.slice(0, 4000)}\n\nDisagreements:\n${described}` }],
          );
          clarification = reply.text.trim().slice(0, 4000) || null;
        } catch (error) {
          clarificationProblem = error instanceof Error ? error.message : String(error);
        }
      }

      const proposals: { rubric: string; fewShot: FewShotExample[]; reason: string }[] = [];
      if (examples.length) proposals.push({ rubric: active.rubric, fewShot: [...activeFewShot, ...examples], reason: `recalibration: ${examples.length} few-shot examples from ${disagreements.length} tuning disagreements` });
      if (clarification) {
        const rubric = `${active.rubric}\n\nCalibration notes:\n${clarification}`;
        proposals.push({ rubric, fewShot: activeFewShot, reason: 'recalibration: rubric clarified from reviewers\' notes on the disagreements' });
        if (examples.length) proposals.push({ rubric, fewShot: [...activeFewShot, ...examples], reason: 'recalibration: rubric clarification and few-shot examples' });
      }
      if (clarificationProblem) activityLog().warn('rubric clarification call failed; proposing few-shot candidates only', { flywheelRunId: input.runId, projectId: input.projectId, problem: clarificationProblem });
      const created: CandidateSummary[] = [];
      await db.$transaction(async (tx) => {
        for (const proposal of proposals) {
          const version = await tx.judgePromptVersion.create({
            data: {
              projectId: input.projectId,
              version: await nextVersionNumber(tx, input.projectId),
              rubric: proposal.rubric,
              fewShot: JSON.parse(JSON.stringify(proposal.fewShot)),
              provider: active.provider,
              model: active.model,
              baseUrl: active.baseUrl,
              temperature: active.temperature,
              parentId: active.id,
              reason: proposal.reason,
              status: 'candidate',
              createdByRunId: input.runId,
            },
          });
          created.push({ versionId: version.id, version: version.version, reason: version.reason });
        }
      });
      faultPoint('candidates-stored');
      return created;
    },

    /** Promotes the best candidate only if it clears the threshold and beats the active judge on validation. */
    async decideRecalibration(input: {
      runId: string;
      projectId: string;
      activeVersionId: string;
      candidateIds: string[];
      split: RecalibrationSplit;
      settings: JudgeSettings;
      sliceDimension: string | null;
    }): Promise<RecalibrationDecision> {
      const done = await db.recalibration.findUnique({ where: { runId: input.runId } });
      if (done) return { decision: done.decision as RecalibrationDecision['decision'], promotedVersionId: done.promotedVersionId, reason: done.reason, figures: done.candidates as unknown as CandidateFigures[] };
      const versions = await db.judgePromptVersion.findMany({ where: { id: { in: [input.activeVersionId, ...input.candidateIds] } } });
      const figures: CandidateFigures[] = [];
      for (const version of versions.sort((a, b) => a.version - b.version)) {
        const report = await validationReport(version.id, input.split.validationCaseIds, input.settings, input.sliceDimension, input.runId);
        await db.agreementReport.upsert({
          where: { runId_judgeVersionId_scope: { runId: input.runId, judgeVersionId: version.id, scope: 'validation' } },
          update: {},
          create: { projectId: input.projectId, runId: input.runId, judgeVersionId: version.id, scope: 'validation', primaryMetric: report.primary.metric, primaryValue: report.primary.value, threshold: report.primary.threshold, belowThreshold: report.primary.below, report: JSON.parse(JSON.stringify(report)) },
        });
        figures.push({ versionId: version.id, version: version.version, role: version.id === input.activeVersionId ? 'active' : 'candidate', reason: version.reason, value: report.primary.value, n: report.primary.n, judgeFailures: report.judgeFailures });
      }
      const active = figures.find((f) => f.role === 'active')!;
      const best = figures.filter((f) => f.role === 'candidate' && f.value !== null).sort((a, b) => b.value! - a.value! || a.version - b.version)[0];
      const metric = input.settings.primaryMetric;
      const fmt = (v: number | null) => (v === null ? 'unmeasured' : v.toFixed(3));
      let decision: RecalibrationDecision;
      if (!best) {
        decision = { decision: 'kept_active', promotedVersionId: null, reason: input.candidateIds.length ? 'no candidate could be measured on the validation cases' : 'no candidate could be proposed (no tuning cases or disagreements)', figures };
      } else if (best.value! < input.settings.agreementThreshold) {
        decision = { decision: 'kept_active', promotedVersionId: null, reason: `best candidate v${best.version} reaches ${metric} ${fmt(best.value)} on ${best.n} validation cases, under the threshold ${input.settings.agreementThreshold}`, figures };
      } else if (active.value !== null && best.value! <= active.value) {
        decision = { decision: 'kept_active', promotedVersionId: null, reason: `best candidate v${best.version} (${fmt(best.value)}) does not beat the active v${active.version} (${fmt(active.value)}) on validation`, figures };
      } else {
        decision = { decision: 'promoted', promotedVersionId: best.versionId, reason: `v${best.version} reaches ${metric} ${fmt(best.value)} on ${best.n} validation cases (active v${active.version}: ${fmt(active.value)}; threshold ${input.settings.agreementThreshold})`, figures };
      }
      await db.$transaction(async (tx) => {
        await tx.recalibration.create({
          data: { projectId: input.projectId, runId: input.runId, activeVersionId: input.activeVersionId, promotedVersionId: decision.promotedVersionId, decision: decision.decision, reason: decision.reason, candidates: JSON.parse(JSON.stringify(figures)), split: JSON.parse(JSON.stringify({ tuning: input.split.tuningCaseIds.length, validation: input.split.validationCaseIds.length, heldOut: input.split.heldOut })) },
        });
        if (decision.promotedVersionId) await activateJudgeVersion(tx, decision.promotedVersionId);
        else await flagRunForAttention(tx, input.runId, `judge recalibration found no better prompt: ${decision.reason}`);
        // Candidates that were not promoted stay on record, retired.
        await tx.judgePromptVersion.updateMany({ where: { id: { in: input.candidateIds.filter((id) => id !== decision.promotedVersionId) } }, data: { status: 'retired' } });
      });
      return decision;
    },
  };
}
