import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { announce } from '../announcer';
import { describeError } from '../api/errors';
import { loadOrganizations, loadVocabulary } from '../datahub/api';
import { managedAgencies } from '../datahub/model';
import { DataNames, datasetTitle, levelLabel } from '../datahub/names';
import '../datahub/sharing';
import '../datahub/gateway';
import type { AccessRequest, AccessRequestList, AccessStatus, Dataset, DatasetList, SharingLevel } from '../datahub/types';
import '../datahub/datahub.css';
import { getLocale, t, type MessageKey } from '../i18n';
import { compareText, formatDate, formatNumber } from '../i18n/format';
import { listStatus, pager } from '../components/list-frame';
import { href } from '../router';
import { session } from '../session';

type Tab = 'datasets' | 'incoming' | 'outgoing' | 'log' | 'gateway';
const TABS: Tab[] = ['datasets', 'incoming', 'outgoing', 'log', 'gateway'];
const TAB_LABELS: Record<Tab, MessageKey> = {
  datasets: 'datahub.tabDatasets',
  incoming: 'datahub.tabIncoming',
  outgoing: 'datahub.tabOutgoing',
  log: 'datahub.tabLog',
  gateway: 'gateway.tab',
};
const PER_PAGE = 20;
const REQUEST_STATUSES: Array<AccessStatus | ''> = ['requested', 'approved', 'refused', 'withdrawn', 'expired', 'revoked', ''];

/** Roles that decide on requests for their agency's datasets, or audit them: they see requests to approve and the access log. */
const DECIDER_ROLES = ['data_officer', 'agency_admin', 'admin', 'auditor'];

interface DatasetFilters {
  q: string;
  agency: string;
  level: SharingLevel | '';
}

/**
 * The agency the catalogue opens on: the one a data officer manages (their own
 * when they manage several); every agency for administrators and for officials
 * who only read.
 */
function defaultAgency(): string {
  const managed = managedAgencies(session.me);
  if (!managed || managed.length === 0) return '';
  const own = session.me?.agency?.code ?? '';
  return managed.includes(own) ? own : (managed[0] ?? '');
}

/**
 * The data hub console (`#/datahub`): the datasets an official may see (their
 * agency's first), with a button to register one for data officers; requests
 * from other agencies to approve or refuse (data officers, agency
 * administrators, administrators, auditors); their own agency's requests to
 * others; the access log of a chosen dataset (who read what, for which
 * purpose, how many rows); and the interoperability gateway's services,
 * grants and exchange log (`cityos-datahub-gateway`).
 */
export class DataConsolePage extends ConsoleElement {
  static override properties = {
    query: {},
    tab: { state: true },
    names: { state: true },
    filters: { state: true },
    list: { state: true },
    page: { state: true },
    loading: { state: true },
    error: { state: true },
    requests: { state: true },
    requestStatus: { state: true },
    requestPage: { state: true },
    requestsLoading: { state: true },
    requestsError: { state: true },
    logChoices: { state: true },
    logDataset: { state: true },
  };

  query = '';
  tab: Tab = 'datasets';
  names = new DataNames();
  filters: DatasetFilters = { q: '', agency: defaultAgency(), level: '' };
  list: DatasetList | null = null;
  page = 1;
  loading = false;
  error = '';
  requests: AccessRequestList | null = null;
  requestStatus: AccessStatus | '' = 'requested';
  requestPage = 1;
  requestsLoading = false;
  requestsError = '';
  logChoices: Dataset[] = [];
  logDataset = '';

