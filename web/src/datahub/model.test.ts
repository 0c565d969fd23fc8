import { describe, expect, it } from 'vitest';
import type { Me } from '../api/types';
import {
  approvableColumns,
  canWrite,
  defaultPeriod,
  fieldsFromForm,
  fieldsOf,
  formatBytes,
  formErrors,
  hcmcIsoDay,
  isoDayText,
  managedAgencies,
  parseTags,
  percent,
  refusalProblem,
  requestActions,
  requestProblem,
  slugify,
  summarizeDiff,
} from './model';

const me = (grants: Array<[string, 'city' | string]>): Me => ({
  id: 'u',
  username: 'u',
  display_name: 'U',
  kind: 'staff',
  agency: { code: 'SO-YT', name_vi: 'Sở Y tế', name_en: 'Department of Health' },
  mfa_enabled: false,
  grants: grants.map(([role, scope], i) => ({ id: String(i), role, scope: scope === 'city' ? { kind: 'city' } : { kind: 'agency', code: scope } })),
});

describe('who manages which catalogue', () => {
  it('lets data officers and agency administrators write their agency, administrators everything', () => {
    const officer = me([['data_officer', 'SO-YT']]);
    expect(canWrite(officer, 'SO-YT')).toBe(true);
    expect(canWrite(officer, 'SO-CT')).toBe(false);
    expect(managedAgencies(officer)).toEqual(['SO-YT']);
    expect(canWrite(me([['agency_admin', 'SO-CT']]), 'SO-CT')).toBe(true);
    expect(canWrite(me([['admin', 'city']]), 'SO-CT')).toBe(true);
    expect(managedAgencies(me([['admin', 'city']]))).toBeNull();
    expect(managedAgencies(me([['data_officer', 'city']]))).toBeNull();
  });

  it('gives operators, staff, analysts and auditors no writing', () => {
    for (const role of ['operator', 'staff', 'analyst', 'auditor', 'viewer']) {
      const someone = me([[role, 'SO-YT']]);
      expect(canWrite(someone, 'SO-YT'), role).toBe(false);
      expect(managedAgencies(someone), role).toEqual([]);
    }
    expect(canWrite(null, 'SO-YT')).toBe(false);
    expect(managedAgencies(null)).toEqual([]);
  });
});

describe('the metadata form', () => {
  it('turns titles into URL names', () => {
    expect(slugify('Chợ truyền thống')).toBe('cho-truyen-thong');
    expect(slugify('  Đường, cầu & hầm (2025)  ')).toBe('duong-cau-ham-2025');
    expect(slugify('Ê'.repeat(150))).toHaveLength(100);
  });

  it('reads tags separated by commas, without blanks or repeats', () => {
    expect(parseTags('y tế, bệnh viện,, Y tế ;trạm  y tế\n')).toEqual(['y tế', 'bệnh viện', 'trạm y tế']);
    expect(parseTags('')).toEqual([]);
  });

  it('sends every field, keeping what the form does not show', () => {
    const base = { ...fieldsOf(null, 'SO-YT'), extras: { author: 'Phòng CNTT' }, spatial_geometry: { type: 'Point', coordinates: [106, 10] } };
    const data = new FormData();
    data.set('name', 'tram-y-te');
    data.set('title_vi', ' Trạm y tế ');
    data.set('title_en', 'Health stations');
    data.set('owner_agency', 'SO-YT');
    data.set('sharing_level', 'open');
    data.set('license_id', 'cc-by-4.0');
    data.set('spatial_ward', '');
    data.set('temporal_start', '2025-07-01');
    data.set('tags', 'y tế, trạm');
    data.append('themes', 'health');
    data.append('themes', 'population');
    const f = fieldsFromForm(data, base);
    expect(f).toMatchObject({
      name: 'tram-y-te',
      title_vi: 'Trạm y tế',
      sharing_level: 'open',
      spatial_ward: null,
      temporal_start: '2025-07-01',
      temporal_end: null,
      themes: ['health', 'population'],
      tags: ['y tế', 'trạm'],
      extras: { author: 'Phòng CNTT' },
      spatial_geometry: { type: 'Point', coordinates: [106, 10] },
      state: 'active',
    });
    data.set('sharing_level', 'public');
    expect(fieldsFromForm(data, base).sharing_level).toBe('shared');
  });

  it('puts the API’s field errors next to the form’s fields', () => {
    const errors = formErrors({
      status: 422,
      errors: { title: ['Missing value'], owner_org: ['Organization does not exist'], maintainer_email: ['Not an e-mail address'], resources: ['x'], name: 'That URL is already in use.' },
    });
    expect(errors).toEqual({
      title_vi: ['Missing value'],
      owner_agency: ['Organization does not exist'],
      contact_email: ['Not an e-mail address'],
      name: ['That URL is already in use.'],
      '': ['x'],
    });
    expect(formErrors(null)).toEqual({});
    expect(formErrors({ title: 'x' })).toEqual({});
  });
});

