/** How the portal shows a report: facts, the public answer and the public history. */
import { html, nothing, type TemplateResult } from 'lit';
import type { PublicReport } from '../api/types';
import { getLocale, t } from '../i18n';
import { formatDate, formatDateTime, formatNumber } from '../i18n/format';
import { deadlineCell, statusBadge } from './badges';
import { Names, statusLabel, updateKindLabel } from './reference';

export function publicStatusBadge(report: PublicReport): TemplateResult {
  return statusBadge(report.status, getLocale() === 'vi' ? report.status_vi : report.status_en);
}

export function publicFacts(report: PublicReport, names: Names): TemplateResult {
  const locale = getLocale();
  return html`<dl class="facts public-facts">
    <dt>${t('track.status')}</dt>
    <dd>${publicStatusBadge(report)}</dd>
    <dt>${t('report.category')}</dt>
    <dd>${names.categoryPath(report.category_code)}</dd>
    <dt>${t('report.ward')}</dt>
    <dd lang="vi">${names.ward(report.jurisdiction_code)}</dd>
    <dt>${t('report.receivedAt')}</dt>
    <dd><time datetime=${report.received_at}>${formatDateTime(report.received_at, locale)}</time></dd>
    <dt>${t('track.dueAt')}</dt>
    <dd>${deadlineCell(report)}</dd>
    ${report.resolved_at
      ? html`<dt>${t('report.resolvedAt')}</dt>
          <dd><time datetime=${report.resolved_at}>${formatDateTime(report.resolved_at, locale)}</time></dd>`
      : nothing}
    ${report.lat !== null && report.lon !== null
      ? html`<dt>${t('track.location')}</dt>
          <dd>${t('report.coordinatesValue', { lat: formatNumber(report.lat, locale, 3), lon: formatNumber(report.lon, locale, 3) })}</dd>`
      : nothing}
    ${report.rating !== null
      ? html`<dt>${t('report.rating')}</dt>
          <dd>${t('report.ratingValue', { rating: report.rating })}</dd>`
      : nothing}
  </dl>`;
}

export function publicAnswer(report: PublicReport): TemplateResult | typeof nothing {
  if (!report.public_answer) return nothing;
  return html`<section class="answer-box" aria-labelledby="answer-${report.tracking_code}">
    <h3 id="answer-${report.tracking_code}">${report.status === 'rejected' ? t('track.reasonHeading') : t('track.answerHeading')}</h3>
    <p class="public-answer" lang="vi">${report.public_answer}</p>
  </section>`;
}

export function publicHistory(report: PublicReport, names: Names): TemplateResult {
  const locale = getLocale();
  const updates = [...report.updates].sort((a, b) => a.at.localeCompare(b.at));
  return html`<ol class="timeline public-timeline">
    ${updates.map(
      (update) => html`<li class="timeline-item is-public" data-kind=${update.kind}>
        <div class="timeline-head">
          <time datetime=${update.at}>${formatDateTime(update.at, locale)}</time>
          <span class="timeline-kind">${updateKindLabel(update.kind)}</span>
        </div>
        ${update.status_to
          ? html`<p class="timeline-status">
              ${update.status_from
                ? t('report.statusChange', { from: statusLabel(update.status_from), to: statusLabel(update.status_to) })
                : t('report.statusSet', { to: statusLabel(update.status_to) })}
            </p>`
          : nothing}
        ${update.agency_code ? html`<p class="status-detail">${t('report.updateAgency', { agency: names.agency(update.agency_code) })}</p>` : nothing}
        ${update.text ? html`<p class="timeline-text" lang="vi">${update.text}</p>` : nothing}
        ${update.committed_date
          ? html`<p class="status-detail">${t('media.committedValue', { date: formatDate(update.committed_date, locale) })}</p>`
          : nothing}
      </li>`,
    )}
  </ol>`;
}

/** The photos and videos staff published (faces and plates blacked out where needed). */
export function publicMedia(report: PublicReport): TemplateResult | typeof nothing {
  const media = report.media ?? [];
  if (media.length === 0) return nothing;
  return html`<section class="public-media" aria-labelledby="media-${report.tracking_code}">
    <h3 id="media-${report.tracking_code}">${t('media.publicHeading')}</h3>
    <ul class="media-gallery">
      ${media.map(
        (m, i) => html`<li class="media-item" data-media-id=${m.id}>
          ${m.kind === 'photo'
            ? html`<img class="media-thumb-large" src=${m.url} alt=${t('media.publicPhotoAlt', { n: i + 1 })} loading="lazy" />`
            : html`<video class="media-thumb-large" src=${m.url} controls preload="metadata" aria-label=${t('media.publicVideoAlt', { n: i + 1 })}></video>`}
        </li>`,
      )}
    </ul>
  </section>`;
}
