import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { ConsoleElement } from './components/base';
import { announce, attachAnnouncer } from './announcer';
import { ApiError } from './api/client';
import { describeError } from './api/errors';
import { getLocale, setLocale, t, type Locale, type MessageKey } from './i18n';
import { href, navigate, navRoutes, parseHash, type Route, type RouteDef } from './router';
import { session } from './session';
import './pages/login-page';
import './pages/home-page';
import './pages/module-page';
import './pages/users-page';
import './pages/agencies-page';
import './pages/account-page';
import './pages/audit-page';
import './pages/feedback-page';
import './pages/feedback-report-page';
import './pages/feedback-phone-page';
import './pages/feedback-inbox-page';
import './pages/portal-page';
import './pages/portal-track-page';
import './pages/portal-mine-page';
import './pages/portal-ranking-page';
import './pages/data-portal-page';
import './pages/data-dataset-page';
import './pages/data-console-page';
import './pages/data-console-dataset-page';
import type { SignedOutDetail } from './pages/account-page';

type BootState = 'loading' | 'ready' | 'failed';

/**
 * The console shell: skip link, header (product name, language switch, user
 * menu), module navigation and the `<main>` region that holds the current page.
 */
export class CityosApp extends ConsoleElement {
  static override properties = {
    route: { state: true },
    boot: { state: true },
    bootError: { state: true },
    loginNotice: { state: true },
  };

  route: Route = parseHash(location.hash);
  boot: BootState = 'loading';
  bootError = '';
  loginNotice = '';
  private firstPageShown = false;
  /** Set when the shell itself redirects at start-up, which is no reason to move focus. */
  private quietRedirect = false;
  private focusPageOnRender = false;
  private readonly cleanups: Array<() => void> = [];