describe('versions', () => {
  it('describes schema differences; a first version adds nothing', () => {
    expect(summarizeDiff({ previous_version: null, added: ['a', 'b'], removed: [], type_changed: [] })).toEqual({
      previous: null,
      added: [],
      removed: [],
      changed: [],
      unchanged: false,
    });
    const s = summarizeDiff({ previous_version: 2, added: ['Ghi chú'], removed: ['Fax'], type_changed: [{ name: 'Số giường', from: 'integer', to: 'text' }] });
    expect(s).toEqual({ previous: 2, added: ['Ghi chú'], removed: ['Fax'], changed: [{ name: 'Số giường', from: 'integer', to: 'text' }], unchanged: false });
    expect(summarizeDiff({ previous_version: 1, added: [], removed: [], type_changed: [] }).unchanged).toBe(true);
  });

  it('formats sizes and progress', () => {
    const vi = (n: number, digits: number) => new Intl.NumberFormat('vi-VN', { maximumFractionDigits: digits }).format(n);
    expect(formatBytes(812, vi)).toBe('812\u00a0B');
    expect(formatBytes(1536, vi)).toBe('1,5\u00a0KB');
    expect(formatBytes(5 * 1024 * 1024 * 1024, vi)).toBe('5\u00a0GB');
    expect(percent(0, 0)).toBe(0);
    expect(percent(50, 200)).toBe(25);
    expect(percent(300, 200)).toBe(100);
  });
});

describe('sharing requests', () => {
  it('proposes a year from today, in Ho Chi Minh City days', () => {
    // 20:00 UTC on 31 December is already 1 January in Ho Chi Minh City.
    expect(hcmcIsoDay(new Date('2025-12-31T20:00:00Z'))).toBe('2026-01-01');
    expect(defaultPeriod(new Date('2025-12-31T20:00:00Z'))).toEqual({ from: '2026-01-01', to: '2026-12-31' });
    expect(defaultPeriod(new Date('2028-02-29T03:00:00Z'))).toEqual({ from: '2028-02-29', to: '2029-02-28' });
    expect(isoDayText('2026-03-05')).toBe('05/03/2026');
    expect(isoDayText(null)).toBe('');
  });

  it('needs a written reason and a legal basis to refuse, a purpose and an end to ask', () => {
    expect(refusalProblem('  ', 'Nghị định 47/2020/NĐ-CP')).toBe('reason');
    expect(refusalProblem('Dữ liệu đang được rà soát', ' ')).toBe('basis');
    expect(refusalProblem('Dữ liệu đang được rà soát', 'Nghị định 47/2020/NĐ-CP')).toBeNull();
    expect(requestProblem('', '2026-12-31')).toBe('purpose');
    expect(requestProblem('Quy hoạch mạng lưới y tế', '')).toBe('period');
    expect(requestProblem('Quy hoạch mạng lưới y tế', '2026-12-31')).toBeNull();
  });

  it('offers owners a decision on waiting requests and revocation of approvals; requesters a withdrawal', () => {
    expect(requestActions({ status: 'requested' }, 'owner')).toEqual(['approve', 'refuse']);
    expect(requestActions({ status: 'approved' }, 'owner')).toEqual(['revoke']);
    expect(requestActions({ status: 'refused' }, 'owner')).toEqual([]);
    expect(requestActions({ status: 'requested' }, 'requester')).toEqual(['withdraw']);
    expect(requestActions({ status: 'approved' }, 'requester')).toEqual(['withdraw']);
    expect(requestActions({ status: 'expired' }, 'requester')).toEqual([]);
    expect(approvableColumns({ personal_columns_requested: ['Họ tên', 'Điện thoại'] }, ['Điện thoại', 'CCCD'])).toEqual(['Điện thoại']);
  });
});
