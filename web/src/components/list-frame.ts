import { html, nothing, type TemplateResult } from 'lit';
import { getLocale, t } from '../i18n';
import { formatNumber } from '../i18n/format';

export interface ListStatusOptions {
  /** The list's last error ('' for none): announced at once. */
  error: string;
  loading: boolean;
  total: number;
  /**
   * Whether the total is a status message read out when it changes; off where
   * the page announces its own result ("Tìm thấy 3 phản ánh").
   */
  announceCount?: boolean;
}

/** The lines above a paged list: its error, "loading" while it loads, and the total. */
export function listStatus(o: ListStatusOptions): TemplateResult {
  return html`<div class="form-error" role="alert" aria-live="assertive">${o.error}</div>
    ${o.loading ? html`<p role="status">${t('common.loading')}</p>` : nothing}
    <p class="result-count" role=${o.announceCount === false ? nothing : 'status'} data-total=${o.total}>
      ${t('common.totalItems', { count: formatNumber(o.total, getLocale()) })}
    </p>`;
}

export interface PagerOptions {
  /** Names the navigation landmark ("Phân trang danh sách phản ánh"). */
  label: string;
  page: number;
  pages: number;
  loading: boolean;
  go: (page: number) => void;
}

/** Previous / "page n of m" / next under a paged list. */
export function pager(o: PagerOptions): TemplateResult {
  const locale = getLocale();
  return html`<nav class="pagination" aria-label=${o.label}>
    <button type="button" class="button button-secondary" ?disabled=${o.page <= 1 || o.loading} @click=${() => o.go(o.page - 1)}>
      ${t('common.previous')}
    </button>
    <span>${t('common.pageOf', { page: formatNumber(o.page, locale), pages: formatNumber(o.pages, locale) })}</span>
    <button type="button" class="button button-secondary" ?disabled=${o.page >= o.pages || o.loading} @click=${() => o.go(o.page + 1)}>
      ${t('common.next')}
    </button>
  </nav>`;
}
