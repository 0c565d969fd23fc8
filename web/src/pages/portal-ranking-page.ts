import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { describeError } from '../api/errors';
import type { Items, UnitStats } from '../api/types';
import { citizen } from '../citizen-session';
import { loadWards, Names } from '../feedback/reference';
import { t } from '../i18n';
import { unitStatsTable } from '../feedback/unit-stats-table';

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
    return html`<div class="page portal-page ranking-page">
      <h1 tabindex="-1">${t('portal.rankingTitle')}</h1>
      <p class="lead">${t('ranking.intro')}</p>
      <div class="form-error" role="alert">${this.error}</div>
      ${this.loading ? html`<p role="status">${t('common.loading')}</p>` : nothing}
      ${this.items.length === 0 && !this.loading && !this.error
        ? html`<p class="notice" id="ranking-empty">${t('ranking.empty')}</p>`
        : nothing}
      ${this.items.length > 0
        ? unitStatsTable({
            id: 'ranking-table',
            caption: t('portal.rankingTitle'),
            captionId: 'ranking-caption',
            labelledBy: 'ranking-caption',
            rows: this.items,
            unitName: (code) => this.names.agency(code),
            ranked: true,
          })
        : nothing}
      <p class="hint">${t('ranking.note')}</p>
    </div>`;
  }
}

customElements.define('cityos-portal-ranking-page', PortalRankingPage);
