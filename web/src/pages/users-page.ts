import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { listStatus, pager } from '../components/list-frame';
import { announce } from '../announcer';
import { describeError } from '../api/errors';
import type { Agency, Grant, Items, Jurisdiction, Page, Role, Scope, User } from '../api/types';
import { getLocale, t } from '../i18n';
import { compareText, formatDateTime } from '../i18n/format';
import { roleLabel, scopeLabel } from '../labels';
import { divisionCategory } from '../map/division';
import { session } from '../session';

const PER_PAGE = 20;
/** The roles CityOS defines; used when the role list cannot be read. */
const KNOWN_ROLES = ['admin', 'agency_admin', 'data_officer', 'operator', 'staff', 'analyst', 'auditor', 'viewer'];

type ScopeKind = Scope['kind'];

/** Users: paginated list with search, creation, and role grants with a scope. */
export class UsersPage extends ConsoleElement {
  static override properties = {
    users: { state: true },
    total: { state: true },
    page: { state: true },
    query: { state: true },
    loading: { state: true },
    listError: { state: true },
    agencies: { state: true },
    roles: { state: true },
    jurisdictions: { state: true },
    selectedId: { state: true },
    createError: { state: true },
    createBusy: { state: true },
    grantError: { state: true },
    grantBusy: { state: true },
    scopeKind: { state: true },
    grantRole: { state: true },
  };

  users: User[] = [];
  total = 0;
  page = 1;
  query = '';
  loading = true;
  listError = '';
  agencies: Agency[] = [];
  roles: Role[] = [];
  jurisdictions: Jurisdiction[] = [];
  selectedId: string | null = null;
  createError = '';
  createBusy = false;
  grantError = '';
  grantBusy = false;
  scopeKind: ScopeKind = 'city';
  grantRole = '';

  override connectedCallback(): void {
    super.connectedCallback();
    void this.loadUsers();
    void this.loadReferenceData();
  }

  private async loadUsers(): Promise<void> {
    this.loading = true;
    try {
      const response = await session.api.get<Page<User>>('/api/identity/users', {
        query: { page: this.page, per_page: PER_PAGE, q: this.query },
      });
      this.users = response.items;
      this.total = response.total;
      this.listError = '';
    } catch (error) {
      this.listError = describeError(error);
    } finally {
      this.loading = false;
    }
  }

  /** Agencies, roles and jurisdictions feed the forms; a failure here leaves the list usable. */
  private async loadReferenceData(): Promise<void> {
    const [agencies, roles, jurisdictions] = await Promise.allSettled([
      session.api.get<Items<Agency>>('/api/identity/agencies'),
      session.api.get<Items<Role>>('/api/identity/roles'),
      session.api.get<Items<Jurisdiction>>('/api/jurisdictions'),
    ]);
    if (agencies.status === 'fulfilled') this.agencies = agencies.value.items;
    if (roles.status === 'fulfilled') this.roles = roles.value.items;
    if (jurisdictions.status === 'fulfilled') this.jurisdictions = jurisdictions.value.items;
  }

  private get pages(): number {
    return Math.max(1, Math.ceil(this.total / PER_PAGE));
  }

  private goToPage(page: number): void {
    this.page = Math.min(Math.max(1, page), this.pages);
    void this.loadUsers();
  }

  private onSearch(event: SubmitEvent): void {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    this.query = String(data.get('q') ?? '').trim();
    this.page = 1;
    void this.loadUsers();
  }

  private agencyName(code: string | null): string {
    if (!code) return t('common.none');
    const agency = this.agencies.find((a) => a.code === code);
    if (!agency) return code;
    return getLocale() === 'vi' ? agency.name_vi : agency.name_en;
  }

  private scopeNames(): Map<string, string> {
    const names = new Map<string, string>();
    for (const agency of this.agencies) names.set(`agency:${agency.code}`, getLocale() === 'vi' ? agency.name_vi : agency.name_en);
    for (const unit of this.jurisdictions) names.set(`jurisdiction:${unit.code}`, unit.name);
    return names;
  }

  /** The catalogue's name of a role; the API's name for a role the catalogue does not know yet. */
  private roleName(role: string): string {
    const fromApi = this.roles.find((r) => r.role === role);
    const apiName = fromApi ? (getLocale() === 'vi' ? fromApi.name_vi : fromApi.name_en) : role;
    return roleLabel(role, apiName);
  }

