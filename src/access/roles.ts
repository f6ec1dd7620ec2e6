export const ROLES = ['owner', 'admin', 'finance', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What each role may do. Reads are open to every role of the tenant; billing writes need finance or
 * above; integrations, users and API keys are managed by owners and admins only.
 */
export type Permission = 'read' | 'write' | 'manage_integrations' | 'manage_access';

const grants: Readonly<Record<Role, readonly Permission[]>> = {
  owner: ['read', 'write', 'manage_integrations', 'manage_access'],
  admin: ['read', 'write', 'manage_integrations', 'manage_access'],
  finance: ['read', 'write'],
  viewer: ['read'],
};

export function can(role: Role, permission: Permission): boolean {
  return grants[role].includes(permission);
}

/** An admin can hand out any role but owner; only an owner creates owners. */
export function canGrant(granter: Role, role: Role): boolean {
  if (!can(granter, 'manage_access')) return false;
  return role !== 'owner' || granter === 'owner';
}
