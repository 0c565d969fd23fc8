import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { announce } from '../announcer';
import { describeError } from '../api/errors';
import type { Agency, Report, ReportStatus, ReportUpdate } from '../api/types';
import { deadlineCell, statusBadge } from '../feedback/badges';
import {
  buildTransition,
  nextStatuses,
  transitionNeeds,
  transitionProblem,
  type TransitionInput,
  type TransitionProblem,
} from '../feedback/model';
import { agencyDisplayName, channelLabel, loadAgencies, loadCategories, loadWards, Names, statusLabel, updateKindLabel } from '../feedback/reference';
import { ANSWER_TEMPLATES, type AnswerTemplate } from '../feedback/templates';
import { getLocale, t, type MessageKey } from '../i18n';
import { compareText, formatDate, formatDateTime, formatNumber } from '../i18n/format';
import { href } from '../router';
import { session } from '../session';
import type { Attachment } from '../feedback/media';
import '../feedback/media-gallery';

const PROBLEM_MESSAGES: Record<TransitionProblem, { key: MessageKey; field: string }> = {
  text: { key: 'report.errorText', field: 'action-text' },
  agency: { key: 'report.errorAgency', field: 'action-agency' },
  jurisdiction: { key: 'report.errorWard', field: 'action-ward' },
  duplicateOf: { key: 'report.errorDuplicate', field: 'action-duplicate' },
  duplicateSelf: { key: 'report.errorDuplicateSelf', field: 'action-duplicate' },
};

const TEXT_LABELS: Record<'answer' | 'reason' | 'message', MessageKey> = {
  answer: 'report.textAnswer',
  reason: 'report.textReason',
  message: 'report.textMessage',
};

/**
 * One report for staff: every field, the reporter's contact (personal data),
 * the full history (public and internal entries marked), the moves the
 * lifecycle allows with what each needs, canned answers and internal notes.
 */
export class FeedbackReportPage extends ConsoleElement {
  static override properties = {
    code: {},
    report: { state: true },
    names: { state: true },
    loading: { state: true },
    loadError: { state: true },
    target: { state: true },
    actionError: { state: true },
    invalidField: { state: true },
    actionBusy: { state: true },
    actionText: { state: true },
    wardCode: { state: true },
    agencyCode: { state: true },
    noteError: { state: true },
    noteBusy: { state: true },
    media: { state: true },
    progressMedia: { state: true },
    committedDate: { state: true },
  };

  code = '';
  report: Report | null = null;
  names = new Names();
  loading = true;
  loadError = '';
  target: ReportStatus | '' = '';
  actionError = '';
  invalidField: string | null = null;
  actionBusy = false;
  actionText = '';
  wardCode = '';
  agencyCode = '';
  noteError = '';
  noteBusy = false;
  /** The report's photos and videos (staff view). */
  media: Attachment[] = [];
  /** Files chosen to show with an `in_progress` update. */
  progressMedia: string[] = [];
  /** The date committed to with an `in_progress` update (`YYYY-MM-DD`). */
  committedDate = '';

