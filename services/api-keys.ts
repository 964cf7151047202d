// API keys: random, shown once, stored as SHA-256, scoped to a role and optionally a project.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/client';
import type { ApiKeyRole } from '../generated/prisma/enums';
import { authorize, isVisibleTo } from './authorization';
import { ServiceError, notFound } from './errors';
import { serviceLog } from './logging';
import { assertUuid } from './projects';

export interface Principal {
  keyId: string;
  role: ApiKeyRole;
  /** null: an admin key for every project. */
  projectId: string | null;
}

export const API_KEY_ROLES: readonly ApiKeyRole[] = ['admin', 'ingest', 'reviewer', 'viewer'];

export function hashApiKey(plain: string): string {
  return createHash('sha256').update(plain).digest('hex');
}

export function generateApiKey(): string {
  return `efw_${randomBytes(24).toString('base64url')}`;
}

export async function createApiKey(
  db: Db,
  input: { name: string; role: ApiKeyRole; projectId: string | null; plain?: string },
): Promise<{ id: string; plain: string; prefix: string }> {
  if (input.role !== 'admin' && !input.projectId) throw new ServiceError('BAD_USER_INPUT', `a ${input.role} key must be scoped to a project`);
  const plain = input.plain ?? generateApiKey();
  const prefix = plain.slice(0, 8);
  const row = await db.apiKey.create({
    data: { name: input.name, role: input.role, projectId: input.projectId, keyHash: hashApiKey(plain), prefix },
  });
  // The key id and its prefix identify it; the key itself is only ever returned, once.
  serviceLog().info({ apiKeyId: row.id, role: input.role, projectId: input.projectId, prefix }, 'API key created');
  return { id: row.id, plain, prefix };
}

/** Revokes a key (idempotent). Another project's key is reported as missing. */
export async function revokeApiKey(db: Db, principal: Principal, id: string): Promise<true> {
  assertUuid(id, 'API key id');
  const key = await db.apiKey.findUnique({ where: { id } });
  if (!key || !isVisibleTo(principal, key.projectId)) throw notFound('API key', id);
  authorize(principal, 'administer', key.projectId ?? undefined);
  await db.apiKey.update({ where: { id: key.id }, data: { revokedAt: key.revokedAt ?? new Date() } });
  serviceLog().info({ apiKeyId: key.id, role: key.role, projectId: key.projectId, revokedByKeyId: principal.keyId }, 'API key revoked');
  return true;
}

/** Reads `Authorization: Bearer <key>`; throws UNAUTHENTICATED for anything but a live key. */
export async function authenticate(db: Db, authorization: string | null): Promise<Principal> {
  const match = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match) throw new ServiceError('UNAUTHENTICATED', 'missing API key: send `Authorization: Bearer <key>`');
  const key = await db.apiKey.findUnique({ where: { keyHash: hashApiKey(match[1]!) } });
  if (!key || key.revokedAt) throw new ServiceError('UNAUTHENTICATED', 'invalid or revoked API key');
  return { keyId: key.id, role: key.role, projectId: key.projectId };
}

/**
 * Makes sure an admin key exists. FLYWHEEL_ADMIN_KEY is registered if given; otherwise
 * a key is created the first time and returned so the caller can print it once.
 */
export async function ensureAdminKey(db: Db, fromEnv: string | undefined): Promise<{ plain: string | null; created: boolean }> {
  if (fromEnv) {
    const existing = await db.apiKey.findUnique({ where: { keyHash: hashApiKey(fromEnv) } });
    if (existing?.revokedAt) throw new Error('FLYWHEEL_ADMIN_KEY has been revoked; set another one');
    if (!existing) await createApiKey(db, { name: 'admin (FLYWHEEL_ADMIN_KEY)', role: 'admin', projectId: null, plain: fromEnv });
    return { plain: fromEnv, created: !existing };
  }
  const anyAdmin = await db.apiKey.findFirst({ where: { role: 'admin', projectId: null, revokedAt: null } });
  if (anyAdmin) return { plain: null, created: false };
  const created = await createApiKey(db, { name: 'admin (first start)', role: 'admin', projectId: null });
  return { plain: created.plain, created: true };
}
