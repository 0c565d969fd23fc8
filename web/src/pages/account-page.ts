import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { announce } from '../announcer';
import { ApiError } from '../api/client';
import { describeError } from '../api/errors';
import type { Agency, ApiKeyCreated, ApiKeyInfo, Items, Jurisdiction } from '../api/types';
import { API_KEY_MAX_DAYS, apiKeyStatus, parseExpiryDays, passwordProblem, type PasswordProblem } from '../account';
import { getLocale, t, type MessageKey } from '../i18n';
import { formatDateTime, formatNumber } from '../i18n/format';
import { grantLabel } from '../labels';
import { session } from '../session';

/** Detail of the `cityos-signed-out` event: the message for the sign-in page. */
export interface SignedOutDetail {
  notice: string;
}

type PasswordField = 'current' | 'new' | 'confirm';

const PASSWORD_MESSAGES: Record<PasswordProblem, { key: MessageKey; field: PasswordField }> = {
  empty: { key: 'account.passwordRequired', field: 'current' },
  short: { key: 'account.passwordWeak', field: 'new' },
  weak: { key: 'account.passwordWeak', field: 'new' },
  mismatch: { key: 'account.passwordMismatch', field: 'confirm' },
  unchanged: { key: 'account.passwordUnchanged', field: 'new' },
};

const FIELD_IDS: Record<PasswordField, string> = {
  current: 'account-current-password',
  new: 'account-new-password',
  confirm: 'account-confirm-password',
};

/**
 * My account: who I am (grants, two-factor sign-in), changing my password
 * (which ends every session, this one included) and my API keys.
 */
export class AccountPage extends ConsoleElement {
  static override properties = {
    keys: { state: true },
    keysLoading: { state: true },
    keysError: { state: true },
    agencies: { state: true },
    jurisdictions: { state: true },
    passwordError: { state: true },
    passwordInvalid: { state: true },
    passwordBusy: { state: true },
    createError: { state: true },
    createInvalid: { state: true },
    createBusy: { state: true },
    newKey: { state: true },
    pendingRevoke: { state: true },
    revokeError: { state: true },
    revokeBusy: { state: true },
  };