  override connectedCallback(): void {
    super.connectedCallback();
    void this.loadReference();
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('code')) {
      this.report = null;
      this.resetAction();
      void this.load();
    }
  }

  private async loadReference(): Promise<void> {
    const [categories, wards, agencies] = await Promise.allSettled([loadCategories(), loadWards(), loadAgencies()]);
    this.names = new Names(
      categories.status === 'fulfilled' ? categories.value : [],
      wards.status === 'fulfilled' ? wards.value : [],
      agencies.status === 'fulfilled' ? agencies.value : [],
    );
  }

  private async load(): Promise<void> {
    if (!this.code) return;
    this.loading = true;
    try {
      this.report = await session.api.get<Report>(`/api/feedback/reports/${encodeURIComponent(this.code)}`);
      this.loadError = '';
      await this.loadMedia();
    } catch (error) {
      this.report = null;
      this.loadError = describeError(error);
    } finally {
      this.loading = false;
    }
  }

  private async loadMedia(): Promise<void> {
    if (!this.report) return;
    try {
      const list = await session.api.get<{ items: Attachment[] }>(`/api/feedback/reports/${encodeURIComponent(this.report.id)}/media`);
      this.media = list.items;
    } catch {
      this.media = [];
    }
  }

  private resetAction(): void {
    this.progressMedia = [];
    this.committedDate = '';
    this.target = '';
    this.actionError = '';
    this.invalidField = null;
    this.actionText = '';
    this.wardCode = '';
    this.agencyCode = '';
  }

  private get canHandle(): boolean {
    return session.hasRole('operator', 'staff', 'agency_admin');
  }

  /** The People's Committee of a ward, or the category's default unit. */
  private suggestedAgency(report: Report, wardCode: string): string {
    const fallback = this.names.categoryOf(report.category_code)?.default_agency_code;
    if (fallback) return fallback;
    const committee = this.names.agencies.find((a) => a.kind === 'ward_committee' && a.jurisdiction_code === wardCode);
    return committee?.code ?? '';
  }

  private chooseTarget(value: string, report: Report): void {
    this.target = value as ReportStatus | '';
    this.actionError = '';
    this.invalidField = null;
    this.actionText = '';
    if (this.target === 'forwarded') {
      this.wardCode = report.jurisdiction_code ?? '';
      this.agencyCode = report.agency_code ?? (this.wardCode ? this.suggestedAgency(report, this.wardCode) : '');
    }
  }

  private onWard(value: string, report: Report): void {
    const previousSuggestion = this.wardCode ? this.suggestedAgency(report, this.wardCode) : '';
    this.wardCode = value;
    if (!this.agencyCode || this.agencyCode === previousSuggestion) this.agencyCode = value ? this.suggestedAgency(report, value) : '';
  }

  private async onTransition(event: SubmitEvent, report: Report): Promise<void> {
    event.preventDefault();
    if (this.actionBusy || !this.target) return;
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const input: TransitionInput = {
      text: this.actionText,
      agencyCode: this.agencyCode,
      jurisdictionCode: this.wardCode,
      duplicateOf: String(data.get('duplicate_of') ?? ''),
      public: data.get('public') === 'on',
    };
    const problem = transitionProblem(this.target, input, report);
    if (problem) {
      const { key, field } = PROBLEM_MESSAGES[problem];
      this.actionError = t(key);
      this.invalidField = field;
      void this.updateComplete.then(() => this.querySelector<HTMLElement>(`#${field}`)?.focus());
      return;
    }
    const to = this.target;
    this.actionBusy = true;
    this.actionError = '';
    this.invalidField = null;
    try {
      const progress =
        to === 'in_progress' ? { media: this.progressMedia, ...(this.committedDate ? { committed_date: this.committedDate } : {}) } : {};
      this.report = await session.api.post<Report>(`/api/feedback/reports/${encodeURIComponent(report.id)}/transition`, {
        ...buildTransition(to, input, report),
        ...progress,
      });
      this.resetAction();
      announce(t('report.moved', { status: statusLabel(to) }));
      await this.updateComplete;
      this.querySelector<HTMLElement>('#report-status-heading')?.focus();
    } catch (error) {
      this.actionError = describeError(error);
    } finally {
      this.actionBusy = false;
    }
  }

  private async onNote(event: SubmitEvent, report: Report): Promise<void> {
    event.preventDefault();
    if (this.noteBusy) return;
    const form = event.currentTarget as HTMLFormElement;
    const text = String(new FormData(form).get('note') ?? '').trim();
    if (!text) {
      this.noteError = t('report.errorNote');
      this.querySelector<HTMLElement>('#report-note')?.focus();
      return;
    }
    this.noteBusy = true;
    this.noteError = '';
    try {
      await session.api.post<void>(`/api/feedback/reports/${encodeURIComponent(report.id)}/notes`, { text });
      form.reset();
      announce(t('report.noteAdded'));
      await this.load();
    } catch (error) {
      this.noteError = describeError(error);
    } finally {
      this.noteBusy = false;
    }
  }

  private renderFacts(report: Report): TemplateResult {
    const locale = getLocale();
    const date = (value: string | null) => (value ? html`<time datetime=${value}>${formatDateTime(value, locale)}</time>` : t('common.none'));
    return html`<section class="card" aria-labelledby="report-facts-heading">
      <h2 id="report-facts-heading">${t('report.factsHeading')}</h2>
      <dl class="facts" id="report-facts">
        <dt>${t('report.trackingCode')}</dt>
        <dd><code class="code-value">${report.tracking_code}</code></dd>
        <dt>${t('report.channel')}</dt>
        <dd>${channelLabel(report.channel)}</dd>
        <dt>${t('report.category')}</dt>
        <dd>${this.names.categoryPath(report.category_code)}</dd>
        <dt>${t('report.description')}</dt>
        <dd class="report-description" lang="vi">${report.description}</dd>
        <dt>${t('report.address')}</dt>
        <dd lang="vi">${report.address ?? t('common.none')}</dd>
        <dt>${t('report.coordinates')}</dt>
        <dd>
          ${report.lat !== null && report.lon !== null
            ? t('report.coordinatesValue', { lat: formatNumber(report.lat, locale, 5), lon: formatNumber(report.lon, locale, 5) })
            : t('common.none')}
        </dd>
        <dt>${t('report.ward')}</dt>
        <dd lang="vi">${this.names.ward(report.jurisdiction_code)}</dd>
        <dt>${t('report.agency')}</dt>
        <dd>${this.names.agency(report.agency_code)}</dd>
        <dt>${t('report.receivedAt')}</dt>
        <dd>${date(report.received_at)}</dd>
        <dt>${t('report.forwardedAt')}</dt>
        <dd>${date(report.forwarded_at)}</dd>
        ${report.jurisdiction_due_at && report.status === 'received'
          ? html`<dt>${t('report.jurisdictionDueAt')}</dt>
              <dd>${date(report.jurisdiction_due_at)}</dd>`
          : nothing}
        <dt>${t('report.dueAt')}</dt>
        <dd>${deadlineCell(report)}</dd>
        <dt>${t('report.resolvedAt')}</dt>
        <dd>${date(report.resolved_at)}</dd>
        <dt>${t('report.publicAnswer')}</dt>
        <dd class="public-answer" lang="vi">${report.public_answer ?? t('common.none')}</dd>
        <dt>${t('report.rating')}</dt>
        <dd>
          ${report.rating === null ? t('report.noRating') : t('report.ratingValue', { rating: report.rating })}
          ${report.rating_comment ? html`<span class="status-detail" lang="vi">“${report.rating_comment}”</span>` : nothing}
        </dd>
        ${report.duplicate_of
          ? html`<dt>${t('report.duplicateOf')}</dt>
              <dd><a href=${href(`/feedback/${report.duplicate_of}`)}>${report.duplicate_of}</a></dd>`
          : nothing}
      </dl>
    </section>`;
  }

  private renderReporter(report: Report): TemplateResult {
    const reporter = report.reporter;
    const has = !!reporter && !!(reporter.name || reporter.phone || reporter.email);
    return html`<section class="card personal-data" aria-labelledby="report-reporter-heading">
      <h2 id="report-reporter-heading">${t('report.reporterHeading')}</h2>
      <p class="notice notice-warning personal-notice" role="note">
        <strong>${t('report.personalData')}</strong> ${t('report.personalDataBody')}
      </p>
      ${has
        ? html`<dl class="facts" id="report-reporter">
            <dt>${t('report.reporterName')}</dt>
            <dd>${reporter!.name ?? t('common.none')}</dd>
            <dt>${t('report.reporterPhone')}</dt>
            <dd>${reporter!.phone ? html`<a href="tel:${reporter!.phone}">${reporter!.phone}</a>` : t('common.none')}</dd>
            <dt>${t('report.reporterEmail')}</dt>
            <dd>${reporter!.email ? html`<a href="mailto:${reporter!.email}">${reporter!.email}</a>` : t('common.none')}</dd>
          </dl>`
        : html`<p id="report-reporter">${t('report.noContact')}</p>`}
      <p>${report.anonymous ? t('report.anonymousYes') : t('report.anonymousNo')}</p>
    </section>`;
  }

  private renderUpdate(update: ReportUpdate, index: number): TemplateResult {
    const locale = getLocale();
    return html`<li class="timeline-item ${update.public ? 'is-public' : 'is-internal'}" data-kind=${update.kind} data-index=${index}>
      <div class="timeline-head">
        <time datetime=${update.at}>${formatDateTime(update.at, locale)}</time>
        <span class="timeline-kind">${updateKindLabel(update.kind)}</span>
        <span class="badge ${update.public ? 'badge-public' : 'badge-internal'}">${update.public ? t('report.public') : t('report.internal')}</span>
      </div>
      ${update.status_to
        ? html`<p class="timeline-status">
            ${update.status_from
              ? t('report.statusChange', { from: statusLabel(update.status_from), to: statusLabel(update.status_to) })
              : t('report.statusSet', { to: statusLabel(update.status_to) })}
          </p>`
        : nothing}
      ${update.agency_code && update.kind !== 'note'
        ? html`<p class="status-detail">${t('report.updateAgency', { agency: this.names.agency(update.agency_code) })}</p>`
        : nothing}
      ${update.text ? html`<p class="timeline-text" lang="vi">${update.text}</p>` : nothing}
      ${update.committed_date
        ? html`<p class="status-detail">${t('media.committedValue', { date: formatDate(update.committed_date, locale) })}</p>`
        : nothing}
      ${update.media && update.media.length > 0
        ? html`<ul class="timeline-media">
            ${update.media.map((id) => {
              const item = this.media.find((m) => m.id === id);
              return item?.kind === 'photo'
                ? html`<li><img class="media-thumb" src=${item.url} alt=${t('media.updatePhoto')} loading="lazy" /></li>`
                : html`<li>${t('media.video')}</li>`;
            })}
          </ul>`
        : nothing}
    </li>`;
  }

  private renderHistory(report: Report): TemplateResult {
    const updates = [...report.updates].sort((a, b) => a.at.localeCompare(b.at));
    return html`<section class="card" aria-labelledby="report-history-heading">
      <h2 id="report-history-heading">${t('report.historyHeading')}</h2>
      <p class="hint">${t('report.historyHint')}</p>
      ${updates.length === 0
        ? html`<p>${t('report.historyEmpty')}</p>`
        : html`<ol class="timeline" id="report-history">
            ${updates.map((update, index) => this.renderUpdate(update, index))}
          </ol>`}
    </section>`;
  }

  private renderTemplates(kind: 'answer' | 'reason' | 'forward'): TemplateResult {
    const templates: AnswerTemplate[] = ANSWER_TEMPLATES[kind];
    return html`<div class="field">
      <label for="action-template">${t('report.template')}</label>
      <select
        id="action-template"
        aria-describedby="action-template-hint"
        @change=${(e: Event) => {
          const chosen = templates.find((tpl) => tpl.id === (e.target as HTMLSelectElement).value);
          if (chosen) {
            this.actionText = chosen.text;
            announce(t('report.templateApplied'));
          }
        }}
      >
        <option value="">${t('report.templateNone')}</option>
        ${templates.map((tpl) => html`<option value=${tpl.id}>${t(tpl.label)}</option>`)}
      </select>
      <p class="hint" id="action-template-hint">${t('report.templateHint')}</p>
    </div>`;
  }

  private renderActionFields(report: Report, to: ReportStatus): TemplateResult {
    const locale = getLocale();
    const needs = transitionNeeds(to, report);
    const templateKind = to === 'resolved' ? 'answer' : to === 'rejected' ? 'reason' : to === 'forwarded' ? 'forward' : null;
    const agencies: Agency[] = [...this.names.agencies].sort((a, b) =>
      compareText(agencyDisplayName(a, locale), agencyDisplayName(b, locale), locale),
    );
    return html`
      ${needs.jurisdiction !== 'none'
        ? html`<div class="field">
            <label for="action-ward"
              >${t('report.forwardWard')}
              <span class=${needs.jurisdiction === 'required' ? 'required' : 'optional'}
                >${needs.jurisdiction === 'required' ? t('common.required') : t('common.optional')}</span
              ></label
            >
            <select
              id="action-ward"
              aria-invalid=${this.invalidField === 'action-ward' ? 'true' : 'false'}
              @change=${(e: Event) => this.onWard((e.target as HTMLSelectElement).value, report)}
            >
              <option value="">${t('users.chooseOne')}</option>
              ${this.names.wards.map((w) => html`<option value=${w.code} ?selected=${w.code === this.wardCode} lang="vi">${w.name}</option>`)}
            </select>
          </div>`
        : nothing}
      ${needs.agency
        ? html`<div class="field">
            <label for="action-agency">${t('report.forwardAgency')} <span class="required">${t('common.required')}</span></label>
            <select
              id="action-agency"
              aria-invalid=${this.invalidField === 'action-agency' ? 'true' : 'false'}
              aria-describedby="action-agency-hint"
              @change=${(e: Event) => (this.agencyCode = (e.target as HTMLSelectElement).value)}
            >
              <option value="">${t('users.chooseOne')}</option>
              ${agencies.map(
                (a) => html`<option value=${a.code} ?selected=${a.code === this.agencyCode}>${agencyDisplayName(a, locale)}</option>`,
              )}
            </select>
            <p class="hint" id="action-agency-hint">${t('report.forwardAgencyHint')}</p>
          </div>`
        : nothing}
      ${needs.duplicateOf
        ? html`<div class="field">
            <label for="action-duplicate">${t('report.duplicateOfLabel')} <span class="required">${t('common.required')}</span></label>
            <input
              id="action-duplicate"
              name="duplicate_of"
              type="text"
              autocomplete="off"
              autocapitalize="characters"
              spellcheck="false"
              aria-describedby="action-duplicate-hint"
              aria-invalid=${this.invalidField === 'action-duplicate' ? 'true' : 'false'}
            />
            <p class="hint" id="action-duplicate-hint">${t('report.duplicateOfHint')}</p>
          </div>`
        : nothing}
      ${templateKind ? this.renderTemplates(templateKind) : nothing}
      <div class="field">
        <label for="action-text"
          >${t(TEXT_LABELS[needs.text])}
          <span class=${needs.textRequired ? 'required' : 'optional'}>${needs.textRequired ? t('common.required') : t('common.optional')}</span></label
        >
        <textarea
          id="action-text"
          rows="4"
          lang="vi"
          aria-describedby="action-text-hint"
          aria-invalid=${this.invalidField === 'action-text' ? 'true' : 'false'}
          .value=${this.actionText}
          @input=${(e: Event) => (this.actionText = (e.target as HTMLTextAreaElement).value)}
        ></textarea>
        <p class="hint" id="action-text-hint">
          ${to === 'escalated' ? t('report.textHintEscalated') : needs.text === 'message' ? t('report.textHintMessage') : t('report.textHintPublic')}
        </p>
      </div>
      ${to === 'in_progress' ? this.renderProgressFields() : nothing}
      ${needs.publicToggle
        ? html`<div class="field checkbox-field">
            <input type="checkbox" id="action-public" name="public" />
            <label for="action-public">${t('report.makePublic')}</label>
          </div>`
        : nothing}
    `;
  }

  /** A progress update's committed date and photos (published ones are shown to the citizen). */
  private renderProgressFields(): TemplateResult {
    return html`<div class="field">
        <label for="action-committed">${t('media.committedDate')} <span class="optional">${t('common.optional')}</span></label>
        <input
          id="action-committed"
          type="date"
          aria-describedby="action-committed-hint"
          .value=${this.committedDate}
          @change=${(e: Event) => (this.committedDate = (e.target as HTMLInputElement).value)}
        />
        <p class="hint" id="action-committed-hint">${t('media.committedHint')}</p>
      </div>
      ${this.media.length > 0
        ? html`<fieldset class="fieldset">
            <legend>${t('media.progressLegend')}</legend>
            <p class="hint">${t('media.progressHint')}</p>
            ${this.media.map(
              (m, i) => html`<div class="field checkbox-field">
                <input
                  type="checkbox"
                  id="action-media-${i}"
                  .checked=${this.progressMedia.includes(m.id)}
                  @change=${(e: Event) => {
                    const on = (e.target as HTMLInputElement).checked;
                    this.progressMedia = on ? [...this.progressMedia, m.id] : this.progressMedia.filter((x) => x !== m.id);
                  }}
                />
                <label for="action-media-${i}"
                  >${t(m.kind === 'photo' ? 'media.photo' : 'media.video')} ${i + 1} ·
                  ${m.visibility === 'public' ? t('report.public') : t('report.internal')}</label
                >
              </div>`,
            )}
          </fieldset>`
        : nothing}`;
  }

  private renderActions(report: Report): TemplateResult {
    if (!this.canHandle) {
      return html`<section class="card" aria-labelledby="report-actions-heading">
        <h2 id="report-actions-heading">${t('report.actionsHeading')}</h2>
        <p>${t('report.readOnly')}</p>
      </section>`;
    }
    const options = nextStatuses(report.status, { operator: session.hasRole('operator') });
    return html`<section class="card action-panel" aria-labelledby="report-actions-heading">
      <h2 id="report-actions-heading">${t('report.actionsHeading')}</h2>
      ${options.length === 0
        ? html`<p id="report-no-actions">${report.status === 'resolved' ? t('report.waitingCitizen') : t('report.final')}</p>`
        : html`<form class="form" id="report-action-form" novalidate @submit=${(e: SubmitEvent) => void this.onTransition(e, report)}>
            <div class="field">
              <label for="action-status">${t('report.nextStatus')}</label>
              <select id="action-status" name="status" @change=${(e: Event) => this.chooseTarget((e.target as HTMLSelectElement).value, report)}>
                <option value="" ?selected=${this.target === ''}>${t('users.chooseOne')}</option>
                ${options.map(
                  (status) => html`<option value=${status} ?selected=${status === this.target}>
                    ${status === report.status ? t('report.reassign') : t(`action.${status}` as MessageKey)}
                  </option>`,
                )}
              </select>
            </div>
            ${this.target ? this.renderActionFields(report, this.target) : nothing}
            <div class="form-error" id="report-action-error" role="alert" aria-live="assertive">${this.actionError}</div>
            <div class="form-actions">
              <button type="submit" class="button" data-action="transition" ?disabled=${!this.target || this.actionBusy}>
                ${this.actionBusy ? t('common.saving') : t('report.apply')}
              </button>
            </div>
          </form>`}
      <h3>${t('report.noteHeading')}</h3>
      <form class="form" id="report-note-form" novalidate @submit=${(e: SubmitEvent) => void this.onNote(e, report)}>
        <div class="field">
          <label for="report-note">${t('report.note')}</label>
          <textarea id="report-note" name="note" rows="3" aria-describedby="report-note-hint"></textarea>
          <p class="hint" id="report-note-hint">${t('report.noteHint')}</p>
        </div>
        <div class="form-error" role="alert" aria-live="assertive">${this.noteError}</div>
        <div class="form-actions">
          <button type="submit" class="button button-secondary" ?disabled=${this.noteBusy}>${t('report.addNote')}</button>
        </div>
      </form>
    </section>`;
  }

  override render(): TemplateResult {
    const report = this.report;
    return html`<div class="page page-wide report-page">
      <p class="back-link"><a href=${href('/feedback')}>← ${t('report.back')}</a></p>
      <h1 tabindex="-1">${t('report.heading', { code: this.code })}</h1>
      ${this.loading && !report ? html`<p role="status">${t('common.loading')}</p>` : nothing}
      ${this.loadError ? html`<p class="form-error" role="alert">${this.loadError}</p>` : nothing}
      ${report
        ? html`<div class="report-status-bar">
              <h2 id="report-status-heading" tabindex="-1" class="status-bar-heading">${t('report.statusNow')}</h2>
              ${statusBadge(report.status)} ${deadlineCell(report)}
              <span class="status-detail">${this.names.category(report.category_code)} · ${this.names.ward(report.jurisdiction_code)}</span>
            </div>
            <div class="report-grid">
              <div>
                ${this.renderFacts(report)}
                <cityos-media-gallery
                  .reportId=${report.id}
                  .items=${this.media}
                  ?canHandle=${this.canHandle}
                  @media-changed=${() => void this.load()}
                ></cityos-media-gallery>
                ${this.renderHistory(report)}
              </div>
              <div>${this.renderActions(report)} ${this.renderReporter(report)}</div>
            </div>`
        : nothing}
    </div>`;
  }
}

customElements.define('cityos-feedback-report-page', FeedbackReportPage);