  override connectedCallback(): void {
    super.connectedCallback();
    void Promise.allSettled([loadVocabulary(), loadOrganizations()]).then(([vocabulary, organizations]) => {
      this.names = new DataNames(
        vocabulary.status === 'fulfilled' ? vocabulary.value : undefined,
        organizations.status === 'fulfilled' ? organizations.value : [],
      );
    });
  }

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    if (changed.has('query')) {
      const wanted = new URLSearchParams(this.query).get('tab') as Tab | null;
      this.showTab(wanted && this.tabs().includes(wanted) ? wanted : 'datasets', false);
    }
  }

  private get decides(): boolean {
    return session.hasRole(...DECIDER_ROLES);
  }

  private tabs(): Tab[] {
    // The gateway's services, grants and exchange log: the same officials who decide on sharing, and auditors.
    return TABS.filter((tab) => (tab === 'incoming' || tab === 'log' || tab === 'gateway' ? this.decides : true));
  }

  private showTab(tab: Tab, user: boolean): void {
    this.tab = tab;
    if (user) history.replaceState(null, '', href('/datahub', tab === 'datasets' ? {} : { tab }));
    if (tab === 'datasets') void this.loadDatasets();
    if (tab === 'incoming' || tab === 'outgoing') {
      this.requestStatus = tab === 'incoming' ? 'requested' : '';
      this.requestPage = 1;
      void this.loadRequests();
    }
    if (tab === 'log') void this.loadLogChoices();
  }

  private selectTab(tab: Tab, focus: boolean): void {
    if (tab === this.tab) return;
    this.showTab(tab, true);
    if (focus) void this.updateComplete.then(() => this.querySelector<HTMLElement>(`#datahub-tab-${tab}`)?.focus());
  }

  private onTabKey(event: KeyboardEvent): void {
    const tabs = this.tabs();
    const i = tabs.indexOf(this.tab);
    let next: Tab | undefined;
    if (event.key === 'ArrowRight') next = tabs[(i + 1) % tabs.length];
    else if (event.key === 'ArrowLeft') next = tabs[(i - 1 + tabs.length) % tabs.length];
    else if (event.key === 'Home') next = tabs[0];
    else if (event.key === 'End') next = tabs[tabs.length - 1];
    if (!next) return;
    event.preventDefault();
    this.selectTab(next, true);
  }

  private async loadDatasets(): Promise<void> {
    this.loading = true;
    try {
      const f = this.filters;
      this.list = await session.api.get<DatasetList>('/api/datahub/datasets', {
        query: { q: f.q, agency: f.agency, sharing_level: f.level, sort: f.q ? 'relevance' : '-modified', page: this.page, per_page: PER_PAGE },
      });
      this.error = '';
    } catch (error) {
      this.list = null;
      this.error = describeError(error);
    } finally {
      this.loading = false;
    }
  }

  private async loadRequests(): Promise<void> {
    this.requestsLoading = true;
    const side = this.tab === 'incoming' ? 'incoming' : 'mine';
    try {
      this.requests = await session.api.get<AccessRequestList>('/api/datahub/access-requests', {
        query: { side, status: this.requestStatus, page: this.requestPage, per_page: PER_PAGE },
      });
      this.requestsError = '';
    } catch (error) {
      this.requests = null;
      this.requestsError = describeError(error);
    } finally {
      this.requestsLoading = false;
    }
  }

  private async loadLogChoices(): Promise<void> {
    const agencies = managedAgencies(session.me);
    const own = session.me?.agency?.code;
    const agency = agencies === null ? '' : (agencies[0] ?? own ?? '');
    try {
      const list = await session.api.get<DatasetList>('/api/datahub/datasets', { query: { agency, sort: 'title', per_page: 200 } });
      this.logChoices = list.items;
      if (!this.logDataset || !list.items.some((d) => d.name === this.logDataset)) this.logDataset = list.items[0]?.name ?? '';
      this.requestsError = '';
    } catch (error) {
      this.logChoices = [];
      this.requestsError = describeError(error);
    }
  }

  private onFilter(event: SubmitEvent): void {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    this.filters = { q: text('q'), agency: text('agency'), level: text('level') as SharingLevel | '' };
    this.page = 1;
    void this.loadDatasets().then(() => announce(t('datahub.resultAnnounce', { count: formatNumber(this.list?.total ?? 0, getLocale()) })));
  }

  private renderDatasets(): TemplateResult {
    const locale = getLocale();
    const f = this.filters;
    const agencies = [...this.names.agencyCodes()].sort((a, b) => compareText(this.names.agency(a, locale), this.names.agency(b, locale), locale));
    const total = this.list?.total ?? 0;
    return html`<form class="form filter-form" role="search" aria-labelledby="datahub-filter-heading" novalidate @submit=${(e: SubmitEvent) => this.onFilter(e)}>
        <h2 id="datahub-filter-heading">${t('datahub.filterHeading')}</h2>
        <div class="filter-grid">
          <div class="field">
            <label for="datahub-q">${t('datahub.search')}</label>
            <input id="datahub-q" name="q" type="search" autocomplete="off" .value=${f.q} />
          </div>
          <div class="field">
            <label for="datahub-agency">${t('datahub.owner')}</label>
            <select id="datahub-agency" name="agency">
              <option value="" ?selected=${f.agency === ''}>${t('datahub.anyAgency')}</option>
              ${f.agency && !agencies.includes(f.agency) ? html`<option value=${f.agency} selected>${f.agency}</option>` : nothing}
              ${agencies.map((code) => html`<option value=${code} ?selected=${code === f.agency}>${this.names.agency(code, locale)}</option>`)}
            </select>
          </div>
          <div class="field">
            <label for="datahub-level">${t('datahub.level')}</label>
            <select id="datahub-level" name="level">
              <option value="" ?selected=${f.level === ''}>${t('datahub.anyLevel')}</option>
              ${(['open', 'shared', 'restricted'] as const).map((l) => html`<option value=${l} ?selected=${l === f.level}>${levelLabel(l)}</option>`)}
            </select>
          </div>
        </div>
        <div class="form-actions">
          <button type="submit" class="button">${t('queue.apply')}</button>
        </div>
      </form>
      <section aria-labelledby="datahub-list-heading">
        <h2 id="datahub-list-heading">${t('datahub.listHeading')}</h2>
        ${listStatus({ error: this.error, loading: this.loading, total, announceCount: false })}
        <div class="table-scroll">
          <table class="data-table datahub-table" id="datahub-datasets">
            <caption class="visually-hidden">${t('datahub.listHeading')}</caption>
            <thead>
              <tr>
                <th scope="col">${t('datahub.colTitle')}</th>
                <th scope="col">${t('datahub.owner')}</th>
                <th scope="col">${t('datahub.level')}</th>
                <th scope="col" class="num">${t('datahub.colResources')}</th>
                <th scope="col">${t('datahub.colModified')}</th>
              </tr>
            </thead>
            <tbody>
              ${total === 0 && !this.loading
                ? html`<tr>
                    <td colspan="5">${t('datahub.listEmpty')}</td>
                  </tr>`
                : nothing}
              ${(this.list?.items ?? []).map((d) => {
                const title = datasetTitle(d, locale);
                return html`<tr data-name=${d.name}>
                  <th scope="row"><a href=${href(`/datahub/datasets/${d.name}`)} lang=${title.lang}>${title.text}</a></th>
                  <td>${this.names.agency(d.owner_agency, locale)}</td>
                  <td><span class="datahub-level datahub-level-${d.sharing_level}">${levelLabel(d.sharing_level)}</span></td>
                  <td class="num">${formatNumber(d.resources.length, locale)}</td>
                  <td><time datetime=${d.modified_at}>${formatDate(d.modified_at, locale)}</time></td>
                </tr>`;
              })}
            </tbody>
          </table>
        </div>
        ${pager({
          label: t('datahub.listPagination'),
          page: this.page,
          pages: Math.max(1, Math.ceil(total / PER_PAGE)),
          loading: this.loading,
          go: (page) => {
            this.page = page;
            void this.loadDatasets();
          },
        })}
      </section>`;
  }

  private renderRequests(): TemplateResult {
    const incoming = this.tab === 'incoming';
    const total = this.requests?.total ?? 0;
    const statusKey = (s: AccessStatus | ''): MessageKey =>
      s === '' ? 'datahub.anyStatus' : (`datahub.status${s.charAt(0).toUpperCase()}${s.slice(1)}` as MessageKey);
    return html`<section aria-labelledby="datahub-requests-heading">
      <div class="section-head">
        <h2 id="datahub-requests-heading">${t(incoming ? 'datahub.incomingHeading' : 'datahub.outgoingHeading')}</h2>
        <div class="field field-compact">
          <label for="datahub-request-status">${t('datahub.requestStatus')}</label>
          <select
            id="datahub-request-status"
            @change=${(e: Event) => {
              this.requestStatus = (e.target as HTMLSelectElement).value as AccessStatus | '';
              this.requestPage = 1;
              void this.loadRequests();
            }}
          >
            ${REQUEST_STATUSES.map((s) => html`<option value=${s} ?selected=${s === this.requestStatus}>${t(statusKey(s))}</option>`)}
          </select>
        </div>
      </div>
      <p class="hint">${t(incoming ? 'datahub.incomingIntro' : 'datahub.outgoingIntro')}</p>
      ${listStatus({ error: this.requestsError, loading: this.requestsLoading, total, announceCount: false })}
      ${total === 0 && !this.requestsLoading ? html`<p class="notice">${t('datahub.requestsEmpty')}</p>` : nothing}
      ${(this.requests?.items ?? []).map(
        (r) => html`<cityos-datahub-request
          .request=${r}
          .side=${incoming ? 'owner' : 'requester'}
          .names=${this.names}
          @request-changed=${(e: CustomEvent<AccessRequest>) => this.onRequestChanged(e.detail)}
        ></cityos-datahub-request>`,
      )}
      ${pager({
        label: t('datahub.requestsPagination'),
        page: this.requestPage,
        pages: Math.max(1, Math.ceil(total / PER_PAGE)),
        loading: this.requestsLoading,
        go: (page) => {
          this.requestPage = page;
          void this.loadRequests();
        },
      })}
    </section>`;
  }

  private onRequestChanged(updated: AccessRequest): void {
    if (!this.requests) return;
    this.requests = { ...this.requests, items: this.requests.items.map((r) => (r.id === updated.id ? updated : r)) };
  }

  private renderLog(): TemplateResult {
    const locale = getLocale();
    return html`<section aria-labelledby="datahub-log-heading">
      <h2 id="datahub-log-heading">${t('datahub.logHeading')}</h2>
      <p class="hint">${t('datahub.logIntro')}</p>
      <div class="form-error" role="alert">${this.requestsError}</div>
      <div class="field">
        <label for="datahub-log-dataset">${t('datahub.logDataset')}</label>
        <select id="datahub-log-dataset" @change=${(e: Event) => (this.logDataset = (e.target as HTMLSelectElement).value)}>
          ${this.logChoices.map((d) => {
            const title = datasetTitle(d, locale);
            return html`<option value=${d.name} ?selected=${d.name === this.logDataset}>${title.text}</option>`;
          })}
        </select>
      </div>
      ${this.logDataset
        ? html`<cityos-datahub-access-log .datasetName=${this.logDataset} .names=${this.names}></cityos-datahub-access-log>`
        : html`<p>${t('datahub.logNoDatasets')}</p>`}
    </section>`;
  }

  override render(): TemplateResult {
    const tabs = this.tabs();
    const managed = managedAgencies(session.me);
    const canCreate = managed === null || managed.length > 0;
    return html`<div class="page page-wide datahub-page">
      <div class="page-head">
        <h1 tabindex="-1">${t('datahub.title')}</h1>
        <div class="page-actions">
          <a class="button button-secondary" href=${href('/data')}>${t('datahub.openPortal')}</a>
          ${canCreate ? html`<a class="button" href=${href('/datahub/new')} data-action="new-dataset">${t('datahub.newTitle')}</a>` : nothing}
        </div>
      </div>
      <p class="lead">${t('module.data.about')}</p>
      <div class="tabs" role="tablist" aria-label=${t('datahub.tabsLabel')}>
        ${tabs.map(
          (tab) => html`<button
            type="button"
            role="tab"
            class="tab"
            id="datahub-tab-${tab}"
            aria-selected=${this.tab === tab ? 'true' : 'false'}
            aria-controls="datahub-panel"
            tabindex=${this.tab === tab ? '0' : '-1'}
            @click=${() => this.selectTab(tab, false)}
            @keydown=${(e: KeyboardEvent) => this.onTabKey(e)}
          >
            ${t(TAB_LABELS[tab])}
          </button>`,
        )}
      </div>
      <div class="tab-panel" role="tabpanel" id="datahub-panel" aria-labelledby="datahub-tab-${this.tab}">
        ${this.tab === 'datasets'
          ? this.renderDatasets()
          : this.tab === 'log'
            ? this.renderLog()
            : this.tab === 'gateway'
              ? html`<cityos-datahub-gateway></cityos-datahub-gateway>`
              : this.renderRequests()}
      </div>
    </div>`;
  }
}

customElements.define('cityos-data-console-page', DataConsolePage);
