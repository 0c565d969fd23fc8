import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import type { MapPoint } from '../components/points-map';
import { announce } from '../announcer';
import { ApiError } from '../api/client';
import { describeError } from '../api/errors';
import type { Items, Jurisdiction } from '../api/types';
import { loadOrganizations, loadVocabulary, openData, recordUsage } from '../datahub/api';
import { barChartSvg, layoutBars } from '../datahub/chart';
import { DataNames, datasetNotes, datasetTitle } from '../datahub/names';
import {
  apiExamples,
  ariaSort,
  cellText,
  countByQuery,
  dataPath,
  defaultChartField,
  downloadHref,
  groupableFields,
  MAP_ROWS,
  nextSort,
  pointsOf,
  previewQuery,
  ROW_ID,
  type ApiExample,
  type CellFormat,
  type DownloadFormat,
  type PreviewSort,
  versionDownloadPath,
  type RowPoint,
} from '../datahub/query';
import type { AggregatePage, DataPage, DataRecord, Dataset, Resource, RowFeatureCollection } from '../datahub/types';
import '../datahub/datahub.css';
import { getLocale, t, type MessageKey } from '../i18n';
import { formatDate, formatDateTime, formatNumber } from '../i18n/format';
import { formatBytes } from '../datahub/model';
import { href } from '../router';

const EXAMPLE_LABELS: Record<ApiExample['id'], MessageKey> = {
  package_show: 'data.examplePackageShow',
  datastore_search: 'data.exampleDatastoreSearch',
  query: 'data.exampleQuery',
  csv: 'data.exampleCsv',
};

const DOWNLOADS: Array<{ format: DownloadFormat; label: MessageKey }> = [
  { format: 'csv', label: 'data.downloadCsv' },
  { format: 'json', label: 'data.downloadJson' },
  { format: 'geojson', label: 'data.downloadGeoJson' },
];

/** Jurisdiction names by code (public), for a dataset's spatial coverage. */
let jurisdictionNames: Promise<Map<string, string>> | null = null;
function loadJurisdictionNames(): Promise<Map<string, string>> {
  if (!jurisdictionNames) {
    jurisdictionNames = openData
      .get<Items<Jurisdiction>>('/api/jurisdictions')
      .then((r) => new Map(r.items.map((j) => [j.code, j.name])))
      .catch((error: unknown) => {
        jurisdictionNames = null;
        throw error;
      });
  }
  return jurisdictionNames;
}

function cellFormat(): CellFormat {
  const locale = getLocale();
  return {
    number: (n) => formatNumber(n, locale, 6),
    dateTime: (iso) => formatDateTime(iso, locale),
    yes: t('common.yes'),
    no: t('common.no'),
  };
}

/**
 * A dataset of the open data portal (`#/data/{name}`): title and description
 * in the reader's language, its metadata, downloads (the query API's CSV,
 * JSON and GeoJSON, and the original file), a sortable table of the first
 * rows, a map when the rows have coordinates, a bar chart of row counts by a
 * chosen column (with the same numbers as a table), API examples and usage
 * counts. Everything is read anonymously, as the public sees it.
 */
export class DataDatasetPage extends ConsoleElement {
  static override properties = {
    name: {},
    item: { state: true },
    loadError: { state: true },
    notFound: { state: true },
    names: { state: true },
    places: { state: true },
    resourceId: { state: true },
    preview: { state: true },
    previewSort: { state: true },
    previewLoading: { state: true },
    previewError: { state: true },
    points: { state: true },
    pointsTotal: { state: true },
    mapFailed: { state: true },
    selectedPoint: { state: true },
    chartField: { state: true },
    chart: { state: true },
    chartError: { state: true },
  };

