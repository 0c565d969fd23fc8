import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { ConsoleElement, uniqueId } from '../components/base';
import { announce } from '../announcer';
import { describeError } from '../api/errors';
import { getLocale, t, type MessageKey } from '../i18n';
import { formatDateTime, formatNumber } from '../i18n/format';
import { pager } from '../components/list-frame';
import { href } from '../router';
import { session } from '../session';
import { loadOrganizations } from './api';
import { defaultPeriod, isoDayText, refusalProblem, requestActions, requestProblem } from './model';
import { DataNames, datasetTitle, levelLabel } from './names';
import type { AccessLog, AccessRequest, AccessStatus, NewAccessRequest, PersonalField } from './types';

const STATUS_KEYS: Record<AccessStatus, MessageKey> = {
  requested: 'datahub.statusRequested',
  approved: 'datahub.statusApproved',
  refused: 'datahub.statusRefused',
  withdrawn: 'datahub.statusWithdrawn',
  expired: 'datahub.statusExpired',
  revoked: 'datahub.statusRevoked',
};

export function statusLabel(status: AccessStatus): string {
  return t(STATUS_KEYS[status] ?? 'datahub.statusRequested');
}

/** Agency names for the console's sharing views (public list, read once). */
let namesPromise: Promise<DataNames> | null = null;
export function loadAgencyNames(): Promise<DataNames> {
  if (!namesPromise) {
    namesPromise = loadOrganizations()
      .then((orgs) => new DataNames(undefined, orgs))
      .catch(() => {
        namesPromise = null;
        return new DataNames();
      });
  }
  return namesPromise;
}

type Step = 'approve' | 'refuse' | 'revoke' | 'withdraw';

/**
 * One access request: who asks for which dataset, why and for how long, and
 * the steps the viewer may take — the owner approves (conditions, period,
 * personal fields among those asked for) or refuses with a written reason
 * and its legal basis; the requester withdraws. The server decides who may;
 * the form only asks what each step needs.
 */
export class AccessRequestCard extends ConsoleElement {
  static override properties = {
    request: { attribute: false },
    side: {},
    names: { attribute: false },
    showDataset: { type: Boolean },
    step: { state: true },
    error: { state: true },
    busy: { state: true },
  };

  request: AccessRequest | null = null;
  side: 'owner' | 'requester' = 'owner';
  names = new DataNames();
  showDataset = true;
  step: Step | null = null;
  error = '';
  busy = false;
  private readonly uid = uniqueId('access');

  private open(step: Step): void {
    this.step = step;
    this.error = '';
    void this.updateComplete.then(() => this.querySelector<HTMLElement>(`#${this.uid}-${step} textarea, #${this.uid}-${step} input, #${this.uid}-${step} button`)?.focus());
  }

  private async submit(event: SubmitEvent, step: Step): Promise<void> {
    event.preventDefault();
    const r = this.request;
    if (!r || this.busy) return;
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    let body: unknown;
    if (step === 'approve') {
      body = {
        conditions: text('conditions'),
        period_from: text('period_from') || null,
        period_to: text('period_to') || null,
        personal_columns: data.getAll('personal_columns').map(String),
      };
    } else if (step === 'refuse' || step === 'revoke') {
      const problem = refusalProblem(text('reason'), text('legal_basis'));
      if (problem) {
        this.error = t(problem === 'reason' ? 'datahub.refuseNeedsReason' : 'datahub.refuseNeedsBasis');
        this.querySelector<HTMLElement>(`#${this.uid}-${step}-${problem === 'reason' ? 'reason' : 'basis'}`)?.focus();
        return;
      }
      body = { reason: text('reason'), legal_basis: text('legal_basis') };
    }
    this.busy = true;
    try {
      const updated = await session.api.post<AccessRequest>(`/api/datahub/access-requests/${encodeURIComponent(r.id)}/${step}`, body);
      this.request = updated;
      this.step = null;
      this.error = '';
      announce(t('datahub.stepDone', { status: statusLabel(updated.status) }));
      this.dispatchEvent(new CustomEvent<AccessRequest>('request-changed', { detail: updated, bubbles: true }));
    } catch (error) {
      this.error = describeError(error);
    } finally {
      this.busy = false;
    }
  }

