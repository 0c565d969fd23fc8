import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { announce } from '../announcer';
import { describeError } from '../api/errors';
import { loadOrganizations, loadVocabulary, openData } from '../datahub/api';
import { DataNames, datasetFormats, datasetNotes, datasetTitle } from '../datahub/names';
import {
  datasetQuery,
  EMPTY_SEARCH,
  facetEntries,
  isFiltered,
  pageCount,
  parseSearch,
  PORTAL_FACETS,
  PORTAL_PER_PAGE,
  PORTAL_SORTS,
  searchParams,
  toggleFacet,
  type PortalFacet,
  type PortalSearch,
  type PortalSort,
} from '../datahub/search';
import type { Dataset, DatasetList } from '../datahub/types';
import '../datahub/datahub.css';
import { getLocale, t, type MessageKey } from '../i18n';
import { compareText, formatDate, formatNumber } from '../i18n/format';
import { pager } from '../components/list-frame';
import { href, parseHash } from '../router';

const FACET_HEADINGS: Record<PortalFacet, MessageKey> = {
  agency: 'data.facetAgency',
  theme: 'data.facetTheme',
  format: 'data.facetFormat',
  license_id: 'data.facetLicence',
};

const SORT_LABELS: Record<PortalSort, MessageKey> = {
  relevance: 'data.sortRelevance',
  '-modified': 'data.sortModified',
  title: 'data.sortTitle',
  '-title': 'data.sortTitleDesc',
};

function excerpt(text: string, max = 220): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

/**
 * The open data portal (`#/data`), for everyone without signing in: search
 * (diacritics optional: "cho" finds "Chợ"), facets with counts (agency,
 * theme, format, licence), sorting and pages over `GET /api/datahub/datasets`,
 * read anonymously so it shows only open data. The search lives in the
 * address (`#/data?q=…&agency=…`), so a result list can be shared.
 */
export class DataPortalPage extends ConsoleElement {
  static override properties = {
    query: {},
    search: { state: true },
    result: { state: true },
    names: { state: true },
    loading: { state: true },
    error: { state: true },
  };

  /** The route's query string (`q=…&agency=…`), as the shell passes it. */
  query = '';
  search: PortalSearch = { ...EMPTY_SEARCH };
  result: DatasetList | null = null;
  names = new DataNames();
  loading = true;
  error = '';
  private applied: string | null = null;
  private requestSeq = 0;

  /**
   * Back and forward between searches: the shell passes the same query it
   * passed before (it never saw the searches pushed here), so read the address.
   */
  private readonly onPopState = (): void => {
    const route = parseHash(location.hash);
    if (route.def.id !== 'data') return;
    this.fromAddress(route.params.toString());
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('popstate', this.onPopState);
    void Promise.allSettled([loadVocabulary(), loadOrganizations()]).then(([vocabulary, organizations]) => {
      this.names = new DataNames(
        vocabulary.status === 'fulfilled' ? vocabulary.value : undefined,
        organizations.status === 'fulfilled' ? organizations.value : [],
      );
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this.onPopState);
  }

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    // The shell passes the address's query: a new one (a link, a reload) is a new search.
    if (changed.has('query')) this.fromAddress(this.query);
  }

  private fromAddress(query: string): void {
    if (query === this.applied) return;
    this.applied = query;
    this.search = parseSearch(new URLSearchParams(query));
    void this.load();
  }

  /** Runs a search the user asked for here: the address follows (a history entry each), the page does not reload. */
  private apply(next: PortalSearch, focusResults: boolean): void {
    this.search = next;
    const params = searchParams(next);
    this.applied = new URLSearchParams(params).toString();
    history.pushState(null, '', href('/data', params));
    void this.load().then(() => {
      announce(t('data.resultAnnounce', { count: formatNumber(this.result?.total ?? 0, getLocale()) }));
      if (focusResults) this.querySelector<HTMLElement>('#data-results-heading')?.focus();
    });
  }

