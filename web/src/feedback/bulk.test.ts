import { describe, expect, it } from 'vitest';
import {
  BULK_MAX,
  buildBulkRequest,
  bulkActions,
  bulkNeeds,
  bulkProblem,
  exportHref,
  pageSelection,
  selectPage,
  summarizeBulk,
  toggleOne,
  type BulkInput,
} from './bulk';

const input = (over: Partial<BulkInput> = {}): BulkInput => ({ action: 'acknowledge', agencyCode: '', text: '', ...over });

describe('bulk actions', () => {
  it('offer forwarding to operators only, like a single report', () => {
    expect(bulkActions({ operator: true })).toEqual(['acknowledge', 'start_progress', 'forward', 'reject']);
    expect(bulkActions({ operator: false })).toEqual(['acknowledge', 'start_progress', 'reject']);
  });

  it('ask for a unit and a reason to forward, a reason to reject', () => {
    expect(bulkNeeds('forward')).toEqual({ agency: true, text: 'reason', textRequired: true });
    expect(bulkNeeds('reject')).toEqual({ agency: false, text: 'reason', textRequired: true });
    expect(bulkNeeds('acknowledge').textRequired).toBe(false);
    expect(bulkNeeds('start_progress').agency).toBe(false);
  });

  it('name the first thing missing', () => {
    expect(bulkProblem(0, input())).toBe('selection');
    expect(bulkProblem(BULK_MAX + 1, input())).toBe('tooMany');
    expect(bulkProblem(2, input({ action: '' }))).toBe('action');
    expect(bulkProblem(2, input({ action: 'forward', text: 'Đúng địa bàn' }))).toBe('agency');
    expect(bulkProblem(2, input({ action: 'forward', agencyCode: 'SO-XD', text: '  ' }))).toBe('text');
    expect(bulkProblem(2, input({ action: 'reject' }))).toBe('text');
    expect(bulkProblem(BULK_MAX, input())).toBeNull();
    expect(bulkProblem(1, input({ action: 'forward', agencyCode: 'SO-XD', text: 'Thuộc Sở Xây dựng' }))).toBeNull();
  });

  it('send only what the action uses, trimmed', () => {
    expect(buildBulkRequest(['a', 'b'], { action: 'acknowledge', agencyCode: 'SO-XD', text: '  ' })).toEqual({
      ids: ['a', 'b'],
      action: 'acknowledge',
    });
    expect(buildBulkRequest(['a'], { action: 'forward', agencyCode: ' SO-XD ', text: ' Thuộc Sở Xây dựng ' })).toEqual({
      ids: ['a'],
      action: 'forward',
      agency_code: 'SO-XD',
      text: 'Thuộc Sở Xây dựng',
    });
  });

  it('summarise outcomes with the tracking codes the page shows', () => {
    const problem = { code: 'forbidden', status: 403, title: 'Forbidden' };
    const summary = summarizeBulk(
      {
        succeeded: 1,
        failed: 2,
        results: [
          { id: 'r1', ok: true, tracking_code: '261127-AAAAA', status: 'acknowledged', error: null },
          { id: 'r2', ok: false, tracking_code: null, status: null, error: problem },
          { id: 'r3', ok: false, tracking_code: null, status: null, error: null },
        ],
      },
      (id) => (id === 'r2' ? '261127-BBBBB' : undefined),
    );
    expect(summary).toEqual({
      succeeded: 1,
      total: 3,
      failures: [
        { id: 'r2', label: '261127-BBBBB', problem },
        { id: 'r3', label: 'r3', problem: {} },
      ],
    });
  });
});

describe('selection', () => {
  const page = ['a', 'b', 'c'];

  it('shows none, some or all of the page', () => {
    expect(pageSelection(new Set(), page)).toBe('none');
    expect(pageSelection(new Set(['b', 'x']), page)).toBe('some');
    expect(pageSelection(new Set(page), page)).toBe('all');
    expect(pageSelection(new Set(), [])).toBe('none');
  });

  it('selects and clears the page without touching other ids, and one at a time', () => {
    const all = selectPage(new Set(['x']), page, true);
    expect([...all].sort()).toEqual(['a', 'b', 'c', 'x']);
    expect([...selectPage(all, page, false)]).toEqual(['x']);
    expect([...toggleOne(new Set(['a']), 'b', true)].sort()).toEqual(['a', 'b']);
    expect([...toggleOne(new Set(['a']), 'a', false)]).toEqual([]);
  });
});

describe('export link', () => {
  it('carries the filters, not the paging, with format and language', () => {
    const href = exportHref(
      { page: 3, per_page: 20, sort: 'due_at', status: 'forwarded,acknowledged', agency: '', overdue: true, unclear: undefined, q: 'đường lê lợi' },
      'csv',
      'vi',
    );
    const url = new URL(href, 'http://x');
    expect(url.pathname).toBe('/api/feedback/reports/export');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      sort: 'due_at',
      status: 'forwarded,acknowledged',
      overdue: 'true',
      q: 'đường lê lợi',
      format: 'csv',
      lang: 'vi',
    });
    expect(exportHref({}, 'xlsx', 'en')).toBe('/api/feedback/reports/export?format=xlsx&lang=en');
  });
});
