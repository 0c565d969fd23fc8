import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { describeError } from '../api/errors';
import type { Items, Jurisdiction } from '../api/types';
import { getLocale, t, type MessageKey } from '../i18n';
import { formatDateTime, formatNumber } from '../i18n/format';
import { grantLabel } from '../labels';
import { divisionCategory, divisionLabel, type DivisionCategory } from '../map/division';
import { href } from '../router';
import { session } from '../session';

interface ModuleCard {
  path: string;
  label: MessageKey;
  ready: boolean;
}

const MODULES: ModuleCard[] = [
  { path: '/map', label: 'nav.map', ready: true },
  { path: '/feedback', label: 'nav.feedback', ready: true },
  { path: '/datahub', label: 'nav.data', ready: true },
  { path: '/ioc', label: 'nav.ioc', ready: false },
  { path: '/gis', label: 'nav.gis', ready: true },
  { path: '/forecast', label: 'nav.forecast', ready: true },
];

/** Overview: who is signed in, with which roles, and what the city's jurisdiction data holds. Real data only. */
export class HomePage extends ConsoleElement {
  static override properties = {
    jurisdictions: { state: true },
    error: { state: true },
  };

  jurisdictions: Jurisdiction[] | null = null;
  error = '';

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      const response = await session.api.get<Items<Jurisdiction>>('/api/jurisdictions');
      this.jurisdictions = response.items;
    } catch (error) {
      this.error = describeError(error);
    }
  }

  private renderUnits(): TemplateResult {
    if (this.error) return html`<p class="form-error" role="alert">${this.error}</p>`;
    if (!this.jurisdictions) return html`<p role="status">${t('common.loading')}</p>`;
    const locale = getLocale();
    const units = this.jurisdictions.filter((j) => divisionCategory(j.division_type) !== 'city' && j.parent_code !== null);
    const byType = new Map<string, { label: string; count: number; category: DivisionCategory }>();
    for (const unit of units) {
      const key = unit.division_type;
      const entry = byType.get(key) ?? { label: divisionLabel(key), count: 0, category: divisionCategory(key) };
      entry.count += 1;
      byType.set(key, entry);
    }
    return html`
      <p>${t('home.unitsSummary', { count: formatNumber(units.length, locale) })}</p>
      <h3>${t('home.unitsByType')}</h3>
      <ul class="stat-list">
        ${[...byType.values()].sort((a, b) => b.count - a.count).map(
          (entry) => html`<li><span class="stat-value">${formatNumber(entry.count, locale)}</span> <span>${entry.label}</span></li>`,
        )}
      </ul>
      <p><a class="button button-secondary" href=${href('/map')}>${t('home.unitsOpenMap')}</a></p>
    `;
  }

  override render(): TemplateResult {
    const me = session.me;
    if (!me) return html``;
    const locale = getLocale();
    const expires = session.expiresAt;
    return html`<div class="page">
      <h1 tabindex="-1">${t('home.title')}</h1>
      <p class="lead">${t('home.welcome', { name: me.display_name })}</p>
      ${me.kind === 'citizen' ? html`<p class="notice notice-warning">${t('home.citizenNotice')}</p>` : nothing}
      <div class="grid-2">
        <section class="card" aria-labelledby="home-session">
          <h2 id="home-session">${t('home.sessionHeading')}</h2>
          <dl class="facts">
            <dt>${t('home.agency')}</dt>
            <dd>${me.agency ? (locale === 'vi' ? me.agency.name_vi : me.agency.name_en) : t('user.noAgency')}</dd>
            <dt>${t('home.roles')}</dt>
            <dd>
              ${me.grants.length === 0
                ? t('home.noRoles')
                : html`<ul class="plain-list">
                    ${me.grants.map((grant) => html`<li>${grantLabel(grant)}</li>`)}
                  </ul>`}
            </dd>
            <dt>${t('home.mfa')}</dt>
            <dd>${me.mfa_enabled ? t('home.mfaOn') : t('home.mfaOff')}</dd>
            ${expires
              ? html`<dt>${t('home.sessionExpires')}</dt>
                  <dd><time datetime=${expires}>${formatDateTime(expires, locale)}</time></dd>`
              : nothing}
            <dt>${t('home.now')}</dt>
            <dd><time datetime=${new Date().toISOString()}>${formatDateTime(new Date(), locale)}</time></dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="home-units">
          <h2 id="home-units">${t('home.unitsHeading')}</h2>
          ${this.renderUnits()}
        </section>
      </div>
      <section aria-labelledby="home-modules">
        <h2 id="home-modules">${t('home.modulesHeading')}</h2>
        <ul class="module-grid">
          ${MODULES.map(
            (module) => html`<li class="card module-card">
              <h3><a href=${href(module.path)}>${t(module.label)}</a></h3>
              <p class="badge ${module.ready ? 'badge-ready' : 'badge-later'}">
                ${module.ready ? t('home.moduleReady') : t('home.moduleLater')}
              </p>
            </li>`,
          )}
        </ul>
      </section>
    </div>`;
  }
}

customElements.define('cityos-home-page', HomePage);