  private async load(): Promise<void> {
    const seq = ++this.requestSeq;
    this.loading = true;
    try {
      const result = await openData.get<DatasetList>('/api/datahub/datasets', { query: datasetQuery(this.search) });
      if (seq !== this.requestSeq) return;
      this.result = result;
      this.error = '';
    } catch (error) {
      if (seq !== this.requestSeq) return;
      this.result = null;
      this.error = describeError(error);
    } finally {
      if (seq === this.requestSeq) this.loading = false;
    }
  }

  private onSearch(event: SubmitEvent): void {
    event.preventDefault();
    const q = String(new FormData(event.currentTarget as HTMLFormElement).get('q') ?? '').trim();
    this.apply({ ...this.search, q, page: 1 }, false);
  }

  private onSort(event: Event): void {
    const sort = (event.target as HTMLSelectElement).value as PortalSort;
    this.apply({ ...this.search, sort, page: 1 }, false);
  }

  private facetLabel(facet: PortalFacet, value: string): string {
    const locale = getLocale();
    switch (facet) {
      case 'agency':
        return this.names.agency(value, locale);
      case 'theme':
        return this.names.theme(value, locale);
      case 'license_id':
        return this.names.licence(value, locale);
      default:
        return value;
    }
  }

  private renderFacet(facet: PortalFacet): TemplateResult | typeof nothing {
    const locale = getLocale();
    const entries = facetEntries(
      this.result?.facets[facet],
      this.search[facet],
      (value) => this.facetLabel(facet, value),
      (a, b) => compareText(a, b, locale),
    );
    if (entries.length === 0) return nothing;
    const headingId = `data-facet-${facet}`;
    return html`<section class="data-facet" aria-labelledby=${headingId} data-facet=${facet}>
      <h3 id=${headingId}>${t(FACET_HEADINGS[facet])}</h3>
      <ul class="data-facet-list">
        ${entries.map((entry) => {
          const next = toggleFacet(this.search, facet, entry.value);
          return html`<li>
            <a
              href=${href('/data', searchParams(next))}
              class="data-facet-link"
              aria-current=${entry.selected ? 'true' : nothing}
              data-value=${entry.value}
              @click=${(e: MouseEvent) => {
                if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
                e.preventDefault();
                this.apply(next, true);
              }}
            >
              <span class="data-facet-name">${entry.label}</span>
              <span class="data-facet-count">${formatNumber(entry.count, locale)}</span>
              ${entry.selected ? html`<span class="visually-hidden">${t('data.facetSelected')}</span>` : nothing}
            </a>
          </li>`;
        })}
      </ul>
    </section>`;
  }

  private renderDataset(d: Dataset): TemplateResult {
    const locale = getLocale();
    const title = datasetTitle(d, locale);
    const notes = datasetNotes(d, locale);
    const formats = datasetFormats(d);
    return html`<li class="card data-result" data-name=${d.name}>
      <h3 lang=${title.lang}><a href=${href(`/data/${d.name}`)}>${title.text}</a></h3>
      <p class="data-result-meta">
        <span>${this.names.agency(d.owner_agency, locale)}</span>
        <span>${t('data.updatedOn', { date: formatDate(d.modified_at, locale) })}</span>
        ${d.views > 0 ? html`<span>${t('data.viewsCount', { count: formatNumber(d.views, locale) })}</span>` : nothing}
      </p>
      ${notes.text ? html`<p class="data-result-notes" lang=${notes.lang}>${excerpt(notes.text)}</p>` : nothing}
      ${formats.length > 0 || d.themes.length > 0
        ? html`<ul class="data-chips" aria-label=${t('data.formatsAndThemes')}>
            ${formats.map((f) => html`<li class="data-chip data-chip-format">${f}</li>`)}
            ${d.themes.map((th) => html`<li class="data-chip">${this.names.theme(th, locale)}</li>`)}
          </ul>`
        : nothing}
    </li>`;
  }

