import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { announce } from '../announcer';
import { describeError } from '../api/errors';
import { getLocale, t, type MessageKey } from '../i18n';
import { compareText, formatDateTime, formatNumber, hcmcDayKey } from '../i18n/format';
import { pager } from '../components/list-frame';
import { session } from '../session';
import { loadAgencyNames } from './sharing';
import { managedAgencies } from './model';
import { DataNames } from './names';
import {
  REST_METHODS,
  checkGrant,
  checkService,
  exchanges,
  outcomeKey,
  outcomeTone,
  type FieldProblems,
  type GatewayGrant,
  type GatewayLogPage,
  type GatewayService,
  type GrantDraft,
  type LogVerdict,
  type ServiceDraft,
  type ServiceKind,
} from './gateway-model';

const LOG_PER_PAGE = 50;
const GRANT_STATE_KEYS: Record<GatewayGrant['state'], MessageKey> = {
  active: 'gateway.grantActive',
  expired: 'gateway.grantExpired',
  revoked: 'gateway.grantRevoked',
};

function emptyService(owner: string): ServiceDraft {
  return {
    code: '',
    owner_agency: owner,
    name_vi: '',
    name_en: '',
    description_vi: '',
    kind: 'rest',
    base_url: '',
    methods: ['GET'],
    operations: '',
    timeout_ms: '',
    rate_limit_per_minute: '',
    auth_header: '',
    auth_secret: '',
  };
}

const emptyGrant = (): GrantDraft => ({ consumer_agency: '', operations: '', purpose: '', until: '' });

/**
 * The interoperability gateway (LGSP) in the data hub console: the services
 * registered, a form to register a REST or SOAP service (data officers and
 * agency administrators of the owner agency), the consumer agencies granted
 * each service with grant and revoke, and the signed exchange log — its
 * integrity checked on demand by auditors. The server decides who may do
 * what; the page offers only what the viewer's roles allow.
 */
export class GatewayPanel extends ConsoleElement {
  static override properties = {
    names: { state: true },
    services: { state: true },
    servicesError: { state: true },
    selected: { state: true },
    grants: { state: true },
    grantsError: { state: true },
    registering: { state: true },
    serviceDraft: { state: true },
    serviceProblems: { state: true },
    serviceError: { state: true },
    grantDraft: { state: true },
    grantProblems: { state: true },
    grantError: { state: true },
    confirmRevoke: { state: true },
    log: { state: true },
    logPage: { state: true },
    logError: { state: true },
    verdict: { state: true },
    verifyError: { state: true },
    busy: { state: true },
  };

  names = new DataNames();
  services: GatewayService[] | null = null;
  servicesError = '';
  selected = '';
  grants: GatewayGrant[] | null = null;
  grantsError = '';
  registering = false;
  serviceDraft: ServiceDraft = emptyService('');
  serviceProblems: FieldProblems<keyof ServiceDraft> = {};
  serviceError = '';
  grantDraft: GrantDraft = emptyGrant();
  grantProblems: FieldProblems<keyof GrantDraft> = {};
  grantError = '';
  confirmRevoke = '';
  log: GatewayLogPage | null = null;
  logPage = 1;
  logError = '';
  verdict: LogVerdict | null = null;
  verifyError = '';
  busy = false;

  override connectedCallback(): void {
    super.connectedCallback();
    void loadAgencyNames().then((names) => (this.names = names));
    void this.loadServices();
    void this.loadLog();
  }

  /** Agencies whose services the viewer manages (`null`: every agency). */
  private get managed(): string[] | null {
    return managedAgencies(session.me);
  }

  private mayManage(agency: string): boolean {
    const managed = this.managed;
    return managed === null || managed.includes(agency);
  }

  private get service(): GatewayService | undefined {
    return this.services?.find((s) => s.code === this.selected);
  }

  private async loadServices(): Promise<void> {
    try {
      this.services = await session.api.get<GatewayService[]>('/api/datahub/gateway/services');
      this.servicesError = '';
      if (this.selected && !this.services.some((s) => s.code === this.selected)) this.selected = '';
    } catch (error) {
      this.services = null;
      this.servicesError = describeError(error);
    }
  }