  /** The server's description of a role, in the current language (empty when unknown). */
  private roleDescription(role: string): string {
    const fromApi = this.roles.find((r) => r.role === role);
    if (!fromApi) return '';
    const description = getLocale() === 'vi' ? fromApi.description_vi : fromApi.description_en;
    return fromApi.requires_mfa ? `${description} ${t('users.roleNeedsMfa')}`.trim() : description;
  }

  private async onCreate(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const username = String(data.get('username') ?? '').trim();
    const displayName = String(data.get('display_name') ?? '').trim();
    const password = String(data.get('password') ?? '');
    const agencyCode = String(data.get('agency_code') ?? '');
    if (!username || !displayName || !password) {
      this.createError = t('error.validation');
      return;
    }
    this.createBusy = true;
    this.createError = '';
    try {
      await session.api.post<User>('/api/identity/users', {
        username,
        display_name: displayName,
        password,
        ...(agencyCode ? { agency_code: agencyCode } : {}),
      });
      form.reset();
      announce(t('users.created', { username }));
      await this.loadUsers();
    } catch (error) {
      this.createError = describeError(error);
    } finally {
      this.createBusy = false;
    }
  }

  private async openGrants(user: User): Promise<void> {
    this.selectedId = user.id;
    this.grantError = '';
    this.scopeKind = 'city';
    this.grantRole = '';
    await this.updateComplete;
    this.querySelector<HTMLElement>('#grants-heading')?.focus();
  }

