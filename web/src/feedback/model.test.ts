import { describe, expect, it } from 'vitest';
import type { Report, UnitStats } from '../api/types';
import {
  buildTransition,
  categoryGroups,
  contactKind,
  deadlineState,
  isOpenStatus,
  looksLikeTrackingCode,
  nextStatuses,
  normalizeTrackingCode,
  summarizeStats,
  transitionNeeds,
  transitionProblem,
  wardOfCommittee,
  type TransitionInput,
} from './model';

const operator = { operator: true };
const staff = { operator: false };

describe('allowed transitions', () => {
  it('follow the lifecycle for operators', () => {
    expect(nextStatuses('received', operator)).toEqual(['forwarded', 'rejected', 'duplicate']);
    expect(new Set(nextStatuses('forwarded', operator))).toEqual(
      new Set(['acknowledged', 'in_progress', 'resolved', 'rejected', 'duplicate', 'escalated', 'forwarded']),
    );
    expect(new Set(nextStatuses('acknowledged', operator))).toEqual(
      new Set(['in_progress', 'resolved', 'rejected', 'duplicate', 'escalated', 'forwarded']),
    );
    expect(new Set(nextStatuses('in_progress', operator))).toEqual(new Set(['resolved', 'escalated', 'forwarded']));
    expect(new Set(nextStatuses('escalated', operator))).toEqual(new Set(['forwarded', 'acknowledged', 'in_progress', 'resolved', 'rejected']));
    expect(new Set(nextStatuses('reopened', operator))).toEqual(new Set(['acknowledged', 'in_progress', 'resolved', 'escalated', 'forwarded']));
  });

  it('leave resolved reports to the citizen and final ones alone', () => {
    for (const status of ['resolved', 'closed', 'rejected', 'duplicate'] as const) {
      expect(nextStatuses(status, operator)).toEqual([]);
    }
  });

  it('offer forwarding and reassignment to operators only', () => {
    expect(nextStatuses('received', staff)).toEqual(['rejected', 'duplicate']);
    expect(nextStatuses('forwarded', staff)).not.toContain('forwarded');
    expect(nextStatuses('in_progress', staff)).toEqual(['resolved', 'escalated']);
    expect(nextStatuses('forwarded', staff)).toContain('resolved');
  });
});

describe('what a move needs', () => {
  const report = { id: 'r1', tracking_code: '261128-F8YGA', jurisdiction_code: null } as Pick<Report, 'id' | 'tracking_code' | 'jurisdiction_code'>;
  const empty: TransitionInput = { text: '', agencyCode: '', jurisdictionCode: '', duplicateOf: '', public: false };

  it('asks for the public answer to resolve and a reason to reject', () => {
    expect(transitionNeeds('resolved', report)).toMatchObject({ text: 'answer', textRequired: true });
    expect(transitionNeeds('rejected', report)).toMatchObject({ text: 'reason', textRequired: true });
    expect(transitionProblem('resolved', empty, report)).toBe('text');
    expect(transitionProblem('resolved', { ...empty, text: '  ' }, report)).toBe('text');
    expect(transitionProblem('resolved', { ...empty, text: 'Đã sửa xong.' }, report)).toBeNull();
    expect(transitionProblem('acknowledged', empty, report)).toBeNull();
  });

  it('asks for ward, unit and reason to forward an unclear report', () => {
    expect(transitionNeeds('forwarded', report)).toMatchObject({ agency: true, jurisdiction: 'required', textRequired: true });
    expect(transitionNeeds('forwarded', { jurisdiction_code: '26740' }).jurisdiction).toBe('optional');
    expect(transitionProblem('forwarded', empty, report)).toBe('jurisdiction');
    expect(transitionProblem('forwarded', { ...empty, jurisdictionCode: '26740' }, report)).toBe('agency');
    expect(transitionProblem('forwarded', { ...empty, jurisdictionCode: '26740', agencyCode: 'UBND-P-SAIGON' }, report)).toBe('text');
    const input = { ...empty, jurisdictionCode: '26740', agencyCode: 'UBND-P-SAIGON', text: ' Chuyển theo địa bàn. ' };
    expect(transitionProblem('forwarded', input, report)).toBeNull();
    expect(buildTransition('forwarded', input, report)).toEqual({
      status: 'forwarded',
      text: 'Chuyển theo địa bàn.',
      agency_code: 'UBND-P-SAIGON',
      jurisdiction_code: '26740',
    });
    // An unchanged ward is not sent again.
    expect(buildTransition('forwarded', input, { jurisdiction_code: '26740' })).not.toHaveProperty('jurisdiction_code');
  });

  it('asks for the original of a duplicate, which is not the report itself', () => {
    expect(transitionProblem('duplicate', empty, report)).toBe('duplicateOf');
    expect(transitionProblem('duplicate', { ...empty, duplicateOf: '261128-f8yga' }, report)).toBe('duplicateSelf');
    expect(transitionProblem('duplicate', { ...empty, duplicateOf: '261014-fr9ge' }, report)).toBeNull();
    expect(buildTransition('duplicate', { ...empty, duplicateOf: ' 261014-fr9ge ' }, report)).toEqual({ status: 'duplicate', duplicate_of: '261014-FR9GE' });
  });

  it('keeps escalations internal unless asked', () => {
    expect(buildTransition('escalated', empty, report)).toEqual({ status: 'escalated', public: false });
    expect(buildTransition('escalated', { ...empty, public: true, text: 'Quá hạn' }, report)).toEqual({ status: 'escalated', public: true, text: 'Quá hạn' });
    expect(buildTransition('resolved', { ...empty, public: true, text: 'Xong' }, report)).toEqual({ status: 'resolved', text: 'Xong' });
  });
});