  private async loadGrants(): Promise<void> {
    const code = this.selected;
    if (!code) return;
    try {
      const grants = await session.api.get<GatewayGrant[]>(`/api/datahub/gateway/services/${encodeURIComponent(code)}/grants`);
      if (code !== this.selected) return;
      this.grants = grants;
      this.grantsError = '';
    } catch (error) {
      this.grants = null;
      this.grantsError = describeError(error);
    }
  }

  private async loadLog(): Promise<void> {
    try {
      this.log = await session.api.get<GatewayLogPage>('/api/datahub/gateway/log', {
        query: { service: this.selected, page: this.logPage, per_page: LOG_PER_PAGE },
      });
      this.logError = '';
    } catch (error) {
      this.log = null;
      this.logError = describeError(error);
    }
  }

  private select(code: string): void {
    this.selected = code;
    this.grants = null;
    this.grantDraft = emptyGrant();
    this.grantProblems = {};
    this.grantError = '';
    this.confirmRevoke = '';
    this.logPage = 1;
    void this.loadGrants();
    void this.loadLog();
    void this.updateComplete.then(() => this.querySelector<HTMLElement>('#gateway-service-heading')?.focus());
  }

  private openRegistration(): void {
    const managed = this.managed;
    const own = session.me?.agency?.code ?? '';
    const owner = managed === null ? own : managed.includes(own) ? own : (managed[0] ?? '');
    this.serviceDraft = emptyService(owner);
    this.serviceProblems = {};
    this.serviceError = '';
    this.registering = true;
    void this.updateComplete.then(() => this.querySelector<HTMLElement>('#gateway-code')?.focus());
  }

