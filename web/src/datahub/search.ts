/**
 * The open data portal's search (`#/data?q=…&agency=…`): its state as hash
 * parameters, the query sent to `GET /api/datahub/datasets`, and the facet
 * lists shown beside the results. Pure functions, unit-tested.
 */
import type { FacetCount } from './types';

/** The facets the portal offers, in the order shown; each is also the API's parameter and facet name. */
export const PORTAL_FACETS = ['agency', 'theme', 'format', 'license_id'] as const;
export type PortalFacet = (typeof PORTAL_FACETS)[number];

export const PORTAL_SORTS = ['relevance', '-modified', 'title', '-title'] as const;
export type PortalSort = (typeof PORTAL_SORTS)[number];

export const PORTAL_PER_PAGE = 10;

export interface PortalSearch {
  q: string;
  agency: string;
  theme: string;
  format: string;
  license_id: string;
  sort: PortalSort;
  page: number;
}

export const EMPTY_SEARCH: PortalSearch = { q: '', agency: '', theme: '', format: '', license_id: '', sort: 'relevance', page: 1 };

/** Reads the search from the hash's parameters; anything malformed falls back to the default. */
export function parseSearch(params: URLSearchParams): PortalSearch {
  const text = (name: string) => (params.get(name) ?? '').trim().slice(0, 200);
  const sort = text('sort');
  const page = Number.parseInt(text('page'), 10);
  return {
    q: text('q'),
    agency: text('agency'),
    theme: text('theme'),
    format: text('format'),
    license_id: text('license_id'),
    sort: (PORTAL_SORTS as readonly string[]).includes(sort) ? (sort as PortalSort) : 'relevance',
    page: Number.isFinite(page) && page >= 1 ? Math.min(page, 100_000) : 1,
  };
}

/** The hash parameters of a search: defaults left out, so the plain portal is `#/data`. */
export function searchParams(s: PortalSearch): Record<string, string> {
  const out: Record<string, string> = {};
  if (s.q) out['q'] = s.q;
  for (const facet of PORTAL_FACETS) if (s[facet]) out[facet] = s[facet];
  if (s.sort !== 'relevance') out['sort'] = s.sort;
  if (s.page > 1) out['page'] = String(s.page);
  return out;
}

/** The query of `GET /api/datahub/datasets` for a search. Without words, "relevance" means newest first. */
export function datasetQuery(s: PortalSearch, perPage = PORTAL_PER_PAGE): Record<string, string | number> {
  const query: Record<string, string | number> = { page: s.page, per_page: perPage };
  if (s.q) query['q'] = s.q;
  for (const facet of PORTAL_FACETS) if (s[facet]) query[facet] = s[facet];
  query['sort'] = s.sort === 'relevance' && !s.q ? '-modified' : s.sort;
  return query;
}

/** Selects `value` for `facet`, or clears it when it was selected; back to the first page either way. */
export function toggleFacet(s: PortalSearch, facet: PortalFacet, value: string): PortalSearch {
  return { ...s, [facet]: s[facet] === value ? '' : value, page: 1 };
}

/** Whether any facet or words narrow the search. */
export function isFiltered(s: PortalSearch): boolean {
  return s.q !== '' || PORTAL_FACETS.some((facet) => s[facet] !== '');
}

export interface FacetEntry {
  value: string;
  label: string;
  count: number;
  selected: boolean;
}

/**
 * One facet's entries: most datasets first, then by label; the selected value
 * first and always present (with 0 when the other filters leave none of it), so
 * it can be cleared. At most `limit` entries, the selected one included.
 */
export function facetEntries(
  counts: FacetCount[] | undefined,
  selected: string,
  labelOf: (value: string) => string,
  compare: (a: string, b: string) => number,
  limit = 8,
): FacetEntry[] {
  const entries = (counts ?? [])
    .filter((c) => c.name !== '' && c.count > 0)
    .map((c) => ({ value: c.name, label: labelOf(c.name), count: c.count, selected: c.name === selected }));
  if (selected && !entries.some((e) => e.selected)) entries.push({ value: selected, label: labelOf(selected), count: 0, selected: true });
  entries.sort((a, b) => Number(b.selected) - Number(a.selected) || b.count - a.count || compare(a.label, b.label));
  return entries.slice(0, Math.max(limit, 1));
}

/** Pages of a result list (at least one). */
export function pageCount(total: number, perPage = PORTAL_PER_PAGE): number {
  return Math.max(1, Math.ceil(Math.max(0, total) / perPage));
}
