import { html, nothing, type TemplateResult } from 'lit';
import type { UnitStats } from '../api/types';
import { getLocale, t } from '../i18n';
import { formatHours, formatNumber, formatPercent } from '../i18n/format';

export interface UnitStatsTableOptions {
  /** The table's id (tests and styles find it by this). */
  id: string;
  /** Caption, read by screen readers (the table's name). */
  caption: string;
  /** Id of the caption, when the scroll region is named by it. */
  captionId?: string;
  /** Id of what names the scroll region (the caption or a heading). */
  labelledBy: string;
  /** Extra class of the scroll region. */
  scrollClass?: string;
  rows: readonly UnitStats[];
  unitName: (code: string) => string;
  /** Numbers the rows (the public ranking). */
  ranked?: boolean;
  /** The "open" column (staff only: the public ranking leaves it out). */
  withOpen?: boolean;
  /** Shown in one row when there are no rows; none for no such row. */
  empty?: string;
}

/**
 * The per-unit statistics table drawn by the staff dashboard and the public
 * ranking: received, resolved, on time, overdue, (open), average handling
 * time and satisfaction, in a keyboard-scrollable region.
 */
export function unitStatsTable(o: UnitStatsTableOptions): TemplateResult {
  const locale = getLocale();
  const none = t('common.none');
  const columns = 7 + (o.ranked ? 1 : 0) + (o.withOpen ? 1 : 0);
  return html`<div class="table-scroll ${o.scrollClass ?? ''}" tabindex="0" role="region" aria-labelledby=${o.labelledBy}>
    <table class="data-table" id=${o.id}>
      <caption id=${o.captionId ?? nothing} class="visually-hidden">${o.caption}</caption>
      <thead>
        <tr>
          ${o.ranked ? html`<th scope="col" class="num">${t('ranking.rank')}</th>` : nothing}
          <th scope="col">${t('stats.unit')}</th>
          <th scope="col" class="num">${t('stats.received')}</th>
          <th scope="col" class="num">${t('stats.resolved')}</th>
          <th scope="col" class="num">${t('stats.onTime')}</th>
          <th scope="col" class="num">${t('stats.overdue')}</th>
          ${o.withOpen ? html`<th scope="col" class="num">${t('stats.open')}</th>` : nothing}
          <th scope="col" class="num">${t('stats.avgHours')}</th>
          <th scope="col" class="num">${t('stats.satisfaction')}</th>
        </tr>
      </thead>
      <tbody>
        ${o.rows.length === 0 && o.empty
          ? html`<tr>
              <td colspan=${columns}>${o.empty}</td>
            </tr>`
          : nothing}
        ${o.rows.map(
          (unit, index) => html`<tr data-agency=${unit.agency_code}>
            ${o.ranked ? html`<td class="num">${formatNumber(index + 1, locale)}</td>` : nothing}
            <th scope="row">${o.unitName(unit.agency_code)}</th>
            <td class="num">${formatNumber(unit.received, locale)}</td>
            <td class="num">${formatNumber(unit.resolved, locale)}</td>
            <td class="num">${unit.on_time_pct === null ? none : formatPercent(unit.on_time_pct, locale)}</td>
            <td class="num">${formatNumber(unit.overdue, locale)}</td>
            ${o.withOpen ? html`<td class="num">${formatNumber(unit.open, locale)}</td>` : nothing}
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
  </div>`;
}
