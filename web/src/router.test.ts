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

  it('parse report pages with their tracking code, and the public portal', () => {
    const report = parseHash('#/feedback/261128-F8YGA');
    expect(report.def.id).toBe('feedback-report');
    expect(report.param).toBe('261128-F8YGA');
    expect(report.def.section).toBe('feedback');
    expect(parseHash('#/feedback').def.id).toBe('feedback');
    expect(parseHash('#/feedback').param).toBeNull();
    expect(parseHash('#/feedback/new').def.id).toBe('feedback-new');
    expect(parseHash('#/feedback/inbox').def.id).toBe('feedback-inbox');
    expect(parseHash('#/feedback/a/b').def.id).toBe('not-found');
    expect(parseHash('#/track').def.id).toBe('track');
    expect(parseHash('#/track').param).toBeNull();
    const track = parseHash('#/track/261128-F8YGA?x=1');
    expect(track.def.id).toBe('track');
    expect(track.param).toBe('261128-F8YGA');
    expect(track.def.public).toBe(true);
    expect(parseHash('#/portal').def.public).toBe(true);
    expect(parseHash('#/portal/mine').def.id).toBe('portal-mine');
    expect(parseHash('#/portal/ranking').def.id).toBe('portal-ranking');
    expect(parseHash('#/map').def.public).toBeUndefined();
  });

  it('keep report, phone and portal pages out of the module navigation', () => {
    const visible = ids(['operator']);
    for (const id of ['feedback-new', 'feedback-inbox', 'feedback-report', 'portal', 'portal-mine', 'portal-ranking', 'track']) expect(visible).not.toContain(id);
    expect(visible).toContain('feedback');
  });
  it('parse the open data portal (public) and the data hub console', () => {
    expect(parseHash('#/data').def.id).toBe('data');
    expect(parseHash('#/data?q=cho&agency=SO-CT').def.public).toBe(true);
    const dataset = parseHash('#/data/cho-truyen-thong');
    expect(dataset.def.id).toBe('data-dataset');
    expect(dataset.param).toBe('cho-truyen-thong');
    expect(dataset.def.public).toBe(true);
    expect(parseHash('#/datahub').def.id).toBe('datahub');
    expect(parseHash('#/datahub').def.public).toBeUndefined();
    expect(parseHash('#/datahub/new').def.id).toBe('datahub-new');
    const consolePage = parseHash('#/datahub/datasets/co-so-y-te');
    expect(consolePage.def.id).toBe('datahub-dataset');
    expect(consolePage.param).toBe('co-so-y-te');
    expect(consolePage.def.section).toBe('datahub');
  });

  it('list the data hub for every official, and keep the portal and dataset pages out of the navigation', () => {
    for (const role of ['data_officer', 'agency_admin', 'admin', 'operator', 'analyst', 'auditor', 'viewer']) {
      const visible = ids([role]);
      expect(visible, role).toContain('datahub');
      for (const id of ['data', 'data-dataset', 'datahub-new', 'datahub-dataset']) expect(visible, role).not.toContain(id);
    }
  });
});
