// Per-project settings that shape each run: sampling policy, labeling settings, failure taxonomy.
// Stored validated; each run copies them so its report says under which settings it was made.
import { parseLabelingSettings, type LabelingSettings } from '../core/labeling/labeling-settings';
import { parseJudgeSettings, type JudgeSettings } from '../core/judge/judge-settings';
import { RedactionSettingsSchema } from '../core/traces/redaction';
import { parseSamplingPolicy, type SamplingPolicy } from '../core/sampling/policy';
import type { Db } from '../db/client';
import type { Principal } from './api-keys';
import { badInput } from './errors';
import { requireProject } from './projects';

export interface RunSettings {
  sampling: SamplingPolicy;
  labeling: LabelingSettings;
  judge: JudgeSettings;
  failureTaxonomy: string[];
}

/** Stored settings are validated on write; a failure here means the row was edited by hand. */
export function resolveProjectSettings(project: { samplingPolicy: unknown; labelingSettings: unknown; judgeSettings: unknown; failureTaxonomy: string[] }): RunSettings {
  const sampling = parseSamplingPolicy(project.samplingPolicy ?? {});
  if (!sampling.ok) throw new Error(`stored sampling policy is invalid: ${sampling.reason}`);
  const labeling = parseLabelingSettings(project.labelingSettings ?? {});
  if (!labeling.ok) throw new Error(`stored labeling settings are invalid: ${labeling.reason}`);
  const judge = parseJudgeSettings(project.judgeSettings ?? {});
  if (!judge.ok) throw new Error(`stored judge settings are invalid: ${judge.reason}`);
  return { sampling: sampling.policy, labeling: labeling.settings, judge: judge.settings, failureTaxonomy: project.failureTaxonomy };
}

export async function getProjectSettings(db: Db, principal: Principal, projectId: string) {
  return resolveProjectSettings(await requireProject(db, principal, projectId, 'read'));
}

export async function setSamplingPolicy(db: Db, principal: Principal, projectId: string, input: unknown) {
  await requireProject(db, principal, projectId, 'operate');
  const parsed = parseSamplingPolicy(input);
  if (!parsed.ok) throw badInput(parsed.reason, { issues: parsed.issues });
  await db.project.update({ where: { id: projectId }, data: { samplingPolicy: JSON.parse(JSON.stringify(parsed.policy)) } });
  return parsed.policy;
}

export async function setLabelingSettings(db: Db, principal: Principal, projectId: string, input: unknown) {
  await requireProject(db, principal, projectId, 'operate');
  const parsed = parseLabelingSettings(input);
  if (!parsed.ok) throw badInput(parsed.reason);
  await db.project.update({ where: { id: projectId }, data: { labelingSettings: parsed.settings } });
  return parsed.settings;
}

export async function setJudgeSettings(db: Db, principal: Principal, projectId: string, input: unknown) {
  await requireProject(db, principal, projectId, 'operate');
  const parsed = parseJudgeSettings(input);
  if (!parsed.ok) throw badInput(parsed.reason);
  await db.project.update({ where: { id: projectId }, data: { judgeSettings: parsed.settings } });
  return parsed.settings;
}

export async function setRedaction(db: Db, principal: Principal, projectId: string, input: unknown) {
  await requireProject(db, principal, projectId, 'operate');
  const parsed = RedactionSettingsSchema.safeParse(input ?? {});
  if (!parsed.success) throw badInput(parsed.error.issues.map((i) => `${i.path.join('.') || 'redaction'}: ${i.message}`).join('; '));
  await db.project.update({ where: { id: projectId }, data: { ingestSettings: { redaction: parsed.data } } });
  return parsed.data;
}

export async function setFailureTaxonomy(db: Db, principal: Principal, projectId: string, categories: string[]) {
  await requireProject(db, principal, projectId, 'operate');
  const cleaned = [...new Set(categories.map((c) => c.trim()))];
  if (cleaned.length === 0) throw badInput('the taxonomy needs at least one category');
  const bad = cleaned.find((c) => !/^[a-z0-9][a-z0-9_-]{0,59}$/.test(c));
  if (bad !== undefined) throw badInput(`category "${bad.slice(0, 60)}" must be 1-60 lowercase letters, digits, _ or -`);
  await db.project.update({ where: { id: projectId }, data: { failureTaxonomy: cleaned } });
  return cleaned;
}