  private renderStepForm(r: AccessRequest, step: Step): TemplateResult {
    const id = `${this.uid}-${step}`;
    const cancel = html`<button type="button" class="button button-secondary" @click=${() => (this.step = null)}>${t('common.cancel')}</button>`;
    const errorRegion = html`<div class="form-error" role="alert" aria-live="assertive">${this.error}</div>`;
    if (step === 'approve') {
      return html`<form id=${id} class="form datahub-decision" novalidate @submit=${(e: SubmitEvent) => void this.submit(e, 'approve')}>
        <div class="field">
          <label for="${id}-conditions">${t('datahub.conditions')} <span class="optional">${t('common.optional')}</span></label>
          <textarea id="${id}-conditions" name="conditions" rows="3" aria-describedby="${id}-conditions-hint"></textarea>
          <p class="hint" id="${id}-conditions-hint">${t('datahub.conditionsHint')}</p>
        </div>
        <div class="datahub-form-grid">
          <div class="field">
            <label for="${id}-from">${t('datahub.periodFrom')}</label>
            <input id="${id}-from" name="period_from" type="date" .value=${r.period_from} min=${r.period_from} max=${r.period_to} />
          </div>
          <div class="field">
            <label for="${id}-to">${t('datahub.periodTo')}</label>
            <input id="${id}-to" name="period_to" type="date" .value=${r.period_to} min=${r.period_from} max=${r.period_to} />
          </div>
        </div>
        ${r.personal_columns_requested.length > 0
          ? html`<fieldset class="fieldset">
              <legend>${t('datahub.approveColumns')}</legend>
              <p class="hint">${t('datahub.approveColumnsHint')}</p>
              ${r.personal_columns_requested.map(
                (c, i) => html`<div class="checkbox-field">
                  <input type="checkbox" id="${id}-col-${i}" name="personal_columns" value=${c} />
                  <label for="${id}-col-${i}" lang="vi">${c}</label>
                </div>`,
              )}
            </fieldset>`
          : nothing}
        ${errorRegion}
        <div class="form-actions">
          <button type="submit" class="button" ?disabled=${this.busy} data-action="confirm-approve">${t('datahub.approveConfirm')}</button>
          ${cancel}
        </div>
      </form>`;
    }
    if (step === 'withdraw') {
      return html`<form id=${id} class="form datahub-decision" novalidate @submit=${(e: SubmitEvent) => void this.submit(e, 'withdraw')}>
        <p>${t('datahub.withdrawConfirmText')}</p>
        ${errorRegion}
        <div class="form-actions">
          <button type="submit" class="button button-danger" ?disabled=${this.busy} data-action="confirm-withdraw">${t('datahub.withdraw')}</button>
          ${cancel}
        </div>
      </form>`;
    }
    const revoke = step === 'revoke';
    return html`<form id=${id} class="form datahub-decision" novalidate @submit=${(e: SubmitEvent) => void this.submit(e, step)}>
      <p class="hint">${t(revoke ? 'datahub.revokeIntro' : 'datahub.refuseIntro')}</p>
      <div class="field">
        <label for="${id}-reason">${t('datahub.refuseReason')} <span class="optional">${t('common.required')}</span></label>
        <textarea id="${id}-reason" name="reason" rows="3" required aria-required="true"></textarea>
      </div>
      <div class="field">
        <label for="${id}-basis">${t('datahub.refuseBasis')} <span class="optional">${t('common.required')}</span></label>
        <input id="${id}-basis" name="legal_basis" type="text" required aria-required="true" aria-describedby="${id}-basis-hint" />
        <p class="hint" id="${id}-basis-hint">${t('datahub.refuseBasisHint')}</p>
      </div>
      ${errorRegion}
      <div class="form-actions">
        <button type="submit" class="button button-danger" ?disabled=${this.busy} data-action=${revoke ? 'confirm-revoke' : 'confirm-refuse'}>
          ${t(revoke ? 'datahub.revokeConfirm' : 'datahub.refuseConfirm')}
        </button>
        ${cancel}
      </div>
    </form>`;
  }