  private renderResults(): TemplateResult {
    const locale = getLocale();
    const total = this.result?.total ?? 0;
    const pages = pageCount(total, PORTAL_PER_PAGE);
    return html`<section class="data-results" aria-labelledby="data-results-heading">
      <div class="section-head">
        <h2 id="data-results-heading" tabindex="-1">${t('data.resultsHeading')}</h2>
        <div class="field field-compact">
          <label for="data-sort">${t('data.sort')}</label>
          <select id="data-sort" @change=${(e: Event) => this.onSort(e)}>
            ${PORTAL_SORTS.map((sort) => html`<option value=${sort} ?selected=${sort === this.search.sort}>${t(SORT_LABELS[sort])}</option>`)}
          </select>
        </div>
      </div>
      <div class="form-error" role="alert">${this.error}</div>
      ${this.loading ? html`<p role="status">${t('common.loading')}</p>` : nothing}
      <p class="result-count" data-total=${total}>${t('data.resultCount', { count: formatNumber(total, locale) })}</p>
      ${total === 0 && !this.loading && !this.error
        ? html`<p class="notice" id="data-empty">${isFiltered(this.search) ? t('data.emptyFiltered') : t('data.empty')}</p>`
        : nothing}
      <ol class="data-result-list">
        ${(this.result?.items ?? []).map((d) => this.renderDataset(d))}
      </ol>
      ${pages > 1
        ? pager({
            label: t('data.pagination'),
            page: this.search.page,
            pages,
            loading: this.loading,
            go: (page) => this.apply({ ...this.search, page }, true),
          })
        : nothing}
    </section>`;
  }

  override render(): TemplateResult {
    const filtered = isFiltered(this.search);
    return html`<div class="page page-wide data-portal">
      <h1 tabindex="-1">${t('data.portalTitle')}</h1>
      <p class="lead">${t('data.portalIntro')}</p>
      <form class="form data-search-form" role="search" novalidate @submit=${(e: SubmitEvent) => this.onSearch(e)}>
        <div class="field">
          <label for="data-q">${t('data.searchLabel')}</label>
          <div class="data-search-row">
            <input id="data-q" name="q" type="search" autocomplete="off" aria-describedby="data-q-hint" .value=${this.search.q} />
            <button type="submit" class="button">${t('common.search')}</button>
          </div>
          <p class="hint" id="data-q-hint">${t('data.searchHint')}</p>
        </div>
      </form>
      <div class="data-portal-layout">
        <aside class="data-facets" aria-labelledby="data-facets-heading">
          <h2 id="data-facets-heading">${t('data.facetsHeading')}</h2>
          ${filtered
            ? html`<p>
                <a
                  href=${href('/data')}
                  data-action="clear-filters"
                  @click=${(e: MouseEvent) => {
                    e.preventDefault();
                    this.apply({ ...EMPTY_SEARCH, sort: this.search.sort }, true);
                  }}
                  >${t('data.clearFilters')}</a
                >
              </p>`
            : nothing}
          ${PORTAL_FACETS.map((facet) => this.renderFacet(facet))}
        </aside>
        ${this.renderResults()}
      </div>
      <section class="card data-standards" aria-labelledby="data-standards-heading">
        <h2 id="data-standards-heading">${t('data.standardsHeading')}</h2>
        <p>${t('data.standardsBody')}</p>
        <ul class="plain-list data-standard-links">
          <li><a href="/api/datahub/dcat.jsonld" data-export="dcat-jsonld">${t('data.dcatJsonLd')}</a></li>
          <li><a href="/api/datahub/dcat.ttl" data-export="dcat-turtle">${t('data.dcatTurtle')}</a></li>
          <li><a href="/api/3/action/package_search?rows=10">${t('data.ckanSearch')}</a></li>
          <li><a href="/api/docs" target="_blank" rel="noopener">${t('nav.apiDocs')} <span class="visually-hidden">${t('a11y.newTab')}</span></a></li>
        </ul>
      </section>
    </div>`;
  }
}

customElements.define('cityos-data-portal-page', DataPortalPage);
