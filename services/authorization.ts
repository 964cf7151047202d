// Who may do what. Every service function calls `authorize` before touching data.
import type { ApiKeyRole } from '../generated/prisma/enums';
import type { Principal } from './api-keys';
import { ServiceError } from './errors';

export type Action = 'read' | 'ingest' | 'label' | 'operate' | 'administer';

const ALLOWED: Record<Action, readonly ApiKeyRole[]> = {
  read: ['admin', 'viewer', 'reviewer'],
  ingest: ['admin', 'ingest'],
  label: ['admin', 'reviewer'],
  operate: ['admin'],
  administer: ['admin'],
};

/** Throws FORBIDDEN unless the key's role allows the action on this project. */
export function authorize(principal: Principal, action: Action, projectId?: string): void {
  if (!ALLOWED[action].includes(principal.role)) {
    throw new ServiceError('FORBIDDEN', `a ${principal.role} key may not ${action}`);
  }
  if (principal.projectId && projectId && principal.projectId !== projectId) {
    throw new ServiceError('FORBIDDEN', 'this key belongs to another project');
  }
  if (principal.projectId && !projectId && action === 'administer') {
    throw new ServiceError('FORBIDDEN', 'a project-scoped key may not administer the service');
  }
}

/**
 * For a row looked up by its own id: a project-scoped key sees another project's row as
 * missing, so FORBIDDEN never tells it that the id exists.
 */
export function isVisibleTo(principal: Principal, rowProjectId: string | null): boolean {
  return !principal.projectId || principal.projectId === rowProjectId;
}

/** The project filter a list query must apply for this key (undefined: all projects). */
export function visibleProjectId(principal: Principal): string | undefined {
  return principal.projectId ?? undefined;
}
