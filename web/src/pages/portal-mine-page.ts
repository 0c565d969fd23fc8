import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { announce } from '../announcer';
import { ApiError } from '../api/client';
import { describeError } from '../api/errors';
import type { Items, PublicReport } from '../api/types';
import { citizen } from '../citizen-session';
import '../feedback/citizen-answer';
import { deadlineCell } from '../feedback/badges';
import { contactKind, looksLikeTrackingCode } from '../feedback/model';
import { publicAnswer, publicStatusBadge } from '../feedback/public-view';
import { loadCategories, loadWards, Names } from '../feedback/reference';
import { getLocale, t } from '../i18n';
import { formatDateTime } from '../i18n/format';
import { href, navigate } from '../router';

/**
 * "Phản ánh của tôi" (`#/portal/mine`): citizens sign in with a one-time code
 * sent to their phone or e-mail, then see their own reports and answer
 * "Đã khắc phục chưa?" on resolved ones.
 */
export class PortalMinePage extends ConsoleElement {
  static override properties = {
    next: {},
    step: { state: true },
    contact: { state: true },
    error: { state: true },
    invalid: { state: true },
    busy: { state: true },
    reports: { state: true },
    loading: { state: true },
    listError: { state: true },
    names: { state: true },
    restoring: { state: true },
  };