describe('deadline badges', () => {
  // 27/11/2026 10:00 in Ho Chi Minh City.
  const now = new Date('2026-11-27T03:00:00Z');
  const open = (due: string, extra: Partial<Report> = {}) => ({ status: 'forwarded', due_at: due, resolved_at: null, ...extra });

  it('marks open reports overdue, due today or ok (Ho Chi Minh City days)', () => {
    expect(deadlineState(open('2026-11-26T16:59:59Z'), now)).toBe('overdue');
    // 23:59:59 on 27/11 in Ho Chi Minh City is still today.
    expect(deadlineState(open('2026-11-27T16:59:59Z'), now)).toBe('today');
    expect(deadlineState(open('2026-11-28T16:59:59Z'), now)).toBe('ok');
    // 28/11 00:30 local is 27/11 17:30 UTC: tomorrow, not today.
    expect(deadlineState(open('2026-11-27T17:30:00Z'), now)).toBe('ok');
    // The server's overdue flag wins.
    expect(deadlineState(open('2026-11-28T16:59:59Z', { overdue: true }), now)).toBe('overdue');
    expect(deadlineState({ status: 'reopened', due_at: '2026-11-20T16:59:59Z', resolved_at: '2026-11-19T00:00:00Z' }, now)).toBe('overdue');
  });

  it('says whether finished reports met their deadline', () => {
    expect(deadlineState({ status: 'resolved', due_at: '2026-11-20T16:59:59Z', resolved_at: '2026-11-19T00:00:00Z' }, now)).toBe('met');
    expect(deadlineState({ status: 'closed', due_at: '2026-11-20T16:59:59Z', resolved_at: '2026-11-21T00:00:00Z' }, now)).toBe('late');
    expect(deadlineState({ status: 'rejected', due_at: '2026-11-20T16:59:59Z', resolved_at: null }, now)).toBe('none');
    expect(deadlineState({ status: 'duplicate', due_at: 'x', resolved_at: null }, now)).toBe('none');
  });

  it('knows which states are open', () => {
    expect(isOpenStatus('escalated')).toBe(true);
    expect(isOpenStatus('resolved')).toBe(false);
    expect(isOpenStatus('closed')).toBe(false);
  });
});

describe('dashboard totals', () => {
  const unit = (over: Partial<UnitStats>): UnitStats => ({
    agency_code: 'X',
    received: 0,
    resolved: 0,
    resolved_on_time: 0,
    on_time_pct: null,
    overdue: 0,
    open: 0,
    avg_handling_hours: null,
    satisfaction: null,
    ratings: 0,
    ...over,
  });

  it('weights handling time by resolved reports and satisfaction by ratings', () => {
    const summary = summarizeStats([
      unit({ received: 30, resolved: 20, resolved_on_time: 19, overdue: 2, open: 8, avg_handling_hours: 10, satisfaction: 4, ratings: 10 }),
      unit({ received: 10, resolved: 20, resolved_on_time: 18, overdue: 1, open: 2, avg_handling_hours: 40, satisfaction: 2.5, ratings: 2 }),
      unit({ received: 1 }),
    ]);
    expect(summary).toEqual({
      units: 3,
      received: 41,
      resolved: 40,
      resolvedOnTime: 37,
      onTimePct: 92.5,
      overdue: 3,
      open: 10,
      avgHandlingHours: 25,
      satisfaction: 3.8,
      ratings: 12,
    });
  });

  it('has no rates without resolved or rated reports', () => {
    expect(summarizeStats([])).toMatchObject({ onTimePct: null, avgHandlingHours: null, satisfaction: null, received: 0 });
  });
});

describe('small helpers', () => {
  it('groups categories under their parents', () => {
    const cat = (code: string, parent: string | null) => ({ code, parent_code: parent, name_vi: code, name_en: code, keywords: [], default_agency_code: null, deadline_days: 10 });
    const groups = categoryGroups([cat('ROADS', null), cat('ROADS.POTHOLE', 'ROADS'), cat('EMPTY', null), cat('X.Y', 'X')]);
    expect(groups.map((g) => [g.group?.code ?? null, g.leaves.map((l) => l.code)])).toEqual([
      ['ROADS', ['ROADS.POTHOLE']],
      [null, ['X.Y']],
    ]);
  });

  it('reads ward committees and tracking codes', () => {
    expect(wardOfCommittee('UBND-26740')).toBe('26740');
    expect(wardOfCommittee('UBND-P-SAIGON')).toBeNull();
    expect(normalizeTrackingCode(' 261128-f8yga ')).toBe('261128-F8YGA');
    expect(looksLikeTrackingCode('261128-f8yga')).toBe(true);
    expect(looksLikeTrackingCode('261128')).toBe(false);
  });

  it('checks contacts as the server does', () => {
    expect(contactKind('ten@example.com')).toBe('email');
    expect(contactKind('ten@example')).toBeNull();
    expect(contactKind('0903 123 456')).toBe('phone');
    expect(contactKind('+84 903.123.456')).toBe('phone');
    expect(contactKind('84903123456')).toBe('phone');
    expect(contactKind('12345')).toBeNull();
    expect(contactKind('903123456')).toBeNull();
    expect(contactKind('0903-abc')).toBeNull();
  });
});
