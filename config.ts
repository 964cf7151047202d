// Environment configuration, validated once. Unset servers mean "start the embedded ones".
import path from 'node:path';
import { z } from 'zod';

const PROJECT_ROOT = path.dirname(new URL(import.meta.url).pathname);

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.string().url().optional(),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('eval-flywheel'),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  FLYWHEEL_ADMIN_KEY: z.string().min(16, 'FLYWHEEL_ADMIN_KEY must be at least 16 characters').optional(),
  FLYWHEEL_DATA_DIR: z.string().default(path.join(PROJECT_ROOT, '.data')),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  /** A workflow bundle made with bundleWorkflowCode; without it a standalone worker bundles workflows/ itself. */
  FLYWHEEL_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  /** How long a lost worker's cached workflows wait before another worker replays them (SDK default 10 s). */
  WORKER_STICKY_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(100).optional(),
});

export type AppConfig = z.infer<typeof EnvSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  return parsed.data;
}
