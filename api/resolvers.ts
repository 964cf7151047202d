// Thin resolvers: authenticate (in the context), call a service, return.
import { GraphQLScalarType, Kind } from 'graphql';
import type { ApiKeyRole } from '../generated/prisma/enums';
import { createApiKey, API_KEY_ROLES } from '../services/api-keys';
import { authorize } from '../services/authorization';
import { badInput, notFound } from '../services/errors';
import { cancelFlywheelRun, getFlywheelRun, queryRunProgress, startFlywheelRun, workflowStatus } from '../services/flywheel-runs';
import { listFlywheelRuns } from '../services/flywheel-run-list';
import { createProject, getProject, listProjects } from '../services/projects';
import type { ApiContext } from './context';

type Args<T> = T;
interface RunRow { id: string; projectId: string; workflowId: string }

const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'ISO 8601 instant',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: (value) => {
    const date = new Date(String(value));
    if (Number.isNaN(date.getTime())) throw badInput(`not an ISO 8601 instant: ${String(value).slice(0, 60)}`);
    return date.toISOString();
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw badInput('DateTime must be a string');
    const date = new Date(ast.value);
    if (Number.isNaN(date.getTime())) throw badInput(`not an ISO 8601 instant: ${ast.value.slice(0, 60)}`);
    return date.toISOString();
  },
});

const JsonScalar = new GraphQLScalarType({ name: 'JSON', serialize: (value) => value });

export const resolvers = {
  DateTime: DateTimeScalar,
  JSON: JsonScalar,
  Query: {
    viewer: (_: unknown, __: unknown, ctx: ApiContext) => ({ id: ctx.principal.keyId, role: ctx.principal.role, projectId: ctx.principal.projectId }),
    projects: (_: unknown, args: Args<{ first?: number; after?: string }>, ctx: ApiContext) => {
      authorize(ctx.principal, 'read');
      return listProjects(ctx.db, ctx.principal, args.first, args.after);
    },
    project: (_: unknown, args: Args<{ id: string }>, ctx: ApiContext) => getProject(ctx.db, ctx.principal, args.id),
    flywheelRun: (_: unknown, args: Args<{ id: string }>, ctx: ApiContext) => getFlywheelRun(ctx.db, ctx.principal, args.id),
  },
  Mutation: {
    createProject: (_: unknown, args: Args<{ name: string }>, ctx: ApiContext) => createProject(ctx.db, ctx.principal, args.name),
    createApiKey: async (_: unknown, args: Args<{ name: string; role: ApiKeyRole; projectId?: string | null }>, ctx: ApiContext) => {
      if (!API_KEY_ROLES.includes(args.role)) throw badInput(`unknown role ${args.role}`);
      if (args.projectId) await getProject(ctx.db, ctx.principal, args.projectId);
      authorize(ctx.principal, 'administer', args.projectId ?? undefined);
      const key = await createApiKey(ctx.db, { name: args.name, role: args.role, projectId: args.projectId ?? null });
      return { id: key.id, role: args.role, projectId: args.projectId ?? null, key: key.plain };
    },
    revokeApiKey: async (_: unknown, args: Args<{ id: string }>, ctx: ApiContext) => {
      const key = await ctx.db.apiKey.findUnique({ where: { id: args.id } }).catch(() => null);
      if (!key) throw notFound('API key', args.id);
      authorize(ctx.principal, 'administer', key.projectId ?? undefined);
      await ctx.db.apiKey.update({ where: { id: key.id }, data: { revokedAt: key.revokedAt ?? new Date() } });
      return true;
    },
    startFlywheelRun: (_: unknown, args: Args<{ projectId: string; periodStart?: string; periodEnd?: string }>, ctx: ApiContext) =>
      startFlywheelRun(ctx.db, ctx.temporal, ctx.principal, args),
    cancelFlywheelRun: (_: unknown, args: Args<{ id: string; reason?: string }>, ctx: ApiContext) =>
      cancelFlywheelRun(ctx.db, ctx.temporal, ctx.principal, args.id, args.reason),
  },
  Project: {
    flywheelRuns: (project: { id: string }, args: Args<{ first?: number; after?: string }>, ctx: ApiContext) =>
      listFlywheelRuns(ctx.db, ctx.principal, project.id, args.first, args.after),
  },
  FlywheelRun: {
    project: (run: RunRow, _: unknown, ctx: ApiContext) => ctx.loaders.projectById.load(run.projectId),
    progress: (run: RunRow, _: unknown, ctx: ApiContext) => queryRunProgress(ctx.temporal, run.workflowId),
    workflowStatus: (run: RunRow, _: unknown, ctx: ApiContext) => workflowStatus(ctx.temporal, run.workflowId),
  },
};
