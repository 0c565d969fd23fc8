import { describe, expect, it } from 'vitest';
import { datasetQuery, EMPTY_SEARCH, facetEntries, isFiltered, pageCount, parseSearch, searchParams, toggleFacet } from './search';

const compare = (a: string, b: string) => a.localeCompare(b, 'vi');

describe('portal search state', () => {
  it('reads the address, falling back to defaults for anything malformed', () => {
    const s = parseSearch(new URLSearchParams('q=%20cho%20truyen%20thong%20&agency=SO-CT&theme=economy&format=CSV&license_id=odc-by&sort=-modified&page=3'));
    expect(s).toEqual({ q: 'cho truyen thong', agency: 'SO-CT', theme: 'economy', format: 'CSV', license_id: 'odc-by', sort: '-modified', page: 3 });
    expect(parseSearch(new URLSearchParams('sort=views&page=-2'))).toEqual(EMPTY_SEARCH);
    expect(parseSearch(new URLSearchParams('page=abc')).page).toBe(1);
    expect(parseSearch(new URLSearchParams('')).sort).toBe('relevance');
  });

  it('writes only what differs from the default, and reads back the same', () => {
    expect(searchParams(EMPTY_SEARCH)).toEqual({});
    const s = { ...EMPTY_SEARCH, q: 'trạm y tế', agency: 'SO-YT', page: 2, sort: 'title' as const };
    const params = searchParams(s);
    expect(params).toEqual({ q: 'trạm y tế', agency: 'SO-YT', sort: 'title', page: '2' });
    expect(parseSearch(new URLSearchParams(params))).toEqual(s);
  });

  it('asks the API for the words, facets and page; relevance without words means newest', () => {
    expect(datasetQuery({ ...EMPTY_SEARCH })).toEqual({ page: 1, per_page: 10, sort: '-modified' });
    expect(datasetQuery({ ...EMPTY_SEARCH, q: 'cho', format: 'CSV', page: 2 }, 5)).toEqual({ page: 2, per_page: 5, q: 'cho', format: 'CSV', sort: 'relevance' });
    expect(datasetQuery({ ...EMPTY_SEARCH, sort: 'title' })['sort']).toBe('title');
  });

  it('toggles a facet value and goes back to the first page', () => {
    const s = { ...EMPTY_SEARCH, page: 4 };
    const on = toggleFacet(s, 'agency', 'SO-YT');
    expect(on).toMatchObject({ agency: 'SO-YT', page: 1 });
    expect(isFiltered(on)).toBe(true);
    const other = toggleFacet(on, 'agency', 'SO-CT');
    expect(other.agency).toBe('SO-CT');
    expect(toggleFacet(other, 'agency', 'SO-CT').agency).toBe('');
    expect(isFiltered(EMPTY_SEARCH)).toBe(false);
    expect(isFiltered({ ...EMPTY_SEARCH, q: 'x' })).toBe(true);
  });

  it('orders facet entries by count then name, keeps the selected one first even at zero', () => {
    const counts = [
      { name: 'SO-CT', count: 1 },
      { name: 'SO-YT', count: 3 },
      { name: 'SO-GDDT', count: 1 },
      { name: '', count: 9 },
      { name: 'SO-TC', count: 0 },
    ];
    const labels: Record<string, string> = { 'SO-CT': 'Sở Công Thương', 'SO-YT': 'Sở Y tế', 'SO-GDDT': 'Sở Giáo dục và Đào tạo', 'SO-XD': 'Sở Xây dựng' };
    const label = (v: string) => labels[v] ?? v;
    const entries = facetEntries(counts, '', label, compare);
    expect(entries.map((e) => e.value)).toEqual(['SO-YT', 'SO-CT', 'SO-GDDT']);
    expect(entries[0]).toEqual({ value: 'SO-YT', label: 'Sở Y tế', count: 3, selected: false });
    const chosen = facetEntries(counts, 'SO-XD', label, compare);
    expect(chosen[0]).toEqual({ value: 'SO-XD', label: 'Sở Xây dựng', count: 0, selected: true });
    expect(facetEntries(counts, 'SO-CT', label, compare)[0]?.selected).toBe(true);
    expect(facetEntries(counts, '', label, compare, 2)).toHaveLength(2);
    expect(facetEntries(undefined, '', label, compare)).toEqual([]);
  });

  it('counts pages, at least one', () => {
    expect(pageCount(0)).toBe(1);
    expect(pageCount(10)).toBe(1);
    expect(pageCount(11)).toBe(2);
    expect(pageCount(45, 20)).toBe(3);
  });
});