  private serviceDraftFrom(form: HTMLFormElement): ServiceDraft {
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? '');
    return {
      code: text('code'),
      owner_agency: text('owner_agency'),
      name_vi: text('name_vi'),
      name_en: text('name_en'),
      description_vi: text('description_vi'),
      kind: (text('kind') || 'rest') as ServiceKind,
      base_url: text('base_url'),
      methods: data.getAll('methods').map(String),
      operations: text('operations'),
      timeout_ms: text('timeout_ms'),
      rate_limit_per_minute: text('rate_limit_per_minute'),
      auth_header: text('auth_header'),
      auth_secret: text('auth_secret'),
    };
  }

  private async onRegister(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    this.serviceDraft = this.serviceDraftFrom(form);
    const { body, problems } = checkService(this.serviceDraft);
    this.serviceProblems = problems;
    if (!body) {
      this.serviceError = t('gateway.fixFields');
      await this.updateComplete;
      this.querySelector<HTMLElement>('#gateway-register [aria-invalid="true"]')?.focus();
      return;
    }
    this.busy = true;
    try {
      const created = await session.api.post<GatewayService>('/api/datahub/gateway/services', body);
      this.registering = false;
      this.serviceError = '';
      await this.loadServices();
      announce(t('gateway.registered', { code: created.code }));
      this.select(created.code);
    } catch (error) {
      this.serviceError = describeError(error);
    } finally {
      this.busy = false;
    }
  }

  private async onGrant(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const service = this.service;
    if (!service) return;
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => String(data.get(name) ?? '');
    this.grantDraft = { consumer_agency: text('consumer_agency'), operations: text('operations'), purpose: text('purpose'), until: text('until') };
    const { body, problems } = checkGrant(this.grantDraft, service.owner_agency, hcmcDayKey(Date.now()));
    this.grantProblems = problems;
    if (!body) {
      this.grantError = t('gateway.fixFields');
      await this.updateComplete;
      this.querySelector<HTMLElement>('#gateway-grant [aria-invalid="true"]')?.focus();
      return;
    }
    this.busy = true;
    try {
      await session.api.post<GatewayGrant>(`/api/datahub/gateway/services/${encodeURIComponent(service.code)}/grants`, body);
      this.grantDraft = emptyGrant();
      this.grantError = '';
      await this.loadGrants();
      announce(t('gateway.granted', { agency: this.names.agency(body.consumer_agency, getLocale()) }));
    } catch (error) {
      this.grantError = describeError(error);
    } finally {
      this.busy = false;
    }
  }

  private async revoke(grant: GatewayGrant): Promise<void> {
    this.busy = true;
    try {
      await session.api.delete(`/api/datahub/gateway/services/${encodeURIComponent(grant.service_code)}/grants/${encodeURIComponent(grant.id)}`);
      this.confirmRevoke = '';
      this.grantsError = '';
      await this.loadGrants();
      announce(t('gateway.revoked', { agency: this.names.agency(grant.consumer_agency, getLocale()) }));
      void this.updateComplete.then(() => this.querySelector<HTMLElement>('#gateway-grants-heading')?.focus());
    } catch (error) {
      this.grantsError = describeError(error);
    } finally {
      this.busy = false;
    }
  }

  private async verify(): Promise<void> {
    this.busy = true;
    try {
      this.verdict = await session.api.get<LogVerdict>('/api/datahub/gateway/log/verify');
      this.verifyError = '';
    } catch (error) {
      this.verdict = null;
      this.verifyError = describeError(error);
    } finally {
      this.busy = false;
    }
  }

  private problem<F extends string>(problems: FieldProblems<F>, field: F, id: string): TemplateResult | typeof nothing {
    const key = problems[field];
    return key ? html`<p class="field-error" id="${id}-error" data-error-for=${field}>${t(key)}</p>` : nothing;
  }

  private fieldAttrs<F extends string>(problems: FieldProblems<F>, field: F, id: string, hint = false): { invalid: 'true' | 'false'; describedBy: string } {
    const ids = [hint ? `${id}-hint` : '', problems[field] ? `${id}-error` : ''].filter(Boolean);
    return { invalid: problems[field] ? 'true' : 'false', describedBy: ids.join(' ') };
  }

  private textField(name: keyof ServiceDraft, label: MessageKey, opts: { hint?: MessageKey; type?: string; lang?: string; required?: boolean } = {}): TemplateResult {
    const id = `gateway-${name.replace(/_/g, '-')}`;
    const a = this.fieldAttrs(this.serviceProblems, name, id, !!opts.hint);
    const value = this.serviceDraft[name];
    return html`<div class="field">
      <label for=${id}>${t(label)}${opts.required ? html` <span aria-hidden="true">*</span>` : nothing}</label>
      ${opts.hint ? html`<p class="hint" id="${id}-hint">${t(opts.hint)}</p>` : nothing}
      <input
        id=${id}
        name=${name}
        type=${opts.type ?? 'text'}
        lang=${opts.lang ?? nothing}
        autocomplete="off"
        ?required=${opts.required}
        .value=${typeof value === 'string' ? value : ''}
        aria-invalid=${a.invalid}
        aria-describedby=${a.describedBy || nothing}
      />
      ${this.problem(this.serviceProblems, name, id)}
    </div>`;
  }

  private agencyOptions(codes: string[], chosen: string, exclude = ''): TemplateResult[] {
    const locale = getLocale();
    return codes
      .filter((c) => c !== exclude)
      .sort((a, b) => compareText(this.names.agency(a, locale), this.names.agency(b, locale), locale))
      .map((code) => html`<option value=${code} ?selected=${code === chosen}>${this.names.agency(code, locale)}</option>`);
  }

  private renderRegistration(): TemplateResult {
    const d = this.serviceDraft;
    const p = this.serviceProblems;
    const managed = this.managed;
    const owners = managed ?? this.names.agencyCodes();
    const owner = this.fieldAttrs(p, 'owner_agency', 'gateway-owner');
    const methods = this.fieldAttrs(p, 'methods', 'gateway-methods');
    return html`<form class="form" id="gateway-register" aria-labelledby="gateway-register-heading" novalidate @submit=${(e: SubmitEvent) => this.onRegister(e)}>
      <h3 id="gateway-register-heading">${t('gateway.registerHeading')}</h3>
      <p class="hint">${t('gateway.registerIntro')}</p>
      <div class="datahub-form-grid">
        ${this.textField('code', 'gateway.code', { hint: 'gateway.codeHint', required: true })}
        <div class="field">
          <label for="gateway-owner">${t('gateway.owner')} <span aria-hidden="true">*</span></label>
          <select id="gateway-owner" name="owner_agency" required aria-invalid=${owner.invalid} aria-describedby=${owner.describedBy || nothing}>
            <option value="" ?selected=${d.owner_agency === ''}>${t('gateway.chooseAgency')}</option>
            ${d.owner_agency && !owners.includes(d.owner_agency) ? html`<option value=${d.owner_agency} selected>${d.owner_agency}</option>` : nothing}
            ${this.agencyOptions(owners, d.owner_agency)}
          </select>
          ${this.problem(p, 'owner_agency', 'gateway-owner')}
        </div>
        ${this.textField('name_vi', 'gateway.nameVi', { lang: 'vi', required: true })} ${this.textField('name_en', 'gateway.nameEn', { lang: 'en' })}
      </div>
      <div class="field">
        <label for="gateway-description-vi">${t('gateway.descriptionVi')}</label>
        <textarea id="gateway-description-vi" name="description_vi" rows="2" lang="vi" .value=${d.description_vi}></textarea>
      </div>
      <fieldset class="field">
        <legend>${t('gateway.kind')}</legend>
        <div class="radio-inline">
          ${(['rest', 'soap'] as const).map(
            (k) => html`<div class="radio-field">
              <input
                id="gateway-kind-${k}"
                type="radio"
                name="kind"
                value=${k}
                .checked=${d.kind === k}
                @change=${() => (this.serviceDraft = { ...this.serviceDraft, ...this.serviceDraftFrom(this.querySelector('#gateway-register') as HTMLFormElement), kind: k })}
              />
              <label for="gateway-kind-${k}">${t(k === 'rest' ? 'gateway.kindRest' : 'gateway.kindSoap')}</label>
            </div>`,
          )}
        </div>
      </fieldset>
      ${this.textField('base_url', 'gateway.baseUrl', { hint: 'gateway.baseUrlHint', type: 'url', required: true })}
      ${d.kind === 'rest'
        ? html`<fieldset class="field" aria-invalid=${methods.invalid} aria-describedby=${methods.describedBy || nothing}>
            <legend>${t('gateway.methods')}</legend>
            <div class="radio-inline">
              ${REST_METHODS.map(
                (m) => html`<div class="checkbox-field">
                  <input id="gateway-method-${m}" type="checkbox" name="methods" value=${m} .checked=${d.methods.includes(m)} />
                  <label for="gateway-method-${m}">${m}</label>
                </div>`,
              )}
            </div>
            ${this.problem(p, 'methods', 'gateway-methods')}
          </fieldset>`
        : html`<div class="field">
            <label for="gateway-operations">${t('gateway.operations')}</label>
            <p class="hint" id="gateway-operations-hint">${t('gateway.operationsHint')}</p>
            <textarea
              id="gateway-operations"
              name="operations"
              rows="3"
              .value=${d.operations}
              aria-invalid=${p.operations ? 'true' : 'false'}
              aria-describedby=${p.operations ? 'gateway-operations-hint gateway-operations-error' : 'gateway-operations-hint'}
            ></textarea>
            ${this.problem(p, 'operations', 'gateway-operations')}
          </div>`}
      <div class="datahub-form-grid">
        ${this.textField('timeout_ms', 'gateway.timeout', { hint: 'gateway.timeoutHint', type: 'text' })}
        ${this.textField('rate_limit_per_minute', 'gateway.rate', { hint: 'gateway.rateHint', type: 'text' })}
        ${this.textField('auth_header', 'gateway.authHeader', { hint: 'gateway.authHeaderHint' })}
        ${this.textField('auth_secret', 'gateway.authSecret', { type: 'password' })}
      </div>
      <div class="form-error" role="alert">${this.serviceError}</div>
      <div class="form-actions">
        <button type="submit" class="button" ?disabled=${this.busy}>${t('gateway.register')}</button>
        <button type="button" class="button button-secondary" @click=${() => (this.registering = false)}>${t('common.cancel')}</button>
      </div>
    </form>`;
  }

  private renderServices(): TemplateResult {
    const locale = getLocale();
    const services = this.services ?? [];
    const canRegister = this.managed === null || (this.managed?.length ?? 0) > 0;
    return html`<section aria-labelledby="gateway-services-heading">
      <div class="section-head">
        <h2 id="gateway-services-heading">${t('gateway.servicesHeading')}</h2>
        ${canRegister && !this.registering
          ? html`<button type="button" class="button" data-action="register-service" @click=${() => this.openRegistration()}>${t('gateway.registerHeading')}</button>`
          : nothing}
      </div>
      <p class="hint">${t('gateway.intro')}</p>
      <div class="form-error" role="alert">${this.servicesError}</div>
      ${this.registering ? this.renderRegistration() : nothing}
      <div class="table-scroll">
        <table class="data-table datahub-table" id="gateway-services">
          <caption class="visually-hidden">${t('gateway.servicesHeading')}</caption>
          <thead>
            <tr>
              <th scope="col">${t('gateway.name')}</th>
              <th scope="col">${t('gateway.code')}</th>
              <th scope="col">${t('gateway.kind')}</th>
              <th scope="col">${t('gateway.owner')}</th>
              <th scope="col">${t('gateway.state')}</th>
              <th scope="col"><span class="visually-hidden">${t('gateway.actions')}</span></th>
            </tr>
          </thead>
          <tbody>
            ${this.services && services.length === 0
              ? html`<tr>
                  <td colspan="6">${t('gateway.servicesEmpty')}</td>
                </tr>`
              : nothing}
            ${services.map((s) => {
              const name = locale === 'en' && s.name_en ? s.name_en : s.name_vi;
              return html`<tr data-code=${s.code} aria-current=${s.code === this.selected ? 'true' : nothing}>
                <th scope="row" lang=${locale === 'en' && s.name_en ? 'en' : 'vi'}>${name}</th>
                <td><code>${s.code}</code></td>
                <td>${s.kind === 'rest' ? 'REST' : 'SOAP'}</td>
                <td>${this.names.agency(s.owner_agency, locale)}</td>
                <td>${t(s.state === 'active' ? 'gateway.stateActive' : 'gateway.stateSuspended')}</td>
                <td>
                  <button type="button" class="button button-secondary button-small" @click=${() => this.select(s.code)} aria-label=${t('gateway.openService', { name })}>
                    ${t('gateway.open')}
                  </button>
                </td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
    </section>`;
  }

  private renderGrantForm(service: GatewayService): TemplateResult {
    const d = this.grantDraft;
    const p = this.grantProblems;
    const consumer = this.fieldAttrs(p, 'consumer_agency', 'gateway-consumer');
    const purpose = this.fieldAttrs(p, 'purpose', 'gateway-purpose');
    const until = this.fieldAttrs(p, 'until', 'gateway-until', true);
    return html`<form class="form" id="gateway-grant" aria-labelledby="gateway-grant-heading" novalidate @submit=${(e: SubmitEvent) => this.onGrant(e)}>
      <h4 id="gateway-grant-heading">${t('gateway.grantHeading')}</h4>
      <div class="datahub-form-grid">
        <div class="field">
          <label for="gateway-consumer">${t('gateway.consumer')} <span aria-hidden="true">*</span></label>
          <select id="gateway-consumer" name="consumer_agency" required aria-invalid=${consumer.invalid} aria-describedby=${consumer.describedBy || nothing}>
            <option value="" ?selected=${d.consumer_agency === ''}>${t('gateway.chooseAgency')}</option>
            ${this.agencyOptions(this.names.agencyCodes(), d.consumer_agency, service.owner_agency)}
          </select>
          ${this.problem(p, 'consumer_agency', 'gateway-consumer')}
        </div>
        <div class="field">
          <label for="gateway-until">${t('gateway.until')}</label>
          <p class="hint" id="gateway-until-hint">${t('gateway.untilHint')}</p>
          <input id="gateway-until" name="until" type="date" .value=${d.until} aria-invalid=${until.invalid} aria-describedby=${until.describedBy} />
          ${this.problem(p, 'until', 'gateway-until')}
        </div>
      </div>
      <div class="field">
        <label for="gateway-purpose">${t('gateway.purpose')} <span aria-hidden="true">*</span></label>
        <textarea id="gateway-purpose" name="purpose" rows="2" lang="vi" required .value=${d.purpose} aria-invalid=${purpose.invalid} aria-describedby=${purpose.describedBy || nothing}></textarea>
        ${this.problem(p, 'purpose', 'gateway-purpose')}
      </div>
      <div class="field">
        <label for="gateway-grant-operations">${t('gateway.grantOperations')}</label>
        <p class="hint" id="gateway-grant-operations-hint">${t(service.kind === 'rest' ? 'gateway.grantOperationsRest' : 'gateway.grantOperationsSoap')}</p>
        <textarea id="gateway-grant-operations" name="operations" rows="2" .value=${d.operations} aria-describedby="gateway-grant-operations-hint"></textarea>
      </div>
      <div class="form-error" role="alert">${this.grantError}</div>
      <div class="form-actions">
        <button type="submit" class="button" ?disabled=${this.busy}>${t('gateway.grant')}</button>
      </div>
    </form>`;
  }

  private renderService(service: GatewayService): TemplateResult {
    const locale = getLocale();
    const none = t('common.none');
    const manage = this.mayManage(service.owner_agency);
    const grants = this.grants ?? [];
    return html`<section aria-labelledby="gateway-service-heading" class="gateway-service" data-service=${service.code}>
      <h2 id="gateway-service-heading" tabindex="-1">${t('gateway.serviceHeading', { name: service.name_vi })}</h2>
      <dl class="meta-list">
        <dt>${t('gateway.proxyUrl')}</dt>
        <dd><code>${service.proxy_url}</code></dd>
        <dt>${t('gateway.baseUrl')}</dt>
        <dd>${service.base_url ? html`<code>${service.base_url}</code>` : none}</dd>
        <dt>${service.kind === 'rest' ? t('gateway.methods') : t('gateway.operations')}</dt>
        <dd>${(service.kind === 'rest' ? service.methods : service.operations).join(', ') || t('gateway.anyOperation')}</dd>
        <dt>${t('gateway.rate')}</dt>
        <dd>${formatNumber(service.rate_limit_per_minute, locale)}</dd>
      </dl>
      <h3 id="gateway-grants-heading" tabindex="-1">${t('gateway.grantsHeading')}</h3>
      <div class="form-error" role="alert">${this.grantsError}</div>
      <div class="table-scroll">
        <table class="data-table datahub-table" id="gateway-grants">
          <caption class="visually-hidden">${t('gateway.grantsHeading')}</caption>
          <thead>
            <tr>
              <th scope="col">${t('gateway.consumer')}</th>
              <th scope="col">${t('gateway.grantOperations')}</th>
              <th scope="col">${t('gateway.purpose')}</th>
              <th scope="col">${t('gateway.until')}</th>
              <th scope="col">${t('gateway.state')}</th>
              ${manage ? html`<th scope="col"><span class="visually-hidden">${t('gateway.actions')}</span></th>` : nothing}
            </tr>
          </thead>
          <tbody>
            ${this.grants && grants.length === 0
              ? html`<tr>
                  <td colspan=${manage ? 6 : 5}>${t('gateway.grantsEmpty')}</td>
                </tr>`
              : nothing}
            ${grants.map((g) => {
              const agency = this.names.agency(g.consumer_agency, locale);
              return html`<tr data-grant=${g.id} data-consumer=${g.consumer_agency} data-state=${g.state}>
                <th scope="row">${agency}</th>
                <td>${g.operations.join(', ') || t('gateway.anyOperation')}</td>
                <td lang="vi">${g.purpose || none}</td>
                <td>${g.expires_at ? html`<time datetime=${g.expires_at}>${formatDateTime(g.expires_at, locale)}</time>` : t('gateway.untilRevoked')}</td>
                <td data-grant-state>${t(GRANT_STATE_KEYS[g.state])}</td>
                ${manage
                  ? html`<td>
                      ${g.state !== 'active'
                        ? nothing
                        : this.confirmRevoke === g.id
                          ? html`<button type="button" class="button button-danger button-small" ?disabled=${this.busy} @click=${() => this.revoke(g)}>
                                ${t('gateway.confirmRevoke')}
                              </button>
                              <button type="button" class="button button-secondary button-small" @click=${() => (this.confirmRevoke = '')}>${t('common.cancel')}</button>`
                          : html`<button
                              type="button"
                              class="button button-secondary button-small"
                              aria-label=${t('gateway.revokeFor', { agency })}
                              @click=${() => (this.confirmRevoke = g.id)}
                            >
                              ${t('gateway.revoke')}
                            </button>`}
                    </td>`
                  : nothing}
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      ${manage ? this.renderGrantForm(service) : nothing}
    </section>`;
  }

  private renderLog(): TemplateResult {
    const locale = getLocale();
    const none = t('common.none');
    const rows = exchanges(this.log?.items ?? []);
    const total = this.log?.total ?? 0;
    const pages = Math.max(1, Math.ceil(total / LOG_PER_PAGE));
    const auditor = session.hasRole('auditor');
    const v = this.verdict;
    return html`<section aria-labelledby="gateway-log-heading">
      <div class="section-head">
        <h2 id="gateway-log-heading">${this.selected ? t('gateway.logHeadingFor', { code: this.selected }) : t('gateway.logHeading')}</h2>
        ${auditor
          ? html`<button type="button" class="button button-secondary" data-action="verify-log" ?disabled=${this.busy} @click=${() => this.verify()}>
              ${t('gateway.verify')}
            </button>`
          : nothing}
      </div>
      <p class="hint">${t('gateway.logIntro')}</p>
      <div role="status" data-verdict=${v ? (v.intact ? 'intact' : 'broken') : nothing}>
        ${v
          ? v.intact
            ? html`<p class="notice gateway-verdict-ok">${t('gateway.verdictIntact', { count: formatNumber(v.records, locale), seq: v.last_seq ?? 0 })}</p>`
            : html`<p class="notice notice-warning gateway-verdict-broken">${t('gateway.verdictBroken', { seq: v.broken_seq ?? 0, reason: v.reason ?? '' })}</p>`
          : auditor
            ? nothing
            : html`<p class="hint">${t('gateway.verifyByAuditors')}</p>`}
      </div>
      <div class="form-error" role="alert">${this.logError || this.verifyError}</div>
      <div class="table-scroll">
        <table class="data-table datahub-table" id="gateway-log">
          <caption class="visually-hidden">${t('gateway.logHeading')}</caption>
          <thead>
            <tr>
              <th scope="col">${t('gateway.logAt')}</th>
              <th scope="col">${t('gateway.logService')}</th>
              <th scope="col">${t('gateway.consumer')}</th>
              <th scope="col">${t('gateway.logCall')}</th>
              <th scope="col" class="num">${t('gateway.logStatus')}</th>
              <th scope="col">${t('gateway.logOutcome')}</th>
              <th scope="col" class="num">${t('gateway.logDuration')}</th>
              <th scope="col">${t('gateway.logRecords')}</th>
            </tr>
          </thead>
          <tbody>
            ${this.log && rows.length === 0
              ? html`<tr>
                  <td colspan="8">${t('gateway.logEmpty')}</td>
                </tr>`
              : nothing}
            ${rows.map((r) => {
              const key = outcomeKey(r);
              return html`<tr data-exchange=${r.exchange_id} data-outcome=${r.outcome}>
                <td><time datetime=${r.at}>${formatDateTime(r.at, locale)}</time></td>
                <td><code>${r.service_code}</code></td>
                <td>${this.names.agency(r.consumer_agency, locale)}</td>
                <td><code>${r.call}</code></td>
                <td class="num">${r.status ?? none}</td>
                <td><span class="gateway-outcome gateway-outcome-${outcomeTone(r)}">${key ? t(key) : r.outcome}</span></td>
                <td class="num">${r.duration_ms === null ? none : formatNumber(r.duration_ms, locale)}</td>
                <td>${r.seqs.map((s) => `#${s}`).join(', ')}</td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      ${pages > 1
        ? pager({
            label: t('gateway.logPagination'),
            page: this.logPage,
            pages,
            loading: false,
            go: (page) => {
              this.logPage = page;
              void this.loadLog();
            },
          })
        : nothing}
    </section>`;
  }

  override render(): TemplateResult {
    const service = this.service;
    return html`${this.renderServices()} ${service ? this.renderService(service) : nothing} ${this.renderLog()}`;
  }
}

customElements.define('cityos-datahub-gateway', GatewayPanel);
