import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { listStatus, pager } from '../components/list-frame';
import { announce } from '../announcer';
import { describeError } from '../api/errors';
import type { Page } from '../api/types';
import { channelLabel } from '../feedback/reference';
import { getLocale, t } from '../i18n';
import { formatDateTime, formatNumber } from '../i18n/format';
import { href } from '../router';
import { session } from '../session';

const PER_PAGE = 20;

type InboxState = 'failed' | 'pending' | 'filed' | 'dismissed';

/** A message of `GET /api/feedback/inbox`. */
export interface InboxMessage {
  id: string;
  channel: string;
  received_at: string;
  attempts: number;
  state: InboxState;
  error: string | null;
  preview: string | null;
  has_location: boolean;
  sender: string | null;
  next_attempt_at: string | null;
  tracking_code: string | null;
}

/**
 * "Hộp thư đến lỗi": messages that came by SMS, Zalo, Messenger or e-mail and did not
 * become reports (`GET /api/feedback/inbox`), for operators to retry
 * (`…/retry`: filed now, or the reason again) or dismiss (`…/dismiss`).
 */
export class FeedbackInboxPage extends ConsoleElement {
  static override properties = {
    state: { state: true },
    items: { state: true },
    total: { state: true },
    page: { state: true },
    loading: { state: true },
    listError: { state: true },
    busyId: { state: true },
    outcome: { state: true },
  };

  state: 'failed' | 'pending' = 'failed';
  items: InboxMessage[] = [];
  total = 0;
  page = 1;
  loading = true;
  listError = '';
  busyId: string | null = null;
  /** The last retry or dismissal, said in words next to the list. */
  outcome = '';

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private get pages(): number {
    return Math.max(1, Math.ceil(this.total / PER_PAGE));
  }

  private async load(): Promise<void> {
    this.loading = true;
    try {
      const response = await session.api.get<Page<InboxMessage>>('/api/feedback/inbox', {
        query: { state: this.state, page: this.page, per_page: PER_PAGE },
      });
      this.items = response.items;
      this.total = response.total;
      this.listError = '';
    } catch (error) {
      this.items = [];
      this.total = 0;
      this.listError = describeError(error);
    } finally {
      this.loading = false;
    }
  }

  private setState(state: 'failed' | 'pending'): void {
    if (state === this.state) return;
    this.state = state;
    this.page = 1;
    this.outcome = '';
    void this.load();
  }

  private goToPage(page: number): void {
    this.page = Math.min(Math.max(1, page), this.pages);
    void this.load();
  }

  private async act(message: InboxMessage, action: 'retry' | 'dismiss'): Promise<void> {
    if (this.busyId) return;
    this.busyId = message.id;
    try {
      const after = await session.api.post<InboxMessage>(`/api/feedback/inbox/${encodeURIComponent(message.id)}/${action}`);
      const locale = getLocale();
      const when = formatDateTime(message.received_at, locale);
      this.outcome =
        after.state === 'filed'
          ? t('inbox.filed', { code: after.tracking_code ?? '', when })
          : after.state === 'dismissed'
            ? t('inbox.dismissed', { when })
            : after.state === 'pending'
              ? t('inbox.queued', { when })
              : t('inbox.stillFailed', { when, error: after.error ?? t('common.none') });
      announce(this.outcome);
      await this.load();
      void this.updateComplete.then(() => this.querySelector<HTMLElement>('#inbox-outcome')?.focus());
    } catch (error) {
      this.outcome = '';
      this.listError = describeError(error);
    } finally {
      this.busyId = null;
    }
  }