  override render(): TemplateResult | typeof nothing {
    const r = this.request;
    if (!r) return nothing;
    const locale = getLocale();
    const title = datasetTitle({ title_vi: r.dataset_title_vi, title_en: r.dataset_title_en }, locale);
    const actions = requestActions(r, this.side);
    const stepLabels: Record<Step, MessageKey> = {
      approve: 'datahub.approve',
      refuse: 'datahub.refuse',
      revoke: 'datahub.revoke',
      withdraw: 'datahub.withdraw',
    };
    const none = t('common.none');
    return html`<article class="card datahub-request" data-request=${r.id} data-status=${r.status} aria-labelledby="${this.uid}-title">
      <h3 id="${this.uid}-title">
        ${this.showDataset
          ? html`<a href=${href(`/datahub/datasets/${r.dataset_name}`)} lang=${title.lang}>${title.text}</a> —`
          : nothing}
        ${this.side === 'owner'
          ? t('datahub.requestFrom', { agency: this.names.agency(r.requesting_agency, locale) })
          : t('datahub.requestTo', { agency: this.names.agency(r.owner_agency, locale) })}
      </h3>
      <dl class="facts">
        <dt>${t('datahub.requestStatus')}</dt>
        <dd>
          <span class="datahub-status" data-status-label>${statusLabel(r.status)}</span>
          ${r.auto_approved ? html` (${t('datahub.autoApproved')})` : nothing}
          ${r.status === 'approved' && !r.active ? html` (${t('datahub.notYetActive')})` : nothing}
        </dd>
        <dt>${t('datahub.requestLevel')}</dt>
        <dd><span class="datahub-level datahub-level-${r.sharing_level}">${levelLabel(r.sharing_level)}</span></dd>
        <dt>${t('datahub.requestBy')}</dt>
        <dd>${r.requested_by_name || none}${r.contact_email ? html` — <a href="mailto:${r.contact_email}">${r.contact_email}</a>` : nothing}</dd>
        <dt>${t('datahub.purpose')}</dt>
        <dd lang="vi">${r.purpose}</dd>
        <dt>${t('datahub.legalBasis')}</dt>
        <dd lang="vi">${r.legal_basis || none}</dd>
        <dt>${t('datahub.periodAsked')}</dt>
        <dd>${t('datahub.periodRange', { from: isoDayText(r.period_from), to: isoDayText(r.period_to) })}</dd>
        <dt>${t('datahub.columnsAsked')}</dt>
        <dd lang="vi">${r.personal_columns_requested.length ? r.personal_columns_requested.join(', ') : none}</dd>
        <dt>${t('datahub.requestedAt')}</dt>
        <dd><time datetime=${r.created_at}>${formatDateTime(r.created_at, locale)}</time></dd>
        ${r.status === 'approved' || r.status === 'expired' || r.status === 'revoked'
          ? html`<dt>${t('datahub.periodApproved')}</dt>
              <dd>${r.approved_from && r.approved_to ? t('datahub.periodRange', { from: isoDayText(r.approved_from), to: isoDayText(r.approved_to) }) : none}</dd>
              <dt>${t('datahub.columnsApproved')}</dt>
              <dd lang="vi">${r.approved_columns.length ? r.approved_columns.join(', ') : none}</dd>
              <dt>${t('datahub.conditions')}</dt>
              <dd lang="vi">${r.conditions || none}</dd>`
          : nothing}
        ${r.refusal_reason
          ? html`<dt>${t('datahub.refuseReason')}</dt>
              <dd lang="vi" data-refusal>${r.refusal_reason}</dd>
              <dt>${t('datahub.refuseBasis')}</dt>
              <dd lang="vi">${r.refusal_legal_basis || none}</dd>`
          : nothing}
        ${r.decided_at
          ? html`<dt>${t('datahub.decidedAt')}</dt>
              <dd><time datetime=${r.decided_at}>${formatDateTime(r.decided_at, locale)}</time>${r.decided_by_name ? ` — ${r.decided_by_name}` : ''}</dd>`
          : nothing}
      </dl>
      ${actions.length > 0 && this.step === null
        ? html`<div class="form-actions">
            ${actions.map(
              (a) => html`<button
                type="button"
                class="button ${a === 'approve' ? '' : a === 'refuse' || a === 'revoke' ? 'button-danger' : 'button-secondary'}"
                data-action=${a}
                @click=${() => this.open(a)}
              >
                ${t(stepLabels[a])}
              </button>`,
            )}
          </div>`
        : nothing}
      ${this.step ? this.renderStepForm(r, this.step) : nothing}
    </article>`;
  }
}