  name = '';
  item: Dataset | null = null;
  loadError = '';
  notFound = false;
  names = new DataNames();
  places = new Map<string, string>();
  resourceId: string | null = null;
  preview: DataPage | null = null;
  previewSort: PreviewSort | null = null;
  previewLoading = false;
  previewError = '';
  points: RowPoint[] = [];
  pointsTotal = 0;
  mapFailed = false;
  selectedPoint: string | null = null;
  chartField: string | null = null;
  chart: AggregatePage | null = null;
  chartError = '';
  private rowProps = new Map<string, DataRecord>();
  private seq = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    void Promise.allSettled([loadVocabulary(), loadOrganizations()]).then(([vocabulary, organizations]) => {
      this.names = new DataNames(
        vocabulary.status === 'fulfilled' ? vocabulary.value : undefined,
        organizations.status === 'fulfilled' ? organizations.value : [],
      );
    });
    void loadJurisdictionNames()
      .then((places) => (this.places = places))
      .catch(() => undefined);
  }

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    if (changed.has('name') && this.name) void this.load();
  }

  private get resource(): Resource | null {
    return this.item?.resources.find((r) => r.id === this.resourceId) ?? null;
  }

  private async load(): Promise<void> {
    const seq = ++this.seq;
    this.item = null;
    this.loadError = '';
    this.notFound = false;
    this.resetData();
    try {
      const d = await openData.get<Dataset>(`/api/datahub/datasets/${encodeURIComponent(this.name)}`);
      if (seq !== this.seq) return;
      this.item = d;
      recordUsage(d.name, 'view');
      const first = d.resources.find((r) => r.datastore_active);
      if (first) this.selectResource(first.id);
    } catch (error) {
      if (seq !== this.seq) return;
      if (error instanceof ApiError && error.status === 404) this.notFound = true;
      else this.loadError = describeError(error);
    }
  }

  private resetData(): void {
    this.resourceId = null;
    this.preview = null;
    this.previewSort = null;
    this.previewError = '';
    this.points = [];
    this.pointsTotal = 0;
    this.selectedPoint = null;
    this.rowProps = new Map();
    this.chartField = null;
    this.chart = null;
    this.chartError = '';
  }

  private selectResource(id: string): void {
    this.resetData();
    this.resourceId = id;
    void this.loadPreview(true);
    void this.loadPoints();
  }

  private async loadPreview(first: boolean): Promise<void> {
    const resource = this.resource;
    const d = this.item;
    if (!resource || !d) return;
    this.previewLoading = true;
    try {
      const page = await openData.get<DataPage>(dataPath(d.name, resource.id), { query: previewQuery(this.previewSort) });
      if (this.resourceId !== resource.id) return;
      this.preview = page;
      this.previewError = '';
      if (first) {
        this.chartField = defaultChartField(page.fields, page.records);
        if (this.chartField) void this.loadChart();
      }
    } catch (error) {
      if (this.resourceId !== resource.id) return;
      this.previewError = describeError(error);
    } finally {
      this.previewLoading = false;
    }
  }

  private async loadPoints(): Promise<void> {
    const resource = this.resource;
    const d = this.item;
    if (!resource || !d) return;
    try {
      const collection = await openData.get<RowFeatureCollection>(dataPath(d.name, resource.id), {
        query: { format: 'geojson', limit: MAP_ROWS },
      });
      if (this.resourceId !== resource.id) return;
      const points = pointsOf(collection.features);
      this.rowProps = new Map(collection.features.map((f, i) => [f.id === null || f.id === undefined ? String(i) : String(f.id), f.properties]));
      this.points = points;
      if (points.length > 0) import('../components/points-map').catch(() => (this.mapFailed = true));
    } catch {
      // Rows without coordinates, or a failure: the page simply has no map (the table is the same data).
      this.points = [];
    }
  }

  private async loadChart(): Promise<void> {
    const resource = this.resource;
    const d = this.item;
    const field = this.chartField;
    if (!resource || !d || !field) return;
    try {
      const page = await openData.get<AggregatePage>(dataPath(d.name, resource.id), { query: countByQuery(field) });
      if (this.resourceId !== resource.id || this.chartField !== field) return;
      this.chart = page;
      this.chartError = '';
    } catch (error) {
      this.chart = null;
      this.chartError = describeError(error);
    }
  }

  private sortBy(field: string): void {
    this.previewSort = nextSort(this.previewSort, field);
    void this.loadPreview(false).then(() => {
      const s = this.previewSort;
      announce(s ? t(s.dir === 'asc' ? 'data.sortedAsc' : 'data.sortedDesc', { field }) : t('data.sortedNone'));
    });
  }

  private renderMetadata(d: Dataset): TemplateResult {
    const locale = getLocale();
    const licence = this.names.licenceOf(d.license_id);
    const none = t('common.none');
    const place = d.spatial_ward ? (this.places.get(d.spatial_ward) ?? d.spatial_ward) : none;
    const temporal =
      d.temporal_start && d.temporal_end
        ? t('data.temporalRange', { from: formatDate(d.temporal_start, locale), to: formatDate(d.temporal_end, locale) })
        : d.temporal_start
          ? t('data.temporalFrom', { from: formatDate(d.temporal_start, locale) })
          : d.temporal_end
            ? t('data.temporalUntil', { to: formatDate(d.temporal_end, locale) })
            : none;
    const row = (label: MessageKey, value: TemplateResult | string, key: string) =>
      html`<tr data-meta=${key}>
        <th scope="row">${t(label)}</th>
        <td>${value}</td>
      </tr>`;
    return html`<section class="card" aria-labelledby="data-meta-heading">
      <h2 id="data-meta-heading">${t('data.metaHeading')}</h2>
      <table class="data-table data-meta-table">
        <caption class="visually-hidden">${t('data.metaHeading')}</caption>
        <tbody>
          ${row('data.metaPublisher', this.names.agency(d.owner_agency, locale), 'publisher')}
          ${row('data.metaLicence', licence ? html`<a href=${licence.url} rel="license noopener" target="_blank">${this.names.licence(d.license_id, locale)} <span class="visually-hidden">${t('a11y.newTab')}</span></a>` : d.license_id || none, 'licence')}
          ${row('data.metaFrequency', d.update_frequency ? this.names.frequency(d.update_frequency, locale) : none, 'frequency')}
          ${row('data.metaSpatial', html`<span lang="vi">${place}</span>`, 'spatial')}
          ${row('data.metaTemporal', temporal, 'temporal')}
          ${row(
            'data.metaContact',
            d.contact_name || d.contact_email
              ? html`<span lang="vi">${d.contact_name}</span>${d.contact_email ? html` — <a href="mailto:${d.contact_email}">${d.contact_email}</a>` : nothing}`
              : none,
            'contact',
          )}
          ${row('data.metaThemes', d.themes.length ? d.themes.map((th) => this.names.theme(th, locale)).join(', ') : none, 'themes')}
          ${row('data.metaTags', d.tags.length ? html`<span lang="vi">${d.tags.join(', ')}</span>` : none, 'tags')}
          ${row('data.metaLegalBasis', d.legal_basis ? html`<span lang="vi">${d.legal_basis}</span>` : none, 'legal')}
          ${row('data.metaModified', html`<time datetime=${d.modified_at}>${formatDate(d.modified_at, locale)}</time>`, 'modified')}
          ${row('data.metaCreated', html`<time datetime=${d.created_at}>${formatDate(d.created_at, locale)}</time>`, 'created')}
        </tbody>
      </table>
    </section>`;
  }

  /**
   * Whether the original file is offered: only where the page knows the
   * resource holds no personal field (the server refuses files it would have
   * to mask; the query API's downloads mask them instead).
   */
  private originalShown(r: Resource): boolean {
    return r.current_version > 0 && r.id === this.resourceId && !!this.preview && !this.preview.fields.some((f) => f.personal);
  }

  private renderResource(d: Dataset, r: Resource): TemplateResult {
    const locale = getLocale();
    const size = r.size_bytes === null ? null : formatBytes(r.size_bytes, (n, digits) => formatNumber(n, locale, digits));
    const counted = () => recordUsage(d.name, 'download');
    return html`<li class="data-resource" data-resource=${r.id}>
      <h3 lang="vi">${r.name}</h3>
      <p class="data-result-meta">
        ${r.format ? html`<span class="data-chip data-chip-format">${r.format.toUpperCase()}</span>` : nothing}
        ${r.row_count !== null ? html`<span>${t('data.rowCount', { count: formatNumber(r.row_count, locale) })}</span>` : nothing}
        ${size ? html`<span>${size}</span>` : nothing}
        ${r.kind === 'upload' && r.current_version > 0 ? html`<span>${t('data.versionN', { version: r.current_version })}</span>` : nothing}
      </p>
      ${r.description ? html`<p lang="vi">${r.description}</p>` : nothing}
      ${r.kind === 'url'
        ? html`<p><a href=${r.url} target="_blank" rel="noopener" @click=${counted}>${t('data.openLink')} <span class="visually-hidden">${t('a11y.newTab')}</span></a></p>`
        : r.datastore_active
          ? html`<ul class="data-downloads" aria-label=${t('data.downloadsOf', { name: r.name })}>
              ${DOWNLOADS.map(
                (dl) => html`<li>
                  <a class="button button-small button-secondary" href=${downloadHref(d.name, r.id, dl.format)} download data-download=${dl.format} @click=${counted}
                    >${t(dl.label)}</a
                  >
                </li>`,
              )}
              ${this.originalShown(r)
                ? html`<li><a class="button button-small button-secondary" href=${versionDownloadPath(r.id, r.current_version)} download data-download="original" @click=${counted}>${t('data.downloadOriginal')}</a></li>`
                : nothing}
            </ul>`
          : html`<p class="hint">${t('data.noDataYet')}</p>`}
    </li>`;
  }

  private renderPreview(d: Dataset): TemplateResult | typeof nothing {
    const r = this.resource;
    if (!r) return nothing;
    const locale = getLocale();
    const page = this.preview;
    const fields = (page?.fields ?? []).filter((f) => f.name !== ROW_ID);
    const format = cellFormat();
    const queryable = d.resources.filter((x) => x.datastore_active);
    return html`<section class="card data-preview" aria-labelledby="data-preview-heading">
      <div class="section-head">
        <h2 id="data-preview-heading">${t('data.previewHeading')}</h2>
        ${queryable.length > 1
          ? html`<div class="field field-compact">
              <label for="data-resource-select">${t('data.previewResource')}</label>
              <select id="data-resource-select" @change=${(e: Event) => this.selectResource((e.target as HTMLSelectElement).value)}>
                ${queryable.map((x) => html`<option value=${x.id} ?selected=${x.id === r.id} lang="vi">${x.name}</option>`)}
              </select>
            </div>`
          : nothing}
      </div>
      <div class="form-error" role="alert">${this.previewError}</div>
      ${this.previewLoading ? html`<p role="status">${t('common.loading')}</p>` : nothing}
      ${page
        ? html`<p class="hint" id="data-preview-note">
              ${t('data.previewNote', { shown: formatNumber(page.records.length, locale), total: formatNumber(page.total, locale) })}
              ${t('data.previewSortHint')}
            </p>
            <div class="table-scroll data-preview-scroll" tabindex="0" role="region" aria-labelledby="data-preview-heading">
              <table class="data-table data-preview-table" id="data-preview-table" aria-describedby="data-preview-note">
                <caption class="visually-hidden">${t('data.previewCaption', { name: r.name })}</caption>
                <thead>
                  <tr>
                    ${fields.map(
                      (f) => html`<th scope="col" aria-sort=${ariaSort(this.previewSort, f.name)} data-field=${f.name}>
                        ${f.masked
                          ? html`<span lang="vi">${f.name}</span> <span class="data-masked-note">${t('data.maskedField')}</span>`
                          : html`<button type="button" class="data-sort-button" @click=${() => this.sortBy(f.name)}>
                              <span lang="vi">${f.name}</span>
                              <span class="data-sort-icon" aria-hidden="true"
                                >${this.previewSort?.field === f.name ? (this.previewSort.dir === 'asc' ? '▲' : '▼') : '↕'}</span
                              >
                            </button>`}
                      </th>`,
                    )}
                  </tr>
                </thead>
                <tbody lang="vi">
                  ${page.records.map(
                    (record) => html`<tr data-row=${String(record[ROW_ID] ?? '')} class=${this.selectedPoint !== null && String(record[ROW_ID]) === this.selectedPoint ? 'selected' : ''}>
                      ${fields.map((f) => html`<td class=${f.type === 'integer' || f.type === 'number' ? 'num' : ''}>${cellText(record[f.name], f.type, format)}</td>`)}
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
        : nothing}
    </section>`;
  }

  private renderMap(): TemplateResult | typeof nothing {
    if (this.points.length === 0) return nothing;
    const locale = getLocale();
    const points: MapPoint[] = this.points.map((p) => ({ id: p.id, lon: p.lon, lat: p.lat, tone: 'active' }));
    const selected = this.selectedPoint === null ? undefined : this.rowProps.get(this.selectedPoint);
    const format = cellFormat();
    const types = new Map((this.preview?.fields ?? []).map((f) => [f.name, f.type]));
    return html`<section class="data-map" aria-labelledby="data-map-heading">
      <h2 id="data-map-heading">${t('data.mapHeading')}</h2>
      <p class="hint">${t('data.mapNote', { count: formatNumber(this.points.length, locale), max: formatNumber(MAP_ROWS, locale) })}</p>
      <div class="map-layout">
        <div class="map-frame">
          ${this.mapFailed
            ? html`<p class="notice notice-warning" role="alert">${t('data.mapUnavailable')}</p>`
            : html`<cityos-points-map
                .label=${t('data.mapLabel')}
                .points=${points}
                .selectedId=${this.selectedPoint}
                @point-select=${(e: CustomEvent<{ id: string }>) => {
                  this.selectedPoint = e.detail.id;
                  announce(t('data.pointSelected'));
                }}
              ></cityos-points-map>`}
        </div>
        <section class="card map-details" aria-labelledby="data-map-details" aria-live="polite">
          <h3 id="data-map-details">${t('data.pointHeading')}</h3>
          ${selected
            ? html`<dl class="facts" lang="vi">
                ${Object.entries(selected)
                  .filter(([, v]) => v !== null && v !== '')
                  .map(([k, v]) => html`<dt>${k}</dt><dd>${cellText(v, types.get(k) ?? 'text', format)}</dd>`)}
              </dl>`
            : html`<p>${t('data.pointNone')}</p>`}
        </section>
      </div>
    </section>`;
  }

  private renderChart(): TemplateResult | typeof nothing {
    const page = this.preview;
    if (!page) return nothing;
    const fields = groupableFields(page.fields);
    if (fields.length === 0) return nothing;
    const locale = getLocale();
    const field = this.chartField;
    const types = new Map(page.fields.map((f) => [f.name, f.type]));
    const format = cellFormat();
    const bars = (this.chart?.groups ?? []).map((g) => ({
      label: g[field ?? ''] === null || g[field ?? ''] === undefined ? t('data.chartBlank') : cellText(g[field ?? ''], types.get(field ?? '') ?? 'text', format),
      value: typeof g['count'] === 'number' ? g['count'] : 0,
    }));
    const title = field ? t('data.chartTitle', { field }) : '';
    const layout = layoutBars(bars);
    return html`<section class="card data-chart" aria-labelledby="data-chart-heading">
      <div class="section-head">
        <h2 id="data-chart-heading">${t('data.chartHeading')}</h2>
        <div class="field field-compact">
          <label for="data-chart-field">${t('data.chartField')}</label>
          <select
            id="data-chart-field"
            @change=${(e: Event) => {
              this.chartField = (e.target as HTMLSelectElement).value || null;
              this.chart = null;
              void this.loadChart();
            }}
          >
            <option value="" ?selected=${field === null}>${t('data.chartChoose')}</option>
            ${fields.map((f) => html`<option value=${f.name} ?selected=${f.name === field} lang="vi">${f.name}</option>`)}
          </select>
        </div>
      </div>
      <div class="form-error" role="alert">${this.chartError}</div>
      ${field && this.chart
        ? html`<figure class="data-chart-figure" data-field=${field} data-groups=${bars.length}>
            <figcaption>
              ${title}.
              ${this.chart.total > bars.length
                ? t('data.chartLargest', { shown: formatNumber(bars.length, locale), total: formatNumber(this.chart.total, locale) })
                : ''}
            </figcaption>
            ${barChartSvg(layout, title, (n) => formatNumber(n, locale))}
          </figure>
          <details class="data-chart-table">
            <summary>${t('data.chartAsTable')}</summary>
            <table class="data-table">
              <caption>${title}</caption>
              <thead>
                <tr>
                  <th scope="col" lang="vi">${field}</th>
                  <th scope="col" class="num">${t('data.chartCount')}</th>
                </tr>
              </thead>
              <tbody>
                ${bars.map(
                  (b) => html`<tr>
                    <th scope="row" lang="vi">${b.label}</th>
                    <td class="num">${formatNumber(b.value, locale)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </details>`
        : field
          ? html`<p role="status">${t('common.loading')}</p>`
          : html`<p class="hint">${t('data.chartPick')}</p>`}
    </section>`;
  }

  private renderApi(d: Dataset): TemplateResult {
    const sample = this.preview?.fields.find((f) => f.type === 'text' && !f.masked)?.name;
    const examples = apiExamples(location.origin, d.name, this.resourceId, sample);
    return html`<section class="card data-api" aria-labelledby="data-api-heading">
      <h2 id="data-api-heading">${t('data.apiHeading')}</h2>
      <p>${t('data.apiIntro')}</p>
      ${examples.map(
        (ex) => html`<h3 id="data-api-${ex.id}">${t(EXAMPLE_LABELS[ex.id])}</h3>
          <pre class="data-code" tabindex="0" aria-labelledby="data-api-${ex.id}"><code>${ex.command}</code></pre>`,
      )}
      <p>
        ${t('data.apiMore')}
        <a href="/api/docs" target="_blank" rel="noopener">${t('nav.apiDocs')} <span class="visually-hidden">${t('a11y.newTab')}</span></a>
        · <a href="/api/datahub/dcat.jsonld">${t('data.dcatJsonLd')}</a> · <a href="/api/datahub/dcat.ttl">${t('data.dcatTurtle')}</a>
      </p>
    </section>`;
  }

  override render(): TemplateResult {
    const d = this.item;
    const locale = getLocale();
    if (this.notFound) {
      return html`<div class="page data-dataset">
        <h1 tabindex="-1">${t('data.notFoundTitle')}</h1>
        <p>${t('data.notFoundBody')}</p>
        <p><a href=${href('/data')}>${t('data.backToPortal')}</a></p>
      </div>`;
    }
    if (!d) {
      return html`<div class="page data-dataset">
        <p><a class="back-link" href=${href('/data')}>${t('data.backToPortal')}</a></p>
        <h1 tabindex="-1">${t('data.datasetTitle')}</h1>
        <div class="form-error" role="alert">${this.loadError}</div>
        ${this.loadError ? nothing : html`<p role="status">${t('common.loading')}</p>`}
      </div>`;
    }
    const title = datasetTitle(d, locale);
    const notes = datasetNotes(d, locale);
    return html`<div class="page page-wide data-dataset" data-name=${d.name}>
      <p><a class="back-link" href=${href('/data')}>${t('data.backToPortal')}</a></p>
      <h1 tabindex="-1" lang=${title.lang}>${title.text}</h1>
      <p class="data-result-meta">
        <span>${this.names.agency(d.owner_agency, locale)}</span>
        <span data-usage="views">${t('data.viewsCount', { count: formatNumber(d.views, locale) })}</span>
        <span data-usage="downloads">${t('data.downloadsCount', { count: formatNumber(d.downloads, locale) })}</span>
      </p>
      ${notes.text ? html`<p class="lead data-notes" lang=${notes.lang}>${notes.text}</p>` : nothing}
      <div class="data-dataset-grid">
        ${this.renderMetadata(d)}
        <section class="card" aria-labelledby="data-resources-heading">
          <h2 id="data-resources-heading">${t('data.resourcesHeading')}</h2>
          ${d.resources.length === 0
            ? html`<p>${t('data.noResources')}</p>`
            : html`<ul class="data-resource-list">
                ${d.resources.map((r) => this.renderResource(d, r))}
              </ul>`}
        </section>
      </div>
      ${this.renderPreview(d)} ${this.renderMap()} ${this.renderChart()} ${this.renderApi(d)}
    </div>`;
  }
}

customElements.define('cityos-data-dataset-page', DataDatasetPage);