  private renderRow(m: InboxMessage): TemplateResult {
    const locale = getLocale();
    const busy = this.busyId !== null;
    const when = formatDateTime(m.received_at, locale);
    return html`<tr data-id=${m.id} data-state=${m.state}>
      <td>${channelLabel(m.channel)}</td>
      <th scope="row"><time datetime=${m.received_at}>${when}</time></th>
      <td>${m.sender ?? t('common.none')}</td>
      <td class="queue-text">
        ${m.preview ?? html`<span class="status-detail">${t('inbox.noText')}</span>`}
        ${m.has_location ? html`<span class="status-detail">${t('inbox.withLocation')}</span>` : nothing}
      </td>
      <td>${m.error ?? t('common.none')}</td>
      <td class="num">
        ${formatNumber(m.attempts, locale)}
        ${m.next_attempt_at
          ? html`<span class="status-detail">${t('inbox.nextAttempt', { time: formatDateTime(m.next_attempt_at, locale) })}</span>`
          : nothing}
      </td>
      <td>
        <div class="row-actions">
          <button
            type="button"
            class="button button-small"
            data-action="retry"
            aria-label=${t('inbox.retryFor', { when })}
            ?disabled=${busy}
            @click=${() => void this.act(m, 'retry')}
          >
            ${t('inbox.retry')}
          </button>
          <button
            type="button"
            class="button button-small button-secondary"
            data-action="dismiss"
            aria-label=${t('inbox.dismissFor', { when })}
            ?disabled=${busy}
            @click=${() => void this.act(m, 'dismiss')}
          >
            ${t('inbox.dismiss')}
          </button>
        </div>
      </td>
    </tr>`;
  }

  override render(): TemplateResult {
    const state = (value: 'failed' | 'pending', label: string) => html`<div class="radio-field">
      <input
        type="radio"
        id="inbox-state-${value}"
        name="inbox-state"
        value=${value}
        .checked=${this.state === value}
        @change=${() => this.setState(value)}
      />
      <label for="inbox-state-${value}">${label}</label>
    </div>`;
    return html`<div class="page page-wide feedback-inbox-page">
      <p class="back-link"><a href=${href('/feedback')}>← ${t('report.back')}</a></p>
      <h1 tabindex="-1">${t('inbox.title')}</h1>
      <p class="lead">${t('inbox.intro')}</p>
      <p class="notice personal-notice">${t('inbox.privacy')}</p>
      <fieldset class="fieldset inbox-states">
        <legend>${t('inbox.show')}</legend>
        ${state('failed', t('inbox.stateFailed'))} ${state('pending', t('inbox.statePending'))}
      </fieldset>
      <section aria-labelledby="inbox-list-heading">
        <h2 id="inbox-list-heading">${this.state === 'failed' ? t('inbox.stateFailed') : t('inbox.statePending')}</h2>
        ${listStatus({ error: this.listError, loading: this.loading, total: this.total })}
        <p id="inbox-outcome" class="notice" tabindex="-1" ?hidden=${this.outcome === ''}>${this.outcome}</p>
        <div class="table-scroll">
          <table class="data-table" id="inbox-table">
            <caption class="visually-hidden">${t('inbox.title')}</caption>
            <thead>
              <tr>
                <th scope="col">${t('inbox.colChannel')}</th>
                <th scope="col">${t('inbox.colReceived')}</th>
                <th scope="col">${t('inbox.colSender')}</th>
                <th scope="col">${t('inbox.colPreview')}</th>
                <th scope="col">${t('inbox.colError')}</th>
                <th scope="col" class="num">${t('inbox.colAttempts')}</th>
                <th scope="col">${t('inbox.colActions')}</th>
              </tr>
            </thead>
            <tbody>
              ${this.items.length === 0 && !this.loading
                ? html`<tr>
                    <td colspan="7">${this.state === 'failed' ? t('inbox.emptyFailed') : t('inbox.emptyPending')}</td>
                  </tr>`
                : nothing}
              ${this.items.map((m) => this.renderRow(m))}
            </tbody>
          </table>
        </div>
        ${pager({ label: t('inbox.pagination'), page: this.page, pages: this.pages, loading: this.loading, go: (page) => this.goToPage(page) })}
      </section>
    </div>`;
  }
}

customElements.define('cityos-feedback-inbox-page', FeedbackInboxPage);