customElements.define('cityos-datahub-request', AccessRequestCard);

/**
 * The request form of an agency that wants to read another agency's dataset:
 * purpose (required), legal basis, period, the personal fields needed, and
 * where to be told the decision.
 */
export class AccessRequestForm extends ConsoleElement {
  static override properties = {
    datasetName: {},
    personalFields: { attribute: false },
    error: { state: true },
    busy: { state: true },
  };

  datasetName = '';
  personalFields: PersonalField[] = [];
  error = '';
  busy = false;
  private readonly uid = uniqueId('request');

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (this.busy) return;
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    const problem = requestProblem(text('purpose'), text('period_to'));
    if (problem) {
      this.error = t(problem === 'purpose' ? 'datahub.requestNeedsPurpose' : 'datahub.requestNeedsPeriod');
      this.querySelector<HTMLElement>(`#${this.uid}-${problem === 'purpose' ? 'purpose' : 'to'}`)?.focus();
      return;
    }
    const body: NewAccessRequest = {
      purpose: text('purpose'),
      legal_basis: text('legal_basis'),
      period_from: text('period_from') || null,
      period_to: text('period_to') || null,
      personal_columns: data.getAll('personal_columns').map(String),
      contact_email: text('contact_email'),
    };
    this.busy = true;
    try {
      const created = await session.api.post<AccessRequest>(`/api/datahub/datasets/${encodeURIComponent(this.datasetName)}/access-requests`, body);
      this.error = '';
      form.reset();
      announce(t('datahub.requestSent', { status: statusLabel(created.status) }));
      this.dispatchEvent(new CustomEvent<AccessRequest>('request-changed', { detail: created, bubbles: true }));
    } catch (error) {
      this.error = describeError(error);
    } finally {
      this.busy = false;
    }
  }

  override render(): TemplateResult {
    const id = this.uid;
    const period = defaultPeriod(new Date());
    const columns = [...new Set(this.personalFields.map((f) => f.name))];
    return html`<form class="form" novalidate @submit=${(e: SubmitEvent) => void this.submit(e)} aria-labelledby="${id}-heading">
      <h3 id="${id}-heading">${t('datahub.requestHeading')}</h3>
      <p class="hint">${t('datahub.requestIntro')}</p>
      <div class="field">
        <label for="${id}-purpose">${t('datahub.purpose')} <span class="optional">${t('common.required')}</span></label>
        <textarea id="${id}-purpose" name="purpose" rows="3" required aria-required="true"></textarea>
      </div>
      <div class="field">
        <label for="${id}-basis">${t('datahub.legalBasis')} <span class="optional">${t('common.optional')}</span></label>
        <input id="${id}-basis" name="legal_basis" type="text" />
      </div>
      <div class="datahub-form-grid">
        <div class="field">
          <label for="${id}-from">${t('datahub.periodFrom')}</label>
          <input id="${id}-from" name="period_from" type="date" .value=${period.from} />
        </div>
        <div class="field">
          <label for="${id}-to">${t('datahub.periodTo')} <span class="optional">${t('common.required')}</span></label>
          <input id="${id}-to" name="period_to" type="date" .value=${period.to} required aria-required="true" />
        </div>
      </div>
      ${columns.length > 0
        ? html`<fieldset class="fieldset">
            <legend>${t('datahub.requestColumns')}</legend>
            <p class="hint">${t('datahub.requestColumnsHint')}</p>
            ${columns.map(
              (c, i) => html`<div class="checkbox-field">
                <input type="checkbox" id="${id}-col-${i}" name="personal_columns" value=${c} />
                <label for="${id}-col-${i}" lang="vi">${c}</label>
              </div>`,
            )}
          </fieldset>`
        : nothing}
      <div class="field">
        <label for="${id}-email">${t('datahub.contactEmail')} <span class="optional">${t('common.optional')}</span></label>
        <input id="${id}-email" name="contact_email" type="email" autocomplete="email" />
      </div>
      <div class="form-error" role="alert" aria-live="assertive">${this.error}</div>
      <div class="form-actions">
        <button type="submit" class="button" ?disabled=${this.busy} data-action="send-request">${t('datahub.requestSend')}</button>
      </div>
    </form>`;
  }
}