  override connectedCallback(): void {
    super.connectedCallback();
    const onHash = () => this.onRouteChange();
    window.addEventListener('hashchange', onHash);
    this.cleanups.push(() => window.removeEventListener('hashchange', onHash));
    this.cleanups.push(session.onChange(() => this.onSessionChange()));
    this.cleanups.push(
      session.onUnauthorized(() => {
        this.loginNotice = t('login.sessionExpired');
        this.goToLogin();
      }),
    );
    void this.start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  private async start(): Promise<void> {
    this.boot = 'loading';
    try {
      await session.restore();
      this.boot = 'ready';
      this.quietRedirect = true;
      this.guard();
    } catch (error) {
      // Offline (the 1022 app opened from the home screen without a connection): the public
      // portal opens from the service worker's cache as signed out; staff pages need the server.
      if (error instanceof ApiError && error.status === 0 && this.route.def.public) {
        this.boot = 'ready';
        this.quietRedirect = true;
        this.guard();
        return;
      }
      this.bootError = describeError(error);
      this.boot = 'failed';
    }
  }

  private onRouteChange(): void {
    this.route = parseHash(location.hash);
    if (this.firstPageShown && !this.quietRedirect) this.focusPageOnRender = true;
    this.quietRedirect = false;
    this.guard();
  }

  private onSessionChange(): void {
    if (session.me) this.loginNotice = '';
    this.requestUpdate();
    if (session.me && this.route.def.id === 'login') {
      const next = this.route.params.get('next');
      navigate(next && next.startsWith('/') && next !== '/login' ? next : '/');
    } else if (!session.me) {
      this.guard();
    }
  }

  /** Sends signed-out visitors to the sign-in page (except on the public portal) and signed-in ones away from it. */
  private guard(): void {
    if (this.boot !== 'ready') return;
    if (!session.me && this.route.def.id !== 'login' && !this.route.def.public) this.goToLogin();
    else if (session.me && this.route.def.id === 'login') navigate('/');
    else this.quietRedirect = false;
  }

  private goToLogin(): void {
    const current = parseHash(location.hash);
    if (current.def.id === 'login' || current.def.public) return;
    const next = current.path === '/' ? undefined : { next: current.path };
    navigate('/login', next);
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    const region = this.querySelector<HTMLElement>('#cityos-announcer');
    if (region) attachAnnouncer(region);
    document.title = t('app.pageTitle', { page: t(this.route.def.label) });
    if (this.boot === 'ready') {
      if (this.focusPageOnRender) {
        this.focusPageOnRender = false;
        this.focusPageHeading();
      }
      this.firstPageShown = true;
    }
  }

  /**
   * After in-app navigation, moves focus to the new page's heading so screen
   * readers announce it. Pages render in their own update cycle (the map page
   * after its code has loaded), so wait for the heading to exist.
   */
  private focusPageHeading(): void {
    const started = performance.now();
    const attempt = () => {
      const heading = this.querySelector<HTMLElement>('main h1');
      if (heading) heading.focus();
      else if (performance.now() - started < 5000) requestAnimationFrame(attempt);
    };
    requestAnimationFrame(attempt);
  }

  private onSkip(event: Event): void {
    // The link's href would change the hash route; move focus instead.
    event.preventDefault();
    this.querySelector<HTMLElement>('#main-content')?.focus();
  }

  private switchLanguage(locale: Locale): void {
    if (locale === getLocale()) return;
    setLocale(locale);
    announce(t('lang.changed'));
    this.requestUpdate();
  }

  private async logout(): Promise<void> {
    try {
      await session.logout();
    } catch {
      // The session is cleared locally even when the server cannot be reached.
    }
    this.loginNotice = t('user.loggedOut');
    navigate('/login');
  }

  /** A page ended the session on the server (password changed): show the sign-in page with its message. */
  private onSignedOut(event: CustomEvent<SignedOutDetail>): void {
    session.forget();
    this.loginNotice = event.detail.notice;
    navigate('/login');
  }

  private visibleRoutes(): RouteDef[] {
    return navRoutes(session.me?.grants.map((grant) => grant.role) ?? []);
  }

  override render(): TemplateResult {
    const locale = getLocale();
    const me = session.me;
    const portal = this.route.def.public === true;
    const openData = this.route.def.id === 'data' || this.route.def.section === 'data';
    // The portal shows no staff navigation or staff menu, even to a signed-in staff member.
    const signedIn = me !== null && this.boot === 'ready' && !portal;
    return html`
      <a class="skip-link" href="#main-content" @click=${this.onSkip}>${t('a11y.skipToMain')}</a>
      <header class="app-header">
        <a class="brand" href=${href(openData ? '/data' : portal ? '/portal' : '/')}>
          <span class="brand-name">${t('app.name')}</span>
          <span class="brand-tagline">${openData ? t('data.tagline') : portal ? t('portal.tagline') : t('app.tagline')}</span>
        </a>
        <div class="header-tools">
          <div class="lang-switch" role="group" aria-label=${t('lang.label')}>
            <span class="lang-switch-label" aria-hidden="true">${t('lang.label')}:</span>
            ${(['vi', 'en'] as const).map(
              (code) => html`<button
                type="button"
                class="lang-button"
                lang=${code}
                aria-pressed=${locale === code ? 'true' : 'false'}
                data-locale=${code}
                @click=${() => this.switchLanguage(code)}
              >
                ${t(code === 'vi' ? 'lang.vi' : 'lang.en')}
              </button>`,
            )}
          </div>
          ${signedIn
            ? html`<div class="user-menu" role="group" aria-label=${t('user.menuLabel')}>
                <span class="user-name">
                  <span class="user-display-name">${t('user.signedInAs', { name: me.display_name })}</span>
                  <span class="user-agency">${me.agency ? (locale === 'vi' ? me.agency.name_vi : me.agency.name_en) : t('user.noAgency')}</span>
                </span>
                <a
                  class="button button-light"
                  href=${href('/account')}
                  data-action="account"
                  aria-current=${this.route.def.id === 'account' ? 'page' : nothing}
                  >${t('user.account')}</a
                >
                <button type="button" class="button button-light" data-action="logout" @click=${() => void this.logout()}>
                  ${t('user.logout')}
                </button>
              </div>`
            : nothing}
        </div>
      </header>
      ${portal ? this.renderPortalNav() : nothing}
      <div class="app-body ${signedIn && this.route.def.id !== 'login' ? '' : 'app-body-full'}">
        ${signedIn && this.route.def.id !== 'login' ? this.renderNav() : nothing}
        <main id="main-content" tabindex="-1">${this.renderMain()}</main>
      </div>
      <div id="cityos-announcer" class="visually-hidden" aria-live="polite" aria-atomic="true"></div>
    `;
  }

  private renderNav(): TemplateResult {
    const routes = this.visibleRoutes();
    const modules = routes.filter((route) => !route.id.startsWith('admin-'));
    const admin = routes.filter((route) => route.id.startsWith('admin-'));
    const current = (route: RouteDef) =>
      this.route.def.id === route.id ? 'page' : this.route.def.section === route.id ? 'true' : nothing;
    const link = (route: RouteDef) => html`<li>
      <a href=${href(route.path)} aria-current=${current(route)} data-route=${route.id}>${t(route.label)}</a>
    </li>`;
    return html`<nav class="app-nav" aria-label=${t('nav.label')}>
      <ul class="nav-list">
        ${modules.map(link)}
        ${admin.length > 0
          ? html`<li class="nav-group">
              <span class="nav-group-label" id="nav-admin-label">${t('nav.admin')}</span>
              <ul class="nav-list nav-sublist" aria-labelledby="nav-admin-label">
                ${admin.map(link)}
              </ul>
            </li>`
          : nothing}
      </ul>
      <ul class="nav-list nav-footer">
        <li><a href="/api/docs" target="_blank" rel="noopener">${t('nav.apiDocs')} <span class="visually-hidden">${t('a11y.newTab')}</span></a></li>
      </ul>
    </nav>`;
  }

  /** The citizen portal's own navigation (no staff pages). */
  private renderPortalNav(): TemplateResult {
    const id = this.route.def.id;
    const items: Array<{ path: string; id: string; label: MessageKey }> = [
      { path: '/portal', id: 'portal', label: 'portal.navReport' },
      { path: '/track', id: 'track', label: 'portal.navTrack' },
      { path: '/portal/mine', id: 'portal-mine', label: 'portal.navMine' },
      { path: '/portal/ranking', id: 'portal-ranking', label: 'portal.navRanking' },
      { path: '/data', id: 'data', label: 'portal.navData' },
    ];
    return html`<nav class="portal-nav" aria-label=${t('portal.navLabel')}>
      <ul class="portal-nav-list">
        ${items.map(
          (item) => html`<li>
            <a
              href=${href(item.path)}
              aria-current=${id === item.id ? 'page' : this.route.def.section === item.id ? 'true' : nothing}
              data-route=${item.id}
              >${t(item.label)}</a
            >
          </li>`,
        )}
      </ul>
      <a class="portal-staff-link" href=${href(session.me ? '/feedback' : '/login')}>${t('portal.staffLink')}</a>
    </nav>`;
  }

  private renderMain(): TemplateResult {
    if (this.boot === 'loading') {
      return html`<p class="loading" role="status">${t('app.loading')}</p>`;
    }
    if (this.boot === 'failed') {
      return html`<div class="page">
        <h1 tabindex="-1">${t('error.heading')}</h1>
        <p class="form-error" role="alert">${this.bootError}</p>
        <button type="button" class="button" @click=${() => void this.start()}>${t('common.retry')}</button>
      </div>`;
    }
    const id = this.route.def.id;
    switch (id) {
      case 'portal':
        return html`<cityos-portal-page></cityos-portal-page>`;
      case 'portal-mine':
        return html`<cityos-portal-mine-page .next=${this.route.params.get('track') ?? ''}></cityos-portal-mine-page>`;
      case 'portal-ranking':
        return html`<cityos-portal-ranking-page></cityos-portal-ranking-page>`;
      case 'track':
        return html`<cityos-portal-track-page .code=${this.route.param ?? ''}></cityos-portal-track-page>`;
      case 'data':
        return html`<cityos-data-portal-page .query=${this.route.params.toString()}></cityos-data-portal-page>`;
      case 'data-dataset':
        return html`<cityos-data-dataset-page .name=${this.route.param ?? ''}></cityos-data-dataset-page>`;
      default:
        break;
    }
    if (id === 'login' || !session.me) {
      return html`<cityos-login-page .notice=${this.loginNotice}></cityos-login-page>`;
    }
    switch (id) {
      case 'home':
        return html`<cityos-home-page></cityos-home-page>`;
      case 'map':
        // MapLibre is most of the bundle: load it only when the map is opened.
        void import('./pages/map-page');
        return html`<cityos-map-page></cityos-map-page>`;
      case 'feedback':
        return html`<cityos-feedback-page></cityos-feedback-page>`;
      case 'feedback-report':
        return html`<cityos-feedback-report-page .code=${this.route.param ?? ''}></cityos-feedback-report-page>`;
      case 'feedback-new':
        return html`<cityos-feedback-phone-page></cityos-feedback-phone-page>`;
      case 'feedback-inbox':
        return html`<cityos-feedback-inbox-page></cityos-feedback-inbox-page>`;
      case 'datahub':
        return html`<cityos-data-console-page .query=${this.route.params.toString()}></cityos-data-console-page>`;
      case 'datahub-new':
        return html`<cityos-data-console-dataset-page .name=${''}></cityos-data-console-dataset-page>`;
      case 'datahub-dataset':
        return html`<cityos-data-console-dataset-page .name=${this.route.param ?? ''}></cityos-data-console-dataset-page>`;
      case 'gis':
        // The infrastructure map loads MapLibre: only when it is opened.
        void import('./gis/gis-page');
        return html`<cityos-gis-page .query=${this.route.params.toString()}></cityos-gis-page>`;
      case 'gis-import':
        void import('./gis/import-page');
        return html`<cityos-gis-import-page></cityos-gis-import-page>`;
      case 'forecast':
        void import('./forecast/dashboard-page');
        return html`<cityos-forecast-dashboard-page></cityos-forecast-dashboard-page>`;
      case 'forecast-indicator':
        void import('./forecast/indicator-page');
        return html`<cityos-forecast-indicator-page .indicatorId=${this.route.param ?? ''}></cityos-forecast-indicator-page>`;
      case 'ioc':
        return html`<cityos-module-page .module=${id}></cityos-module-page>`;
      case 'admin-users':
        return html`<cityos-users-page></cityos-users-page>`;
      case 'admin-agencies':
        return html`<cityos-agencies-page></cityos-agencies-page>`;
      case 'admin-audit':
        return html`<cityos-audit-page></cityos-audit-page>`;
      case 'account':
        return html`<cityos-account-page @cityos-signed-out=${(e: CustomEvent<SignedOutDetail>) => this.onSignedOut(e)}></cityos-account-page>`;
      default:
        return html`<div class="page">
          <h1 tabindex="-1">${t('notFound.title')}</h1>
          <p>${t('notFound.body')}</p>
          <p><a href=${href('/')}>${t('notFound.home')}</a></p>
        </div>`;
    }
  }
}

customElements.define('cityos-app', CityosApp);
