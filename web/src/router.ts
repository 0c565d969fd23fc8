/**
 * Hash routing (`#/map`, `#/admin/users`): the server's SPA fallback then
 * never has to know the console's paths.
 */
import type { MessageKey } from './i18n';

export type RouteId =
  | 'login'
  | 'home'
  | 'map'
  | 'feedback'
  | 'feedback-new'
  | 'feedback-inbox'
  | 'feedback-report'
  | 'portal'
  | 'portal-mine'
  | 'portal-ranking'
  | 'track'
  | 'data'
  | 'data-dataset'
  | 'datahub'
  | 'datahub-new'
  | 'datahub-dataset'
  | 'ioc'
  | 'gis'
  | 'gis-import'
  | 'forecast'
  | 'forecast-indicator'
  | 'admin-users'
  | 'admin-agencies'
  | 'admin-audit'
  | 'account'
  | 'not-found';

export interface RouteDef {
  id: RouteId;
  path: string;
  /** Catalogue key of the page's name (navigation label and document title). */
  label: MessageKey;
  /** Roles needed to see the page in the navigation (any of them); empty for every staff member. */
  roles: string[];
  /** Reached from elsewhere (the user menu), not listed in the module navigation. */
  hidden?: boolean;
  /**
   * The path takes one more segment (`/feedback/261128-F8YGA`), read as the
   * route's `param`: `required`, or `optional` when the bare path is the same page.
   */
  param?: 'required' | 'optional';
  /** The navigation entry this page belongs to (a report belongs to "Phản ánh 1022"). */
  section?: RouteId;
  /** Open to everyone: the citizen portal needs no staff sign-in and shows no staff navigation. */
  public?: boolean;
}

export const ROUTES: RouteDef[] = [
  { id: 'home', path: '/', label: 'nav.home', roles: [] },
  { id: 'map', path: '/map', label: 'nav.map', roles: [] },
  { id: 'feedback', path: '/feedback', label: 'nav.feedback', roles: [] },
  { id: 'feedback-new', path: '/feedback/new', label: 'phone.title', roles: ['operator'], hidden: true, section: 'feedback' },
  { id: 'feedback-inbox', path: '/feedback/inbox', label: 'inbox.title', roles: ['operator', 'admin'], hidden: true, section: 'feedback' },
  { id: 'feedback-report', path: '/feedback', param: 'required', label: 'report.title', roles: [], hidden: true, section: 'feedback' },
  { id: 'datahub', path: '/datahub', label: 'nav.data', roles: [] },
  { id: 'datahub-new', path: '/datahub/new', label: 'datahub.newTitle', roles: ['data_officer', 'agency_admin', 'admin'], hidden: true, section: 'datahub' },
  { id: 'datahub-dataset', path: '/datahub/datasets', param: 'required', label: 'datahub.datasetTitle', roles: [], hidden: true, section: 'datahub' },
  { id: 'ioc', path: '/ioc', label: 'nav.ioc', roles: [] },
  { id: 'gis', path: '/gis', label: 'nav.gis', roles: [] },
  { id: 'gis-import', path: '/gis/import', label: 'gisImport.title', roles: [], hidden: true, section: 'gis' },
  { id: 'forecast', path: '/forecast', label: 'nav.forecast', roles: [] },
  { id: 'forecast-indicator', path: '/forecast', param: 'required', label: 'forecast.indicatorTitle', roles: [], hidden: true, section: 'forecast' },
  { id: 'admin-users', path: '/admin/users', label: 'nav.adminUsers', roles: ['admin', 'agency_admin'] },
  { id: 'admin-agencies', path: '/admin/agencies', label: 'nav.adminAgencies', roles: ['admin', 'agency_admin'] },
  { id: 'admin-audit', path: '/admin/audit', label: 'nav.adminAudit', roles: ['admin', 'auditor'] },
  { id: 'account', path: '/account', label: 'account.title', roles: [], hidden: true },
  { id: 'login', path: '/login', label: 'login.title', roles: [] },
  { id: 'portal', path: '/portal', label: 'portal.title', roles: [], hidden: true, public: true },
  { id: 'portal-mine', path: '/portal/mine', label: 'portal.mineTitle', roles: [], hidden: true, public: true },
  { id: 'portal-ranking', path: '/portal/ranking', label: 'portal.rankingTitle', roles: [], hidden: true, public: true },
  { id: 'track', path: '/track', param: 'optional', label: 'track.title', roles: [], hidden: true, public: true },
  { id: 'data', path: '/data', label: 'data.portalTitle', roles: [], hidden: true, public: true },
  { id: 'data-dataset', path: '/data', param: 'required', label: 'data.datasetTitle', roles: [], hidden: true, public: true, section: 'data' },
];

/**
 * The routes listed in the module navigation for someone holding `roles`:
 * not the sign-in page nor pages reached from elsewhere, and only pages one of
 * whose roles they hold. Admin pages (`admin-…`) form the "Quản trị" group.
 */
export function navRoutes(roles: readonly string[]): RouteDef[] {
  return ROUTES.filter(
    (route) => route.id !== 'login' && !route.hidden && (route.roles.length === 0 || route.roles.some((role) => roles.includes(role))),
  );
}

export interface Route {
  def: RouteDef;
  path: string;
  params: URLSearchParams;
  /** The extra path segment of a route with a `param` (decoded), else null. */
  param: string | null;
}

const NOT_FOUND: RouteDef = { id: 'not-found', path: '', label: 'notFound.title', roles: [] };

/** Parses `#/path?query`; anything not starting with `#/` is the home page. */
export function parseHash(hash: string): Route {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const [pathPart = '', query = ''] = raw.split('?', 2);
  let path = pathPart.startsWith('/') ? pathPart : '/';
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const params = new URLSearchParams(query);
  const exact = ROUTES.find((route) => route.path === path && route.param !== 'required');
  if (exact) return { def: exact, path, params, param: null };
  for (const route of ROUTES) {
    if (!route.param || !path.startsWith(`${route.path}/`)) continue;
    const rest = path.slice(route.path.length + 1);
    if (rest === '' || rest.includes('/')) continue;
    let param: string;
    try {
      param = decodeURIComponent(rest);
    } catch {
      continue;
    }
    return { def: route, path, params, param };
  }
  return { def: NOT_FOUND, path, params, param: null };
}

export function href(path: string, params?: Record<string, string>): string {
  const qs = params ? new URLSearchParams(params).toString() : '';
  return `#${path}${qs ? `?${qs}` : ''}`;
}

export function navigate(path: string, params?: Record<string, string>): void {
  const next = href(path, params);
  if (location.hash === next) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = next;
}
