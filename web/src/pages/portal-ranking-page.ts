import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { describeError } from '../api/errors';
import type { Items, UnitStats } from '../api/types';
import { citizen } from '../citizen-session';
import { loadWards, Names } from '../feedback/reference';
import { getLocale, t } from '../i18n';
import { formatHours, formatNumber, formatPercent } from '../i18n/format';

/** The public ranking of units (`GET /api/feedback/public/ranking`), as a table. */
export class PortalRankingPage extends ConsoleElement {
  static override properties = {
    items: { state: true },
    names: { state: true },
    loading: { state: true },
    error: { state: true },
  };

  items: UnitStats[] = [];
  names = new Names();
  loading = true;
  error = '';

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    void loadWards()
      .then((wards) => (this.names = new Names([], wards)))
      .catch(() => undefined);
  }

  private async load(): Promise<void> {
    this.loading = true;
    try {
      this.items = (await citizen.api.get<Items<UnitStats>>('/api/feedback/public/ranking')).items;
      this.error = '';
    } catch (error) {
      this.error = describeError(error);
    } finally {
      this.loading = false;
    }
  }

  override render(): TemplateResult {
    const locale = getLocale();
    const none = t('common.none');
    return html`<div class="page portal-page ranking-page">
      <h1 tabindex="-1">${t('portal.rankingTitle')}</h1>
      <p class="lead">${t('ranking.intro')}</p>
      <div class="form-error" role="alert">${this.error}</div>
      ${this.loading ? html`<p role="status">${t('common.loading')}</p>` : nothing}
      ${this.items.length === 0 && !this.loading && !this.error
        ? html`<p class="notice" id="ranking-empty">${t('ranking.empty')}</p>`
        : nothing}
      ${this.items.length > 0
        ? html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="ranking-caption">
        <table class="data-table" id="ranking-table">
          <caption id="ranking-caption" class="visually-hidden">${t('portal.rankingTitle')}</caption>
          <thead>
            <tr>
              <th scope="col" class="num">${t('ranking.rank')}</th>
              <th scope="col">${t('stats.unit')}</th>
              <th scope="col" class="num">${t('stats.received')}</th>
              <th scope="col" class="num">${t('stats.resolved')}</th>
              <th scope="col" class="num">${t('stats.onTime')}</th>
              <th scope="col" class="num">${t('stats.overdue')}</th>
              <th scope="col" class="num">${t('stats.avgHours')}</th>
              <th scope="col" class="num">${t('stats.satisfaction')}</th>
            </tr>
          </thead>
          <tbody>
            ${this.items.map(
              (unit, index) => html`<tr data-agency=${unit.agency_code}>
                <td class="num">${formatNumber(index + 1, locale)}</td>
                <th scope="row">${this.names.agency(unit.agency_code)}</th>
                <td class="num">${formatNumber(unit.received, locale)}</td>
                <td class="num">${formatNumber(unit.resolved, locale)}</td>
                <td class="num">${unit.on_time_pct === null ? none : formatPercent(unit.on_time_pct, locale)}</td>
                <td class="num">${formatNumber(unit.overdue, locale)}</td>
                <td class="num">${unit.avg_handling_hours === null ? none : formatHours(unit.avg_handling_hours, locale)}</td>
                <td class="num">
                  ${unit.satisfaction === null
                    ? none
                    : html`${t('stats.ratingValue', { value: formatNumber(unit.satisfaction, locale, 1) })}
                        <span class="status-detail">${t('stats.ratingsCount', { count: formatNumber(unit.ratings, locale) })}</span>`}
                </td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`
        : nothing}
      <p class="hint">${t('ranking.note')}</p>
    </div>`;
  }
}

customElements.define('cityos-portal-ranking-page', PortalRankingPage);