customElements.define('cityos-datahub-request-form', AccessRequestForm);

const LOG_PER_PAGE = 25;

/** Who read a dataset (other agencies' reads and refusals, from the audit log), with purpose and rows. */
export class AccessLogTable extends ConsoleElement {
  static override properties = {
    datasetName: {},
    names: { attribute: false },
    log: { state: true },
    page: { state: true },
    loading: { state: true },
    error: { state: true },
  };

  datasetName = '';
  names = new DataNames();
  log: AccessLog | null = null;
  page = 1;
  loading = false;
  error = '';
  private readonly uid = uniqueId('accesslog');

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    if (changed.has('datasetName')) {
      this.page = 1;
      this.log = null;
      if (this.datasetName) void this.load();
    }
  }

  private async load(): Promise<void> {
    const dataset = this.datasetName;
    this.loading = true;
    try {
      const log = await session.api.get<AccessLog>(`/api/datahub/datasets/${encodeURIComponent(dataset)}/access-log`, {
        query: { page: this.page, per_page: LOG_PER_PAGE },
      });
      if (dataset !== this.datasetName) return;
      this.log = log;
      this.error = '';
    } catch (error) {
      this.log = null;
      this.error = describeError(error);
    } finally {
      this.loading = false;
    }
  }

  override render(): TemplateResult {
    const locale = getLocale();
    const log = this.log;
    const none = t('common.none');
    const pages = Math.max(1, Math.ceil((log?.total ?? 0) / LOG_PER_PAGE));
    return html`<div class="form-error" role="alert">${this.error}</div>
      ${this.loading ? html`<p role="status">${t('common.loading')}</p>` : nothing}
      ${log
        ? html`<p class="result-count" data-total=${log.total}>${t('common.totalItems', { count: formatNumber(log.total, locale) })}</p>
            <div class="table-scroll">
              <table class="data-table datahub-table" id="${this.uid}-table" data-access-log>
                <caption class="visually-hidden">${t('datahub.logCaption', { name: log.dataset_name })}</caption>
                <thead>
                  <tr>
                    <th scope="col">${t('datahub.logAt')}</th>
                    <th scope="col">${t('datahub.logWho')}</th>
                    <th scope="col">${t('datahub.logAgency')}</th>
                    <th scope="col">${t('datahub.logResource')}</th>
                    <th scope="col">${t('datahub.logOutcome')}</th>
                    <th scope="col">${t('datahub.logPurpose')}</th>
                    <th scope="col" class="num">${t('datahub.logRows')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${log.items.length === 0
                    ? html`<tr>
                        <td colspan="7">${t('datahub.logEmpty')}</td>
                      </tr>`
                    : nothing}
                  ${log.items.map(
                    (e) => html`<tr data-seq=${e.seq} data-outcome=${e.outcome}>
                      <td><time datetime=${e.at}>${formatDateTime(e.at, locale)}</time></td>
                      <td>${e.username ?? e.actor}</td>
                      <td>${e.agency ? this.names.agency(e.agency, locale) : none}</td>
                      <td lang="vi">${e.resource_name ?? e.resource_id ?? none}</td>
                      <td>${e.outcome === 'success' ? t('datahub.logSuccess') : e.outcome === 'denied' ? t('datahub.logDenied') : e.outcome}</td>
                      <td lang="vi">${e.purpose ?? none}</td>
                      <td class="num">${e.row_count === null ? none : formatNumber(e.row_count, locale)}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            ${pages > 1
              ? pager({
                  label: t('datahub.logPagination'),
                  page: this.page,
                  pages,
                  loading: this.loading,
                  go: (page) => {
                    this.page = page;
                    void this.load();
                  },
                })
              : nothing}`
        : nothing}`;
  }
}

customElements.define('cityos-datahub-access-log', AccessLogTable);
