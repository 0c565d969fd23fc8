import { html, nothing, type TemplateResult } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { ConsoleElement, uniqueId } from '../components/base';
import { announce } from '../announcer';
import { ApiError } from '../api/client';
import { describeError } from '../api/errors';
import { statusBadge } from '../feedback/badges';
import {
  actionFor,
  CALL_STATE_LABEL,
  nationalNumber,
  type CallDetail,
  type CallSignal,
  type CallView,
  type EarlierReport,
  type ExtensionRegistration,
} from '../feedback/calls';
import { loadCategories, Names } from '../feedback/reference';
import type { ReportFiledDetail } from '../feedback/report-form';
import '../feedback/report-form';
import { getLocale, t } from '../i18n';
import { formatDateTime } from '../i18n/format';
import { href, navigate } from '../router';
import { session } from '../session';

const EXTENSION = /^[A-Za-z0-9*#+._-]{1,32}$/;

type StreamState = 'connecting' | 'live' | 'lost';

/**
 * "Tạo phản ánh qua điện thoại": the call centre files what a caller says
 * (their number, their words, an address or a point on the map). The server
 * records the channel as `phone`; the new report opens for handling.
 *
 * Screen-pop: the operator registers the extension they sit at; the page
 * listens to their call stream, and when a call rings there it announces it,
 * opens a fresh form with the caller's number filled in and lists that
 * number's earlier reports, follows the call as it is answered and ends, and
 * links the report filed during it. A report can be filed without a call.
 */
export class FeedbackPhonePage extends ConsoleElement {
  static override properties = {
    registration: { state: true },
    extensionError: { state: true },
    extensionTaken: { state: true },
    extensionBusy: { state: true },
    streamState: { state: true },
    call: { state: true },
    earlier: { state: true },
    callError: { state: true },
    callerPhone: { state: true },
    formKey: { state: true },
    recent: { state: true },
    names: { state: true },
  };

  registration: ExtensionRegistration | null = null;
  extensionError = '';
  extensionTaken = false;
  extensionBusy = false;
  streamState: StreamState = 'connecting';
  call: CallView | null = null;
  earlier: EarlierReport[] = [];
  callError = '';
  callerPhone = '';
  formKey = 'blank-0';
  recent: CallView[] = [];
  names = new Names();

  private readonly uid = uniqueId('phone');
  private source: EventSource | null = null;
  private blankForms = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    if (!session.hasRole('operator', 'admin')) return;
    void this.loadExtension();
    void this.loadRecent();
    void loadCategories()
      .then((categories) => (this.names = new Names(categories, [])))
      .catch(() => undefined);
    this.listen();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.source?.close();
    this.source = null;
  }

  private listen(): void {
    if (typeof EventSource === 'undefined') return;
    const source = new EventSource('/api/feedback/calls/stream');
    this.source = source;
    this.streamState = 'connecting';
    source.onopen = () => (this.streamState = 'live');
    // The browser reconnects by itself; a closed stream (signed out) stays closed.
    source.onerror = () => (this.streamState = source.readyState === EventSource.CLOSED ? 'lost' : 'connecting');
    source.addEventListener('call', (event) => {
      try {
        void this.onSignal(JSON.parse((event as MessageEvent<string>).data) as CallSignal);
      } catch {
        // A malformed event is not a call.
      }
    });
  }

  private async loadExtension(): Promise<void> {
    try {
      this.registration = await session.api.get<ExtensionRegistration>('/api/feedback/calls/extension');
    } catch (error) {
      this.extensionError = describeError(error);
    }
  }

  private async loadRecent(): Promise<void> {
    try {
      this.recent = (await session.api.get<{ items: CallView[] }>('/api/feedback/calls', { query: { mine: true } })).items.slice(0, 10);
    } catch {
      // The history is a convenience; the page works without it.
    }
  }

  private async saveExtension(event: SubmitEvent, takeOver = false): Promise<void> {
    event.preventDefault();
    const input = this.querySelector<HTMLInputElement>(`#${this.uid}-extension`);
    const extension = (input?.value ?? '').trim();
    this.extensionTaken = false;
    if (!EXTENSION.test(extension)) {
      this.extensionError = t('calls.extensionInvalid');
      input?.focus();
      return;
    }
    this.extensionBusy = true;
    this.extensionError = '';
    try {
      this.registration = await session.api.request<ExtensionRegistration>('PUT', '/api/feedback/calls/extension', {
        extension,
        take_over: takeOver,
      });
      announce(t('calls.extensionSaved', { extension }));
    } catch (error) {
      if (error instanceof ApiError && error.code === 'extension_taken') {
        this.extensionTaken = true;
        this.extensionError = t('calls.extensionTaken');
      } else {
        this.extensionError = describeError(error);
      }
    } finally {
      this.extensionBusy = false;
    }
  }

  private async releaseExtension(): Promise<void> {
    this.extensionBusy = true;
    try {
      await session.api.delete('/api/feedback/calls/extension');
      this.registration = { extension: null, registered_at: null, expires_at: null };
      this.extensionTaken = false;
      this.extensionError = '';
      announce(t('calls.extensionReleased'));
    } catch (error) {
      this.extensionError = describeError(error);
    } finally {
      this.extensionBusy = false;
    }
  }

  private async onSignal(signal: CallSignal): Promise<void> {
    const action = actionFor(signal, this.call);
    if (action === 'ignore') return;
    if (action === 'update' && this.call) {
      const before = this.call.state;
      this.call = { ...this.call, state: signal.state, answered_at: signal.answered_at, ended_at: signal.ended_at, report: signal.report };
      if (!signal.mine && signal.state === 'answered') announce(t('calls.takenElsewhere'));
      else if (before !== signal.state) announce(t('calls.stateChanged', { state: t(CALL_STATE_LABEL[signal.state]) }));
      return;
    }
    // A new call: show it at once, then fill in the number and the earlier reports.
    this.call = {
      id: signal.id,
      call_id: signal.call_id,
      state: signal.state,
      caller: null,
      called: null,
      extension: signal.extension,
      operator_user_id: null,
      ringing_at: signal.ringing_at,
      answered_at: signal.answered_at,
      ended_at: signal.ended_at,
      received_at: signal.ringing_at ?? signal.answered_at ?? '',
      report: signal.report,
    };
    this.earlier = [];
    this.callError = '';
    this.callerPhone = '';
    this.formKey = `call-${signal.id}`;
    try {
      const detail = await session.api.get<CallDetail>(`/api/feedback/calls/${encodeURIComponent(signal.id)}`);
      if (this.call?.id !== signal.id) return;
      const state = this.call.state;
      this.call = { ...detail.call, state, answered_at: this.call.answered_at ?? detail.call.answered_at, ended_at: this.call.ended_at ?? detail.call.ended_at };
      this.earlier = detail.earlier_reports;
      this.callerPhone = detail.call.caller ? nationalNumber(detail.call.caller) : '';
      announce(t('calls.incoming', { number: this.callerLabel(detail.call), extension: detail.call.extension }));
      void this.loadRecent();
    } catch (error) {
      this.callError = describeError(error);
    }
  }

  private callerLabel(call: CallView): string {
    return call.caller ? nationalNumber(call.caller) : t('calls.withheld');
  }

  private dismissCall(): void {
    this.call = null;
    this.earlier = [];
    this.callError = '';
    this.callerPhone = '';
    this.blankForms += 1;
    this.formKey = `blank-${this.blankForms}`;
  }

  private async onFiled(event: CustomEvent<ReportFiledDetail>): Promise<void> {
    const code = event.detail.trackingCode;
    const call = this.call;
    if (call && !call.report) {
      try {
        await session.api.request('PUT', `/api/feedback/calls/${encodeURIComponent(call.id)}/report`, { report: code });
      } catch (error) {
        this.callError = t('calls.linkFailed', { code, error: describeError(error) });
        return;
      }
      announce(`${t('phone.filed', { code })} ${t('calls.linked', { code })}`);
    } else {
      announce(t('phone.filed', { code }));
    }
    navigate(`/feedback/${code}`);
  }

  private renderExtension(): TemplateResult {
    const id = this.uid;
    const current = this.registration?.extension ?? null;
    const locale = getLocale();
    const streamKey = { connecting: 'calls.streamConnecting', live: 'calls.streamLive', lost: 'calls.streamLost' } as const;
    return html`<section class="card call-extension" aria-labelledby="${id}-extension-heading">
      <h2 id="${id}-extension-heading">${t('calls.extensionHeading')}</h2>
      <form class="form extension-form" novalidate @submit=${(e: SubmitEvent) => void this.saveExtension(e)}>
        <div class="field">
          <label for="${id}-extension">${t('calls.extensionLabel')}</label>
          <input
            id="${id}-extension"
            name="extension"
            type="text"
            inputmode="numeric"
            autocomplete="off"
            maxlength="32"
            .value=${current ?? ''}
            aria-describedby="${id}-extension-hint ${id}-extension-status"
            aria-invalid=${this.extensionError && !this.extensionTaken ? 'true' : 'false'}
          />
          <p class="hint" id="${id}-extension-hint">${t('calls.extensionHint')}</p>
        </div>
        <div class="form-error" role="alert">${this.extensionError}</div>
        <div class="form-actions">
          <button type="submit" class="button" data-action="save-extension" ?disabled=${this.extensionBusy}>${t('calls.extensionSave')}</button>
          ${this.extensionTaken
            ? html`<button
                type="button"
                class="button button-secondary"
                data-action="take-over"
                ?disabled=${this.extensionBusy}
                @click=${(e: Event) => void this.saveExtension(e as SubmitEvent, true)}
              >
                ${t('calls.takeOver')}
              </button>`
            : nothing}
          ${current
            ? html`<button type="button" class="button button-secondary" ?disabled=${this.extensionBusy} @click=${() => void this.releaseExtension()}>
                ${t('calls.extensionRelease')}
              </button>`
            : nothing}
        </div>
      </form>
      <p class="hint" id="${id}-extension-status" data-extension=${current ?? ''}>
        ${current
          ? t('calls.extensionCurrent', { extension: current, time: formatDateTime(this.registration?.expires_at ?? '', locale) })
          : t('calls.extensionNone')}
        <span class="call-stream-state" data-state=${this.streamState}>${t(streamKey[this.streamState])}</span>
      </p>
    </section>`;
  }

  private renderCall(): TemplateResult | typeof nothing {
    const call = this.call;
    if (!call) return nothing;
    const id = this.uid;
    const locale = getLocale();
    const tone = { ringing: 'tone-attention', answered: 'tone-active', ended: 'tone-stopped' }[call.state];
    return html`<section class="card call-panel" aria-labelledby="${id}-call-heading" data-call=${call.call_id} data-state=${call.state}>
      <h2 id="${id}-call-heading">${t('calls.callHeading', { number: this.callerLabel(call) })}</h2>
      <p class="call-facts">
        <span class="badge call-state ${tone}">${t(CALL_STATE_LABEL[call.state])}</span>
        <span class="status-detail">${t('calls.extensionOf', { extension: call.extension })}</span>
        ${call.ringing_at ? html`<span class="status-detail">${formatDateTime(call.ringing_at, locale)}</span>` : nothing}
      </p>
      <div class="form-error" role="alert">${this.callError}</div>
      <h3 id="${id}-earlier-heading">${t('calls.earlierHeading')}</h3>
      ${this.earlier.length === 0
        ? html`<p class="hint">${t('calls.earlierNone')}</p>`
        : html`<ul class="earlier-reports" aria-labelledby="${id}-earlier-heading">
            ${this.earlier.map(
              (r) => html`<li data-code=${r.tracking_code}>
                <a href=${href(`/feedback/${r.tracking_code}`)}>${r.tracking_code}</a>
                ${statusBadge(r.status, locale === 'vi' ? r.status_vi : r.status_en)}
                <span class="status-detail">${this.names.category(r.category_code)} · ${formatDateTime(r.received_at, locale)}</span>
                <span class="earlier-text">${r.description}</span>
              </li>`,
            )}
          </ul>`}
      <div class="form-actions">
        <button type="button" class="button button-secondary" data-action="dismiss-call" @click=${() => this.dismissCall()}>${t('calls.dismiss')}</button>
      </div>
    </section>`;
  }

  private renderRecent(): TemplateResult {
    const locale = getLocale();
    return html`<section class="card" aria-labelledby="${this.uid}-recent-heading">
      <h2 id="${this.uid}-recent-heading">${t('calls.recentHeading')}</h2>
      ${this.recent.length === 0
        ? html`<p class="hint">${t('calls.recentEmpty')}</p>`
        : html`<div class="table-scroll">
            <table class="data-table" id="recent-calls">
              <caption class="visually-hidden">${t('calls.recentHeading')}</caption>
              <thead>
                <tr>
                  <th scope="col">${t('calls.colTime')}</th>
                  <th scope="col">${t('calls.colCaller')}</th>
                  <th scope="col">${t('calls.colState')}</th>
                  <th scope="col">${t('calls.colReport')}</th>
                </tr>
              </thead>
              <tbody>
                ${this.recent.map(
                  (c) => html`<tr data-call=${c.call_id}>
                    <td>${formatDateTime(c.ringing_at ?? c.received_at, locale)}</td>
                    <td>${this.callerLabel(c)}</td>
                    <td>${t(CALL_STATE_LABEL[c.state])}</td>
                    <td>${c.report ? html`<a href=${href(`/feedback/${c.report.tracking_code}`)}>${c.report.tracking_code}</a>` : '—'}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`}
    </section>`;
  }

  override render(): TemplateResult {
    const operator = session.hasRole('operator', 'admin');
    return html`<div class="page phone-page">
      <p class="back-link"><a href=${href('/feedback')}>← ${t('report.back')}</a></p>
      <h1 tabindex="-1">${t('phone.title')}</h1>
      <p class="lead">${t('phone.intro')}</p>
      ${operator
        ? html`${this.renderExtension()} ${this.renderCall()}
            <section class="card">
              ${keyed(
                this.formKey,
                html`<cityos-report-form
                  mode="phone"
                  .callerPhone=${this.callerPhone}
                  @report-filed=${(e: CustomEvent<ReportFiledDetail>) => void this.onFiled(e)}
                ></cityos-report-form>`,
              )}
            </section>
            ${this.renderRecent()}`
        : html`<p class="notice notice-warning" role="note">${t('phone.operatorsOnly')}</p>`}
    </div>`;
  }
}

customElements.define('cityos-feedback-phone-page', FeedbackPhonePage);