  /** A tracking code to go back to after signing in. */
  next = '';
  step: 'contact' | 'code' = 'contact';
  contact = '';
  error = '';
  invalid: 'contact' | 'code' | null = null;
  busy = false;
  reports: PublicReport[] = [];
  loading = false;
  listError = '';
  names = new Names();
  restoring = true;
  private displayName = '';
  private unsubscribe: (() => void) | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe = citizen.onChange(() => this.requestUpdate());
    void this.start();
    void this.loadReference();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
  }

  private async start(): Promise<void> {
    try {
      await citizen.restore();
    } catch (error) {
      this.listError = describeError(error);
    }
    this.restoring = false;
    if (citizen.signedIn) await this.loadReports();
  }

  private async loadReference(): Promise<void> {
    const [categories, wards] = await Promise.allSettled([loadCategories(), loadWards()]);
    this.names = new Names(categories.status === 'fulfilled' ? categories.value : [], wards.status === 'fulfilled' ? wards.value : []);
  }

  private async loadReports(): Promise<void> {
    this.loading = true;
    try {
      this.reports = (await citizen.api.get<Items<PublicReport>>('/api/feedback/my/reports')).items;
      this.listError = '';
    } catch (error) {
      this.listError = describeError(error);
    } finally {
      this.loading = false;
    }
  }

  private focusId(id: string): void {
    void this.updateComplete.then(() => this.querySelector<HTMLElement>(`#${id}`)?.focus());
  }

  private async onContact(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (this.busy) return;
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const contact = String(data.get('contact') ?? '').trim();
    this.displayName = String(data.get('display_name') ?? '').trim();
    if (!contactKind(contact)) {
      this.error = t('signin.errorContact');
      this.invalid = 'contact';
      this.focusId('signin-contact');
      return;
    }
    this.busy = true;
    this.error = '';
    this.invalid = null;
    try {
      await citizen.requestCode(contact, getLocale());
      this.contact = contact;
      this.step = 'code';
      announce(t('signin.codeSent', { contact }));
      this.focusId('signin-code');
    } catch (error) {
      this.error = error instanceof ApiError && error.status === 429 ? t('signin.tooMany') : describeError(error);
    } finally {
      this.busy = false;
    }
  }

  private async onCode(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (this.busy) return;
    const code = String(new FormData(event.currentTarget as HTMLFormElement).get('code') ?? '').replace(/\s+/g, '');
    if (!/^\d{6}$/.test(code)) {
      this.error = t('signin.errorCodeFormat');
      this.invalid = 'code';
      this.focusId('signin-code');
      return;
    }
    this.busy = true;
    this.error = '';
    this.invalid = null;
    try {
      await citizen.verify(this.contact, code, this.displayName || null, getLocale());
      announce(t('signin.signedIn'));
      if (this.next && looksLikeTrackingCode(this.next)) {
        navigate(`/track/${this.next}`);
        return;
      }
      this.step = 'contact';
      await this.loadReports();
      this.focusId('mine-list-heading');
    } catch (error) {
      this.error = error instanceof ApiError && error.code === 'invalid_code' ? t('signin.invalidCode') : describeError(error);
      this.invalid = 'code';
      this.focusId('signin-code');
    } finally {
      this.busy = false;
    }
  }

  private restart(): void {
    this.step = 'contact';
    this.error = '';
    this.invalid = null;
    this.focusId('signin-contact');
  }

  private async signOut(): Promise<void> {
    await citizen.signOut();
    this.reports = [];
    announce(t('signin.signedOut'));
    this.focusId('signin-heading');
  }

  private renderSignIn(): TemplateResult {
    return html`<section class="card signin-card" aria-labelledby="signin-heading">
      <h2 id="signin-heading" tabindex="-1">${t('signin.heading')}</h2>
      <p>${t('signin.intro')}</p>
      ${this.step === 'contact'
        ? html`<form class="form" novalidate @submit=${(e: SubmitEvent) => void this.onContact(e)}>
            <div class="field">
              <label for="signin-contact">${t('signin.contact')}</label>
              <input
                id="signin-contact"
                name="contact"
                type="text"
                inputmode="email"
                autocomplete="email"
                autocapitalize="none"
                spellcheck="false"
                required
                aria-describedby="signin-contact-hint"
                aria-invalid=${this.invalid === 'contact' ? 'true' : 'false'}
                .value=${this.contact}
              />
              <p class="hint" id="signin-contact-hint">${t('signin.contactHint')}</p>
            </div>
            <div class="field">
              <label for="signin-name">${t('signin.displayName')} <span class="optional">${t('common.optional')}</span></label>
              <input id="signin-name" name="display_name" type="text" autocomplete="name" aria-describedby="signin-name-hint" />
              <p class="hint" id="signin-name-hint">${t('signin.displayNameHint')}</p>
            </div>
            <div class="form-error" role="alert" aria-live="assertive">${this.error}</div>
            <button type="submit" class="button" data-action="send-code" ?disabled=${this.busy}>${t('signin.sendCode')}</button>
          </form>`
        : html`<form class="form" novalidate @submit=${(e: SubmitEvent) => void this.onCode(e)}>
            <p class="notice notice-info" role="status">${t('signin.codeSent', { contact: this.contact })}</p>
            <div class="field">
              <label for="signin-code">${t('signin.code')}</label>
              <input
                id="signin-code"
                name="code"
                type="text"
                inputmode="numeric"
                autocomplete="one-time-code"
                pattern="[0-9]{6}"
                maxlength="6"
                required
                aria-describedby="signin-code-hint"
                aria-invalid=${this.invalid === 'code' ? 'true' : 'false'}
              />
              <p class="hint" id="signin-code-hint">${t('signin.codeHint')}</p>
            </div>
            <div class="form-error" role="alert" aria-live="assertive">${this.error}</div>
            <div class="form-actions">
              <button type="submit" class="button" data-action="verify-code" ?disabled=${this.busy}>${t('signin.verify')}</button>
              <button type="button" class="button button-secondary" @click=${() => this.restart()}>${t('signin.otherContact')}</button>
            </div>
          </form>`}
      <p class="hint">${t('signin.privacy')}</p>
    </section>`;
  }

  private renderReport(report: PublicReport): TemplateResult {
    const locale = getLocale();
    return html`<li class="card mine-report" data-code=${report.tracking_code} data-status=${report.status}>
      <h3><a href=${href(`/track/${report.tracking_code}`)}>${report.tracking_code}</a></h3>
      <p>${publicStatusBadge(report)} <span class="status-detail">${this.names.category(report.category_code)} · ${this.names.ward(report.jurisdiction_code)}</span></p>
      <p class="report-description" lang="vi">${report.description}</p>
      <dl class="facts">
        <dt>${t('report.receivedAt')}</dt>
        <dd><time datetime=${report.received_at}>${formatDateTime(report.received_at, locale)}</time></dd>
        <dt>${t('track.dueAt')}</dt>
        <dd>${deadlineCell(report)}</dd>
      </dl>
      ${publicAnswer(report)}
      ${report.status === 'resolved'
        ? html`<section class="question-card" aria-labelledby="q-${report.tracking_code}">
            <h4 id="q-${report.tracking_code}">${t('answer.heading')}</h4>
            <cityos-citizen-answer .code=${report.tracking_code} @answered=${() => void this.loadReports()}></cityos-citizen-answer>
          </section>`
        : nothing}
    </li>`;
  }

  private renderMine(): TemplateResult {
    const account = citizen.account;
    return html`<section class="card" aria-labelledby="mine-account-heading">
        <h2 id="mine-account-heading">${t('mine.accountHeading')}</h2>
        <p data-citizen-contact>${t('mine.signedInAs', { contact: account?.contact ?? '' })}</p>
        <div class="form-actions">
          <a class="button" href=${href('/portal')}>${t('mine.newReport')}</a>
          <button type="button" class="button button-secondary" data-action="citizen-signout" @click=${() => void this.signOut()}>
            ${t('mine.signOut')}
          </button>
        </div>
      </section>
      <section aria-labelledby="mine-list-heading">
        <h2 id="mine-list-heading" tabindex="-1">${t('mine.listHeading')}</h2>
        <div class="form-error" role="alert">${this.listError}</div>
        ${this.loading ? html`<p role="status">${t('common.loading')}</p>` : nothing}
        ${this.reports.length === 0 && !this.loading ? html`<p>${t('mine.empty')}</p>` : nothing}
        <ul class="plain-list mine-list">
          ${this.reports.map((report) => this.renderReport(report))}
        </ul>
      </section>`;
  }

  override render(): TemplateResult {
    return html`<div class="page portal-page mine-page">
      <h1 tabindex="-1">${t('mine.title')}</h1>
      ${this.restoring ? html`<p role="status">${t('common.loading')}</p>` : citizen.signedIn ? this.renderMine() : this.renderSignIn()}
    </div>`;
  }
}

customElements.define('cityos-portal-mine-page', PortalMinePage);