  keys: ApiKeyInfo[] = [];
  keysLoading = true;
  keysError = '';
  agencies: Agency[] = [];
  jurisdictions: Jurisdiction[] = [];
  passwordError = '';
  passwordInvalid: PasswordField | null = null;
  passwordBusy = false;
  createError = '';
  createInvalid: 'name' | 'days' | null = null;
  createBusy = false;
  /** The key just created: shown once, until the user hides it or leaves the page. */
  newKey: { name: string; key: string } | null = null;
  pendingRevoke: ApiKeyInfo | null = null;
  revokeError = '';
  revokeBusy = false;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.loadKeys();
    void this.loadNames();
  }

  private async loadKeys(): Promise<void> {
    this.keysLoading = true;
    try {
      const response = await session.api.get<Items<ApiKeyInfo>>('/api/auth/api-keys');
      // Newest first.
      this.keys = [...response.items].sort((a, b) => b.created_at.localeCompare(a.created_at));
      this.keysError = '';
    } catch (error) {
      this.keysError = describeError(error);
    } finally {
      this.keysLoading = false;
    }
  }

  /** Agency and unit names for the grant scopes; codes are shown when they cannot be read. */
  private async loadNames(): Promise<void> {
    const [agencies, jurisdictions] = await Promise.allSettled([
      session.api.get<Items<Agency>>('/api/identity/agencies'),
      session.api.get<Items<Jurisdiction>>('/api/jurisdictions'),
    ]);
    if (agencies.status === 'fulfilled') this.agencies = agencies.value.items;
    if (jurisdictions.status === 'fulfilled') this.jurisdictions = jurisdictions.value.items;
  }

  private scopeNames(): Map<string, string> {
    const names = new Map<string, string>();
    for (const agency of this.agencies) names.set(`agency:${agency.code}`, getLocale() === 'vi' ? agency.name_vi : agency.name_en);
    for (const unit of this.jurisdictions) names.set(`jurisdiction:${unit.code}`, unit.name);
    return names;
  }

  private async focusField(id: string): Promise<void> {
    await this.updateComplete;
    this.querySelector<HTMLElement>(`#${id}`)?.focus();
  }

  private async onChangePassword(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (this.passwordBusy) return;
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const current = String(data.get('current_password') ?? '');
    const next = String(data.get('new_password') ?? '');
    const confirm = String(data.get('confirm_password') ?? '');
    const problem = passwordProblem(current, next, confirm);
    if (problem) {
      const { key, field } = PASSWORD_MESSAGES[problem];
      this.passwordError = t(key);
      this.passwordInvalid = problem === 'empty' && current !== '' ? 'new' : field;
      void this.focusField(FIELD_IDS[this.passwordInvalid]);
      return;
    }
    this.passwordBusy = true;
    this.passwordError = '';
    this.passwordInvalid = null;
    try {
      // A wrong current password is a 401 too: handle it here rather than as an expired session.
      await session.api.post<void>(
        '/api/auth/password',
        { current_password: current, new_password: next },
        { handleUnauthorized: false },
      );
      this.dispatchEvent(
        new CustomEvent<SignedOutDetail>('cityos-signed-out', {
          detail: { notice: t('account.passwordChanged') },
          bubbles: true,
          composed: true,
        }),
      );
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_credentials') {
        this.passwordError = t('account.currentPasswordWrong');
        this.passwordInvalid = 'current';
        void this.focusField(FIELD_IDS.current);
      } else if (error instanceof ApiError && error.status === 401) {
        session.expire(error);
      } else if (error instanceof ApiError && error.code === 'invalid_input') {
        this.passwordError = t('account.passwordWeak');
        this.passwordInvalid = 'new';
        void this.focusField(FIELD_IDS.new);
      } else {
        this.passwordError = describeError(error);
      }
    } finally {
      this.passwordBusy = false;
    }
  }

  private async onCreateKey(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (this.createBusy) return;
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const name = String(data.get('name') ?? '').trim();
    const days = parseExpiryDays(String(data.get('expires_in_days') ?? ''));
    if (!name) {
      this.createError = t('account.keyNameRequired');
      this.createInvalid = 'name';
      void this.focusField('api-key-name');
      return;
    }
    if (days === null) {
      this.createError = t('account.keyDaysInvalid', { max: formatNumber(API_KEY_MAX_DAYS, getLocale()) });
      this.createInvalid = 'days';
      void this.focusField('api-key-days');
      return;
    }
    this.createBusy = true;
    this.createError = '';
    this.createInvalid = null;
    try {
      const created = await session.api.post<ApiKeyCreated>('/api/auth/api-keys', {
        name,
        ...(days !== undefined ? { expires_in_days: days } : {}),
      });
      form.reset();
      this.newKey = { name, key: created.key };
      announce(t('account.keyCreated', { name }));
      await this.loadKeys();
      void this.focusField('new-key-heading');
    } catch (error) {
      this.createError = describeError(error);
    } finally {
      this.createBusy = false;
    }
  }

  private async copyKey(): Promise<void> {
    const input = this.querySelector<HTMLInputElement>('#new-key-value');
    if (!input || !this.newKey) return;
    let copied = false;
    try {
      await navigator.clipboard.writeText(this.newKey.key);
      copied = true;
    } catch {
      // No clipboard API here (or no permission): select the text and try the older command.
      input.focus();
      input.select();
      try {
        copied = document.execCommand('copy');
      } catch {
        copied = false;
      }
    }
    announce(copied ? t('account.keyCopied') : t('account.keyCopyFailed'));
    if (!copied) {
      input.focus();
      input.select();
    }
  }

  private hideNewKey(): void {
    this.newKey = null;
    void this.focusField('api-keys-heading');
  }

  private dialog(): HTMLDialogElement | null {
    return this.querySelector<HTMLDialogElement>('#revoke-dialog');
  }

  private async askRevoke(key: ApiKeyInfo): Promise<void> {
    this.pendingRevoke = key;
    this.revokeError = '';
    await this.updateComplete;
    const dialog = this.dialog();
    if (dialog && !dialog.open) dialog.showModal();
  }

  private onDialogClose(): void {
    this.pendingRevoke = null;
    this.revokeError = '';
  }

  private async confirmRevoke(): Promise<void> {
    const key = this.pendingRevoke;
    if (!key || this.revokeBusy) return;
    this.revokeBusy = true;
    this.revokeError = '';
    try {
      await session.api.delete(`/api/auth/api-keys/${encodeURIComponent(key.id)}`);
      this.dialog()?.close();
      announce(t('account.keyRevoked', { name: key.name }));
      await this.loadKeys();
      void this.focusField('api-keys-heading');
    } catch (error) {
      this.revokeError = describeError(error);
    } finally {
      this.revokeBusy = false;
    }
  }

  private renderProfile(): TemplateResult {
    const me = session.me!;
    const locale = getLocale();
    const names = this.scopeNames();
    return html`<section class="card" aria-labelledby="account-profile-heading">
      <h2 id="account-profile-heading">${t('account.profileHeading')}</h2>
      <dl class="facts" id="account-facts">
        <dt>${t('account.username')}</dt>
        <dd translate="no">${me.username}</dd>
        <dt>${t('account.displayName')}</dt>
        <dd>${me.display_name}</dd>
        <dt>${t('account.agency')}</dt>
        <dd>${me.agency ? (locale === 'vi' ? me.agency.name_vi : me.agency.name_en) : t('user.noAgency')}</dd>
        <dt>${t('account.grants')}</dt>
        <dd>
          ${me.grants.length === 0
            ? t('home.noRoles')
            : html`<ul class="plain-list">
                ${me.grants.map((grant) => html`<li>${grantLabel(grant, names)}</li>`)}
              </ul>`}
        </dd>
        <dt>${t('account.mfa')}</dt>
        <dd data-mfa=${me.mfa_enabled ? 'on' : 'off'}>${me.mfa_enabled ? t('account.mfaOn') : t('account.mfaOff')}</dd>
        <dt>${t('account.userId')}</dt>
        <dd><code class="code-value" translate="no">user:${me.id}</code></dd>
      </dl>
    </section>`;
  }

  private renderPassword(): TemplateResult {
    const invalid = (field: PasswordField) => (this.passwordInvalid === field ? 'true' : 'false');
    return html`<section class="card" aria-labelledby="account-password-heading">
      <h2 id="account-password-heading">${t('account.passwordHeading')}</h2>
      <p class="notice notice-warning" id="account-password-note">${t('account.passwordNote')}</p>
      <form class="form" novalidate aria-describedby="account-password-note" @submit=${(e: SubmitEvent) => void this.onChangePassword(e)}>
        <div class="field">
          <label for=${FIELD_IDS.current}>${t('account.currentPassword')}</label>
          <input
            id=${FIELD_IDS.current}
            name="current_password"
            type="password"
            autocomplete="current-password"
            required
            aria-invalid=${invalid('current')}
            aria-describedby="account-password-error"
          />
        </div>
        <div class="field">
          <label for=${FIELD_IDS.new}>${t('account.newPassword')}</label>
          <input
            id=${FIELD_IDS.new}
            name="new_password"
            type="password"
            autocomplete="new-password"
            required
            minlength="10"
            aria-invalid=${invalid('new')}
            aria-describedby="account-new-password-hint account-password-error"
          />
          <p class="hint" id="account-new-password-hint">${t('account.newPasswordHint')}</p>
        </div>
        <div class="field">
          <label for=${FIELD_IDS.confirm}>${t('account.confirmPassword')}</label>
          <input
            id=${FIELD_IDS.confirm}
            name="confirm_password"
            type="password"
            autocomplete="new-password"
            required
            aria-invalid=${invalid('confirm')}
            aria-describedby="account-password-error"
          />
        </div>
        <div class="form-error" id="account-password-error" role="alert" aria-live="assertive">${this.passwordError}</div>
        <div class="form-actions">
          <button type="submit" class="button" ?disabled=${this.passwordBusy} data-action="change-password">
            ${this.passwordBusy ? t('common.saving') : t('account.changePassword')}
          </button>
        </div>
      </form>
    </section>`;
  }

  private renderNewKey(newKey: { name: string; key: string }): TemplateResult {
    return html`<section class="card new-key" aria-labelledby="new-key-heading">
      <h3 id="new-key-heading" tabindex="-1">${t('account.newKeyHeading', { name: newKey.name })}</h3>
      <p class="notice notice-warning" id="new-key-warning"><strong>${t('account.newKeyWarning')}</strong></p>
      <div class="field">
        <label for="new-key-value">${t('account.newKeyLabel')}</label>
        <div class="copy-row">
          <input
            id="new-key-value"
            class="code-input"
            type="text"
            readonly
            spellcheck="false"
            autocomplete="off"
            translate="no"
            aria-describedby="new-key-warning new-key-usage"
            .value=${newKey.key}
            @focus=${(e: FocusEvent) => (e.target as HTMLInputElement).select()}
          />
          <button type="button" class="button button-secondary" data-action="copy-key" @click=${() => void this.copyKey()}>
            ${t('account.copy')}
          </button>
        </div>
        <p class="hint" id="new-key-usage">${t('account.newKeyUsage')}</p>
      </div>
      <div class="form-actions">
        <button type="button" class="button" data-action="hide-key" @click=${() => this.hideNewKey()}>${t('account.newKeyDone')}</button>
      </div>
    </section>`;
  }

  private renderKeyStatus(key: ApiKeyInfo, locale: ReturnType<typeof getLocale>): TemplateResult {
    switch (apiKeyStatus(key)) {
      case 'revoked':
        return html`<span class="badge badge-muted">${t('account.keyStatusRevoked')}</span>
          <span class="status-detail"
            >${t('account.keyRevokedAt', { time: formatDateTime(key.revoked_at!, locale) })}</span
          >`;
      case 'expired':
        return html`<span class="badge badge-warning">${t('account.keyStatusExpired')}</span>`;
      default:
        return html`<span class="badge badge-ready">${t('account.keyStatusActive')}</span>`;
    }
  }

  private renderKeys(): TemplateResult {
    const locale = getLocale();
    const invalid = (field: 'name' | 'days') => (this.createInvalid === field ? 'true' : 'false');
    return html`<section class="card" aria-labelledby="api-keys-heading">
      <h2 id="api-keys-heading" tabindex="-1">${t('account.keysHeading')}</h2>
      <p>${t('account.keysIntro')}</p>
      ${this.newKey ? this.renderNewKey(this.newKey) : nothing}
      <div class="form-error" role="alert" aria-live="assertive">${this.keysError}</div>
      ${this.keysLoading ? html`<p role="status">${t('common.loading')}</p>` : nothing}
      <div class="table-scroll">
        <table class="data-table" id="api-keys-table">
          <caption class="visually-hidden">${t('account.keysHeading')}</caption>
          <thead>
            <tr>
              <th scope="col">${t('account.keyName')}</th>
              <th scope="col">${t('account.keyCreatedAt')}</th>
              <th scope="col">${t('account.keyExpiresAt')}</th>
              <th scope="col">${t('account.keyStatus')}</th>
              <th scope="col">${t('users.colActions')}</th>
            </tr>
          </thead>
          <tbody>
            ${this.keys.length === 0 && !this.keysLoading
              ? html`<tr>
                  <td colspan="5">${t('account.keysEmpty')}</td>
                </tr>`
              : nothing}
            ${this.keys.map((key) => {
              const status = apiKeyStatus(key);
              return html`<tr data-key-id=${key.id} data-status=${status}>
                <th scope="row">${key.name}</th>
                <td><time datetime=${key.created_at}>${formatDateTime(key.created_at, locale)}</time></td>
                <td>
                  ${key.expires_at
                    ? html`<time datetime=${key.expires_at}>${formatDateTime(key.expires_at, locale)}</time>`
                    : t('account.keyNoExpiry')}
                </td>
                <td>${this.renderKeyStatus(key, locale)}</td>
                <td>
                  ${status === 'revoked'
                    ? t('common.none')
                    : html`<button
                        type="button"
                        class="button button-small button-danger"
                        aria-label=${t('account.revokeKeyLabel', { name: key.name })}
                        aria-haspopup="dialog"
                        @click=${() => void this.askRevoke(key)}
                      >
                        ${t('account.revokeKey')}
                      </button>`}
                </td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      <h3 id="api-key-create-heading">${t('account.createKeyHeading')}</h3>
      <form class="form" novalidate aria-labelledby="api-key-create-heading" @submit=${(e: SubmitEvent) => void this.onCreateKey(e)}>
        <div class="field">
          <label for="api-key-name">${t('account.keyName')} <span class="required">${t('common.required')}</span></label>
          <input
            id="api-key-name"
            name="name"
            type="text"
            autocomplete="off"
            maxlength="100"
            required
            aria-invalid=${invalid('name')}
            aria-describedby="api-key-name-hint api-key-create-error"
          />
          <p class="hint" id="api-key-name-hint">${t('account.keyNameHint')}</p>
        </div>
        <div class="field">
          <label for="api-key-days">${t('account.keyDays')} <span class="optional">${t('common.optional')}</span></label>
          <input
            id="api-key-days"
            name="expires_in_days"
            type="number"
            inputmode="numeric"
            min="1"
            max=${API_KEY_MAX_DAYS}
            step="1"
            aria-invalid=${invalid('days')}
            aria-describedby="api-key-days-hint api-key-create-error"
          />
          <p class="hint" id="api-key-days-hint">${t('account.keyDaysHint', { max: formatNumber(API_KEY_MAX_DAYS, locale) })}</p>
        </div>
        <div class="form-error" id="api-key-create-error" role="alert" aria-live="assertive">${this.createError}</div>
        <div class="form-actions">
          <button type="submit" class="button" ?disabled=${this.createBusy} data-action="create-key">
            ${this.createBusy ? t('common.saving') : t('account.createKey')}
          </button>
        </div>
      </form>
    </section>`;
  }

  private renderRevokeDialog(): TemplateResult {
    const key = this.pendingRevoke;
    return html`<dialog
      id="revoke-dialog"
      class="dialog"
      aria-labelledby="revoke-dialog-heading"
      aria-describedby="revoke-dialog-body"
      @close=${() => this.onDialogClose()}
    >
      <h2 id="revoke-dialog-heading">${t('account.revokeConfirmHeading')}</h2>
      <p id="revoke-dialog-body">${key ? t('account.revokeConfirmBody', { name: key.name }) : ''}</p>
      <div class="form-error" role="alert" aria-live="assertive">${this.revokeError}</div>
      <div class="form-actions">
        <button type="button" class="button button-secondary" autofocus @click=${() => this.dialog()?.close()}>${t('common.cancel')}</button>
        <button type="button" class="button button-danger-solid" data-action="confirm-revoke" ?disabled=${this.revokeBusy} @click=${() => void this.confirmRevoke()}>
          ${this.revokeBusy ? t('common.saving') : t('account.revokeConfirm')}
        </button>
      </div>
    </dialog>`;
  }

  override render(): TemplateResult {
    if (!session.me) return html``;
    return html`<div class="page">
      <h1 tabindex="-1">${t('account.title')}</h1>
      <div class="grid-2">${this.renderProfile()} ${this.renderPassword()}</div>
      <div class="section-gap">${this.renderKeys()}</div>
      ${this.renderRevokeDialog()}
    </div>`;
  }
}

customElements.define('cityos-account-page', AccountPage);