  private async onGrant(event: SubmitEvent, user: User): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const role = String(data.get('role') ?? '');
    const code = String(data.get('scope_code') ?? '');
    if (!role || (this.scopeKind !== 'city' && !code)) {
      this.grantError = t('error.validation');
      return;
    }
    const scope: Scope = this.scopeKind === 'city' ? { kind: 'city' } : { kind: this.scopeKind, code };
    this.grantBusy = true;
    this.grantError = '';
    try {
      await session.api.post<Grant>(`/api/identity/users/${encodeURIComponent(user.id)}/grants`, { role, scope });
      announce(t('users.granted', { role: this.roleName(role) }));
      await this.loadUsers();
    } catch (error) {
      this.grantError = describeError(error);
    } finally {
      this.grantBusy = false;
    }
  }

  private async revoke(user: User, grant: Grant): Promise<void> {
    this.grantError = '';
    try {
      await session.api.delete(`/api/identity/users/${encodeURIComponent(user.id)}/grants/${encodeURIComponent(grant.id)}`);
      announce(t('users.revoked', { role: this.roleName(grant.role) }));
      await this.loadUsers();
      this.querySelector<HTMLElement>('#grants-heading')?.focus();
    } catch (error) {
      this.grantError = describeError(error);
    }
  }

  private renderList(): TemplateResult {
    const locale = getLocale();
    const names = this.scopeNames();
    return html`<section aria-labelledby="users-list-heading">
      <h2 id="users-list-heading">${t('users.listHeading')}</h2>
      <form class="search-form" role="search" @submit=${(e: SubmitEvent) => this.onSearch(e)}>
        <label for="users-q">${t('users.searchLabel')}</label>
        <input id="users-q" name="q" type="search" .value=${this.query} />
        <button type="submit" class="button button-secondary">${t('users.searchButton')}</button>
      </form>
      ${listStatus({ error: this.listError, loading: this.loading, total: this.total })}
      <div class="table-scroll">
        <table class="data-table" id="users-table">
          <caption class="visually-hidden">${t('users.listHeading')}</caption>
          <thead>
            <tr>
              <th scope="col">${t('users.colUsername')}</th>
              <th scope="col">${t('users.colName')}</th>
              <th scope="col">${t('users.colAgency')}</th>
              <th scope="col">${t('users.colMfa')}</th>
              <th scope="col">${t('users.colLocked')}</th>
              <th scope="col">${t('users.colRoles')}</th>
              <th scope="col">${t('users.colActions')}</th>
            </tr>
          </thead>
          <tbody>
            ${this.users.length === 0 && !this.loading
              ? html`<tr>
                  <td colspan="7">${t('users.empty')}</td>
                </tr>`
              : nothing}
            ${this.users.map(
              (user) => html`<tr data-user=${user.username} class=${user.id === this.selectedId ? 'selected' : ''}>
                <th scope="row">${user.username}</th>
                <td>${user.display_name}</td>
                <td>${this.agencyName(user.agency_code)}</td>
                <td>${user.mfa_enabled ? t('common.yes') : t('common.no')}</td>
                <td>
                  ${user.locked_until
                    ? html`<time datetime=${user.locked_until}>${formatDateTime(user.locked_until, locale)}</time>`
                    : t('common.none')}
                </td>
                <td>
                  ${user.grants.length === 0
                    ? t('common.none')
                    : html`<ul class="plain-list">
                        ${user.grants.map((grant) => html`<li>${this.roleName(grant.role)} — ${scopeLabel(grant.scope, names)}</li>`)}
                      </ul>`}
                </td>
                <td>
                  <button
                    type="button"
                    class="button button-small button-secondary"
                    aria-label=${t('users.manageGrantsFor', { name: user.display_name })}
                    aria-controls="grants-panel"
                    aria-expanded=${user.id === this.selectedId ? 'true' : 'false'}
                    @click=${() => void this.openGrants(user)}
                  >
                    ${t('users.manageGrants')}
                  </button>
                </td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${pager({ label: t('users.pagination'), page: this.page, pages: this.pages, loading: this.loading, go: (page) => this.goToPage(page) })}
    </section>`;
  }

  private renderGrants(): TemplateResult | typeof nothing {
    const user = this.users.find((u) => u.id === this.selectedId);
    if (!user) return nothing;
    const locale = getLocale();
    const names = this.scopeNames();
    const roles = this.roles.length > 0 ? this.roles.map((r) => r.role) : KNOWN_ROLES;
    const agencies = [...this.agencies].sort((a, b) =>
      compareText(locale === 'vi' ? a.name_vi : a.name_en, locale === 'vi' ? b.name_vi : b.name_en, locale),
    );
    const units = this.jurisdictions
      .filter((j) => divisionCategory(j.division_type) !== 'city' || j.parent_code === null)
      .sort((a, b) => compareText(a.name, b.name, locale));
    return html`<section class="card" id="grants-panel" aria-labelledby="grants-heading">
      <h2 id="grants-heading" tabindex="-1">${t('users.manageGrantsFor', { name: user.display_name })}</h2>
      <h3>${t('users.grantsHeading')}</h3>
      ${user.grants.length === 0
        ? html`<p>${t('users.noGrants')}</p>`
        : html`<ul class="grant-list">
            ${user.grants.map((grant) => {
              const scope = scopeLabel(grant.scope, names);
              return html`<li>
                <span>${this.roleName(grant.role)} — ${scope}</span>
                <button
                  type="button"
                  class="button button-small button-danger"
                  aria-label=${t('users.revokeLabel', { role: this.roleName(grant.role), scope })}
                  @click=${() => void this.revoke(user, grant)}
                >
                  ${t('users.revoke')}
                </button>
              </li>`;
            })}
          </ul>`}
      <h3>${t('users.grantHeading')}</h3>
      <form class="form" novalidate @submit=${(e: SubmitEvent) => void this.onGrant(e, user)}>
        <div class="field">
          <label for="grant-role">${t('users.role')}</label>
          <select
            id="grant-role"
            name="role"
            required
            aria-describedby="grant-role-hint"
            @change=${(e: Event) => (this.grantRole = (e.target as HTMLSelectElement).value)}
          >
            <option value="">${t('users.chooseOne')}</option>
            ${roles.map((role) => html`<option value=${role} ?selected=${role === this.grantRole}>${this.roleName(role)}</option>`)}
          </select>
          <p class="hint" id="grant-role-hint">${this.roleDescription(this.grantRole)}</p>
        </div>
        <div class="field">
          <label for="grant-scope-kind">${t('scope.kind')}</label>
          <select
            id="grant-scope-kind"
            name="scope_kind"
            .value=${this.scopeKind}
            @change=${(e: Event) => (this.scopeKind = (e.target as HTMLSelectElement).value as ScopeKind)}
          >
            <option value="city" ?selected=${this.scopeKind === 'city'}>${t('scope.kindCity')}</option>
            <option value="agency" ?selected=${this.scopeKind === 'agency'}>${t('scope.kindAgency')}</option>
            <option value="jurisdiction" ?selected=${this.scopeKind === 'jurisdiction'}>${t('scope.kindJurisdiction')}</option>
          </select>
        </div>
        ${this.scopeKind === 'agency'
          ? html`<div class="field">
              <label for="grant-scope-code">${t('users.scopeCodeAgency')}</label>
              <select id="grant-scope-code" name="scope_code" required>
                <option value="">${t('users.chooseOne')}</option>
                ${agencies.map(
                  (a) => html`<option value=${a.code}>${locale === 'vi' ? a.name_vi : a.name_en} (${a.code})</option>`,
                )}
              </select>
            </div>`
          : nothing}
        ${this.scopeKind === 'jurisdiction'
          ? html`<div class="field">
              <label for="grant-scope-code">${t('users.scopeCodeJurisdiction')}</label>
              <select id="grant-scope-code" name="scope_code" required>
                <option value="">${t('users.chooseOne')}</option>
                ${units.map((j) => html`<option value=${j.code} lang="vi">${j.name} (${j.code})</option>`)}
              </select>
            </div>`
          : nothing}
        <div class="form-error" role="alert" aria-live="assertive">${this.grantError}</div>
        <div class="form-actions">
          <button type="submit" class="button" ?disabled=${this.grantBusy}>
            ${this.grantBusy ? t('common.saving') : t('users.grant')}
          </button>
          <button type="button" class="button button-secondary" @click=${() => (this.selectedId = null)}>${t('common.close')}</button>
        </div>
      </form>
    </section>`;
  }

  private renderCreate(): TemplateResult {
    const locale = getLocale();
    const agencies = [...this.agencies].sort((a, b) =>
      compareText(locale === 'vi' ? a.name_vi : a.name_en, locale === 'vi' ? b.name_vi : b.name_en, locale),
    );
    return html`<section class="card" aria-labelledby="users-create-heading">
      <h2 id="users-create-heading">${t('users.createHeading')}</h2>
      <form class="form" novalidate @submit=${(e: SubmitEvent) => void this.onCreate(e)}>
        <div class="field">
          <label for="new-username">${t('users.username')} <span class="required">${t('common.required')}</span></label>
          <input
            id="new-username"
            name="username"
            type="text"
            autocomplete="off"
            autocapitalize="none"
            spellcheck="false"
            required
            aria-describedby="new-username-hint"
          />
          <p class="hint" id="new-username-hint">${t('users.usernameHint')}</p>
        </div>
        <div class="field">
          <label for="new-display-name">${t('users.displayName')} <span class="required">${t('common.required')}</span></label>
          <input id="new-display-name" name="display_name" type="text" autocomplete="off" required />
        </div>
        <div class="field">
          <label for="new-password">${t('users.password')} <span class="required">${t('common.required')}</span></label>
          <input id="new-password" name="password" type="password" autocomplete="new-password" required aria-describedby="new-password-hint" />
          <p class="hint" id="new-password-hint">${t('users.passwordHint')}</p>
        </div>
        <div class="field">
          <label for="new-agency">${t('users.agency')} <span class="optional">${t('common.optional')}</span></label>
          <select id="new-agency" name="agency_code">
            <option value="">${t('users.noAgency')}</option>
            ${agencies.map((a) => html`<option value=${a.code}>${locale === 'vi' ? a.name_vi : a.name_en} (${a.code})</option>`)}
          </select>
        </div>
        <div class="form-error" role="alert" aria-live="assertive">${this.createError}</div>
        <div class="form-actions">
          <button type="submit" class="button" ?disabled=${this.createBusy}>
            ${this.createBusy ? t('common.saving') : t('common.create')}
          </button>
        </div>
      </form>
    </section>`;
  }

  override render(): TemplateResult {
    return html`<div class="page page-wide">
      <h1 tabindex="-1">${t('users.title')}</h1>
      ${this.renderList()} ${this.renderGrants()} ${this.renderCreate()}
    </div>`;
  }
}

customElements.define('cityos-users-page', UsersPage);
