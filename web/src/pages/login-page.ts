import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { ApiError } from '../api/client';
import { describeError, extension } from '../api/errors';
import { t } from '../i18n';
import { href } from '../router';
import { session } from '../session';

/**
 * Sign-in: username and password; when the server answers `mfa_required`,
 * a second step asks for the one-time code and sends everything again with `totp`.
 */
export class LoginPage extends ConsoleElement {
  static override properties = {
    notice: {},
    step: { state: true },
    error: { state: true },
    busy: { state: true },
  };

  /** A message from the shell (signed out, session expired). */
  notice = '';
  step: 'password' | 'totp' = 'password';
  error = '';
  busy = false;
  private username = '';
  private password = '';
  /** Set when the server asks this account to enrol an authenticator (`mfa_enrollment_required`). */
  private enrolment: { secret: string; url: string | null } | null = null;

  private async onSubmit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (this.busy) return;
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    let totp: string | undefined;
    if (this.step === 'password') {
      this.username = String(data.get('username') ?? '').trim();
      this.password = String(data.get('password') ?? '');
      if (this.username === '' || this.password === '') {
        this.error = t('login.errorRequired');
        return;
      }
    } else {
      totp = String(data.get('totp') ?? '').replace(/\s+/g, '');
      if (!/^\d{6}$/.test(totp)) {
        this.error = t('login.errorTotpFormat');
        return;
      }
    }
    this.busy = true;
    this.error = '';
    try {
      await session.login({ username: this.username, password: this.password, ...(totp ? { totp } : {}) });
      this.password = '';
    } catch (error) {
      const enrol = error instanceof ApiError && error.code === 'mfa_enrollment_required' ? extension(error, 'totp_secret') : null;
      if (enrol && error instanceof ApiError && this.step === 'password') {
        this.enrolment = { secret: enrol, url: extension(error, 'otpauth_url') };
      }
      if (error instanceof ApiError && (error.code === 'mfa_required' || enrol) && this.step === 'password') {
        this.step = 'totp';
        await this.updateComplete;
        this.querySelector<HTMLInputElement>('#login-totp')?.focus();
      } else {
        this.error = describeError(error);
      }
    } finally {
      this.busy = false;
    }
  }

  private restart(): void {
    this.step = 'password';
    this.password = '';
    this.error = '';
    this.enrolment = null;
  }

  private renderEnrolment(enrolment: { secret: string; url: string | null }): TemplateResult {
    // Groups of four characters are easier to type into an authenticator app.
    const grouped = enrolment.secret.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');
    return html`<section class="notice notice-info enrolment" aria-labelledby="enrol-title">
      <h2 id="enrol-title">${t('login.enrolTitle')}</h2>
      <p>${t('login.enrolIntro')}</p>
      <p>
        <span class="enrol-label">${t('login.enrolSecret')}:</span>
        <code class="totp-secret" translate="no">${grouped}</code>
      </p>
      ${enrolment.url && enrolment.url.startsWith('otpauth://')
        ? html`<p><a href=${enrolment.url}>${t('login.enrolLink')}</a></p>`
        : nothing}
    </section>`;
  }

  override render(): TemplateResult {
    const invalid = this.error !== '';
    return html`<div class="page page-narrow login-page">
      <h1 tabindex="-1">${t('login.title')}</h1>
      <p class="lead">${t('login.intro')}</p>
      ${this.notice ? html`<p class="notice notice-info" role="status">${this.notice}</p>` : nothing}
      <form class="form card" novalidate @submit=${(e: SubmitEvent) => void this.onSubmit(e)} aria-describedby="login-error">
        ${this.step === 'password'
          ? html`
              <div class="field">
                <label for="login-username">${t('login.username')}</label>
                <input
                  id="login-username"
                  name="username"
                  type="text"
                  autocomplete="username"
                  autocapitalize="none"
                  spellcheck="false"
                  required
                  aria-invalid=${invalid ? 'true' : 'false'}
                  .value=${this.username}
                />
              </div>
              <div class="field">
                <label for="login-password">${t('login.password')}</label>
                <input
                  id="login-password"
                  name="password"
                  type="password"
                  autocomplete="current-password"
                  required
                  aria-invalid=${invalid ? 'true' : 'false'}
                />
              </div>
            `
          : html`
              ${this.enrolment ? this.renderEnrolment(this.enrolment) : html`<p class="notice notice-info">${t('login.mfaRequired')}</p>`}
              <div class="field">
                <label for="login-totp">${t('login.totp')}</label>
                <input
                  id="login-totp"
                  name="totp"
                  type="text"
                  inputmode="numeric"
                  autocomplete="one-time-code"
                  pattern="[0-9]{6}"
                  maxlength="6"
                  required
                  aria-describedby="login-totp-hint"
                  aria-invalid=${invalid ? 'true' : 'false'}
                />
                <p class="hint" id="login-totp-hint">${t('login.totpHint')}</p>
              </div>
            `}
        <div class="form-error" id="login-error" role="alert" aria-live="assertive">${this.error}</div>
        <div class="form-actions">
          <button type="submit" class="button" ?disabled=${this.busy} data-action="login">
            ${this.busy ? t('login.submitting') : this.step === 'password' ? t('login.submit') : t('login.verify')}
          </button>
          ${this.step === 'totp'
            ? html`<button type="button" class="button button-secondary" @click=${() => this.restart()}>${t('login.cancelMfa')}</button>`
            : nothing}
        </div>
      </form>
      <section class="card portal-link-card" aria-labelledby="login-portal-heading">
        <h2 id="login-portal-heading"><a href=${href('/portal')} data-action="portal">${t('login.portalLink')}</a></h2>
        <p class="hint">${t('login.portalHint')}</p>
      </section>
    </div>`;
  }
}

customElements.define('cityos-login-page', LoginPage);
