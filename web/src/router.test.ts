import { describe, expect, it } from 'vitest';
import { navRoutes, parseHash } from './router';

const ids = (roles: string[]) => navRoutes(roles).map((route) => route.id);
const admin = (roles: string[]) => ids(roles).filter((id) => id.startsWith('admin-'));

describe('routes', () => {
  it('parse the account and audit pages', () => {
    expect(parseHash('#/account').def.id).toBe('account');
    expect(parseHash('#/admin/audit').def.id).toBe('admin-audit');
    expect(parseHash('#/admin/audit/').def.id).toBe('admin-audit');
  });

  it('keep My account out of the module navigation (it is in the user menu)', () => {
    expect(ids(['admin'])).not.toContain('account');
    expect(ids([])).not.toContain('login');
  });

  it('show the admin section to auditors, with only the audit log', () => {
    expect(admin(['auditor'])).toEqual(['admin-audit']);
    expect(admin(['admin'])).toEqual(['admin-users', 'admin-agencies', 'admin-audit']);
    expect(admin(['agency_admin'])).toEqual(['admin-users', 'admin-agencies']);
    expect(admin(['operator', 'viewer'])).toEqual([]);
  });
});
