import { html, nothing, type TemplateResult } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import maplibregl, { type GeoJSONSource, type Map as MapLibreMap } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { ConsoleElement } from '../components/base';
import { describeError } from '../api/errors';
import type { WardProperties } from '../api/types';
import { announce } from '../announcer';
import { getLocale, t } from '../i18n';
import { compareText, foldForSearch, formatNumber } from '../i18n/format';
import {
  boundsOf,
  geometryArea,
  labelPoint,
  partitionCore,
  rectsOverlap,
  unionBounds,
  type Bounds,
  type PolygonalGeometry,
  type Position,
} from '../map/geometry';
import { DIVISION_COLOURS, divisionCategory, divisionLabel, type DivisionCategory } from '../map/division';
import { WARD_FILL_LAYER, WARD_SOURCE, wardStyle } from '../map/ward-style';
import { localizeMapControls, mapUiStrings } from '../map/controls';
import { session } from '../session';

interface WardFeature {
  type: 'Feature';
  id?: string | number;
  geometry: PolygonalGeometry;
  properties: WardProperties;
}

interface WardCollection {
  type: 'FeatureCollection';
  features: WardFeature[];
}

/** One ward as the page uses it: API properties plus what the client derives. */
interface Ward {
  code: string;
  name: string;
  divisionType: string;
  category: DivisionCategory;
  searchText: string;
  area: number;
  bounds: Bounds | null;
  label: Position | null;
}

interface LabelMarker {
  ward: Ward;
  marker: maplibregl.Marker;
  element: HTMLElement;
  size: [number, number] | null;
}

declare global {
  interface Window {
    /** Test hook: the map of the map page while it is open. */
    __cityosMap?: MapLibreMap;
  }
}

const SOURCE = WARD_SOURCE;
const FILL_LAYER = WARD_FILL_LAYER;
const MIN_LABEL_ZOOM = 6;

function prefersReducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

/**
 * Map of the city's wards and communes, drawn by MapLibre GL from CityOS's own
 * GeoJSON with no outside tile or glyph service. Ward names are HTML labels
 * (the browser's Noto fonts carry the Vietnamese diacritics) placed without
 * overlap. Every ward is also in the searchable table below: nothing is
 * reachable only through the map.
 */
export class MapPage extends ConsoleElement {
  static override properties = {
    wards: { state: true },
    query: { state: true },
    selectedCode: { state: true },
    status: { state: true },
    error: { state: true },
    mapUnavailable: { state: true },
  };

  wards: Ward[] = [];
  query = '';
  selectedCode: string | null = null;
  status: 'loading' | 'ready' | 'error' = 'loading';
  error = '';
  mapUnavailable = false;

  private map: MapLibreMap | null = null;
  private collection: WardCollection | null = null;
  private labels: LabelMarker[] = [];
  private labelFrame = 0;
  private readonly abort = new AbortController();

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.abort.abort();
    if (this.labelFrame) cancelAnimationFrame(this.labelFrame);
    for (const label of this.labels) label.marker.remove();
    this.labels = [];
    this.map?.remove();
    if (window.__cityosMap === this.map) delete window.__cityosMap;
    this.map = null;
  }

  protected override updated(): void {
    // Controls and the canvas carry their own labels; keep them in the current language.
    localizeMapControls(this.map);
  }

  private async load(): Promise<void> {
    this.status = 'loading';
    try {
      const collection = await session.api.get<WardCollection>('/api/jurisdictions/geojson', { signal: this.abort.signal });
      this.collection = collection;
      const locale = getLocale();
      this.wards = collection.features
        .filter((feature) => feature.properties && typeof feature.properties.code === 'string')
        .map((feature) => {
          const p = feature.properties;
          const hasLabel = typeof p.label_lon === 'number' && typeof p.label_lat === 'number';
          return {
            code: p.code,
            name: p.name,
            divisionType: p.division_type,
            category: divisionCategory(p.division_type),
            searchText: foldForSearch(`${p.name} ${p.code}`),
            area: geometryArea(feature.geometry),
            bounds: boundsOf([feature.geometry]),
            label: hasLabel ? ([p.label_lon, p.label_lat] as Position) : labelPoint(feature.geometry),
          };
        })
        .sort((a, b) => compareText(a.name, b.name, locale));
      this.status = 'ready';
      announce(t('map.loadedCount', { count: formatNumber(this.wards.length, getLocale()) }));
      await this.updateComplete;
      this.createMap();
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') return;
      this.error = describeError(error);
      this.status = 'error';
    }
  }

  private createMap(): void {
    const container = this.querySelector<HTMLElement>('.map-canvas');
    if (!container || !this.collection) return;
    const style = wardStyle(this.collection);
    const bounds = this.cityBounds();
    let map: MapLibreMap;
    try {
      map = new maplibregl.Map({
        container,
        style,
        bounds: bounds ?? undefined,
        fitBoundsOptions: { padding: 24 },
        center: bounds ? undefined : [106.7, 10.78],
        zoom: bounds ? undefined : 9,
        attributionControl: { compact: true },
        dragRotate: false,
        pitchWithRotate: false,
        locale: mapUiStrings(),
        // Keeps the drawing buffer so screenshots of the page show the map.
        canvasContextAttributes: { preserveDrawingBuffer: true },
      });
    } catch {
      this.mapUnavailable = true;
      return;
    }
    this.map = map;
    window.__cityosMap = map;
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    map.touchZoomRotate.disableRotation();
    map.on('click', FILL_LAYER, (event) => {
      const code = event.features?.[0]?.properties?.['code'];
      if (typeof code === 'string') this.select(code, false);
    });
    map.on('mouseenter', FILL_LAYER, () => (map.getCanvas().style.cursor = 'pointer'));
    map.on('mouseleave', FILL_LAYER, () => (map.getCanvas().style.cursor = ''));
    map.on('load', () => {
      this.addLabels();
      this.applySelection();
      container.dataset['state'] = 'loaded';
    });
    map.on('move', () => this.scheduleLabelLayout());
    map.on('resize', () => this.scheduleLabelLayout());
    map.once('idle', () => {
      container.dataset['state'] = 'ready';
    });
    localizeMapControls(this.map);
  }

  /** The view that opens the page: the city's main body (far islands are one click away). */
  private cityBounds(): Bounds | null {
    return unionBounds(partitionCore(this.wards).core) ?? boundsOf(this.collection?.features.map((f) => f.geometry) ?? []);
  }

  private fitView(bounds: Bounds | null): void {
    if (!bounds || !this.map) return;
    this.map.fitBounds(
      [
        [bounds[0], bounds[1]],
        [bounds[2], bounds[3]],
      ],
      { padding: 24, duration: prefersReducedMotion() ? 0 : 800 },
    );
  }

  private addLabels(): void {
    const map = this.map;
    if (!map) return;
    // Bigger units first: when labels collide, the larger ward keeps its name.
    const ordered = [...this.wards].filter((ward) => ward.label).sort((a, b) => b.area - a.area);
    for (const ward of ordered) {
      const element = document.createElement('div');
      element.className = 'ward-label';
      element.textContent = ward.name;
      element.lang = 'vi';
      // The table below the map is the accessible list; labels are decoration.
      element.setAttribute('aria-hidden', 'true');
      element.setAttribute('role', 'presentation');
      element.setAttribute('aria-label', '');
      element.dataset['code'] = ward.code;
      const marker = new maplibregl.Marker({ element, anchor: 'center' }).setLngLat(ward.label!).addTo(map);
      this.labels.push({ ward, marker, element, size: null });
    }
    this.layoutLabels();
  }

  private scheduleLabelLayout(): void {
    if (this.labelFrame) return;
    this.labelFrame = requestAnimationFrame(() => {
      this.labelFrame = 0;
      this.layoutLabels();
    });
  }

  /** Shows as many ward names as fit without overlapping; the selected ward's name always wins. */
  private layoutLabels(): void {
    const map = this.map;
    if (!map || this.labels.length === 0) return;
    const canvas = map.getCanvas();
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    const zoomOk = map.getZoom() >= MIN_LABEL_ZOOM;
    const placed: Array<[number, number, number, number]> = [];
    const ordered = [...this.labels].sort(
      (a, b) => Number(b.ward.code === this.selectedCode) - Number(a.ward.code === this.selectedCode),
    );
    for (const label of ordered) {
      const selected = label.ward.code === this.selectedCode;
      label.element.classList.toggle('ward-label-selected', selected);
      if (!zoomOk && !selected) {
        label.element.style.visibility = 'hidden';
        continue;
      }
      if (!label.size) label.size = [label.element.offsetWidth, label.element.offsetHeight];
      const point = map.project(label.ward.label!);
      const rect: [number, number, number, number] = [
        point.x - label.size[0] / 2,
        point.y - label.size[1] / 2,
        label.size[0],
        label.size[1],
      ];
      const onScreen = rect[0] >= 0 && rect[1] >= 0 && rect[0] + rect[2] <= width && rect[1] + rect[3] <= height;
      const free = !placed.some((other) => rectsOverlap(rect, other));
      if (onScreen && (free || selected)) {
        placed.push(rect);
        label.element.style.visibility = 'visible';
      } else {
        label.element.style.visibility = 'hidden';
      }
    }
  }

  private select(code: string, fly: boolean): void {
    this.selectedCode = code;
    const ward = this.wards.find((w) => w.code === code);
    this.applySelection();
    if (ward) {
      announce(t('map.selected', { name: ward.name }));
      if (fly && ward.bounds && this.map) {
        const [west, south, east, north] = ward.bounds;
        this.map.fitBounds(
          [
            [west, south],
            [east, north],
          ],
          { padding: 80, maxZoom: 14, duration: prefersReducedMotion() ? 0 : 1200, linear: false },
        );
      }
    }
  }

  private applySelection(): void {
    const map = this.map;
    if (map && map.isStyleLoaded()) {
      const filter = ['==', ['get', 'code'], this.selectedCode ?? ''] as maplibregl.FilterSpecification;
      map.setFilter('wards-selected-fill', filter);
      map.setFilter('wards-selected-line', filter);
    }
    this.layoutLabels();
  }

  private filteredWards(): Ward[] {
    const query = foldForSearch(this.query);
    if (query === '') return this.wards;
    return this.wards.filter((ward) => ward.searchText.includes(query));
  }

  /** Exposed for tests and tools: the GeoJSON source of the map. */
  get source(): GeoJSONSource | undefined {
    return this.map?.getSource<GeoJSONSource>(SOURCE);
  }

  private renderViewButtons(): TemplateResult | typeof nothing {
    if (this.status !== 'ready' || this.mapUnavailable) return nothing;
    const { outliers } = partitionCore(this.wards);
    return html`<div class="map-toolbar">
      <button type="button" class="button button-small button-secondary" data-action="view-city" @click=${() => this.fitView(this.cityBounds())}>
        ${t('map.viewCity')}
      </button>
      ${outliers.length > 0
        ? html`<button
            type="button"
            class="button button-small button-secondary"
            data-action="view-all"
            @click=${() => this.fitView(unionBounds(this.wards))}
          >
            ${t('map.viewAll', { names: outliers.map((ward) => ward.name).join(', ') })}
          </button>`
        : nothing}
    </div>`;
  }

  private renderDetails(): TemplateResult {
    const ward = this.wards.find((w) => w.code === this.selectedCode);
    return html`<section class="card map-details" aria-labelledby="map-details-heading">
      <h2 id="map-details-heading">${t('map.detailsHeading')}</h2>
      ${ward
        ? html`<dl class="facts" data-code=${ward.code}>
            <dt>${t('map.name')}</dt>
            <dd lang="vi" class="ward-name">${ward.name}</dd>
            <dt>${t('map.code')}</dt>
            <dd class="ward-code">${ward.code}</dd>
            <dt>${t('map.type')}</dt>
            <dd>${divisionLabel(ward.divisionType)}</dd>
          </dl>`
        : html`<p>${t('map.detailsEmpty')}</p>`}
      ${this.renderLegend()}
    </section>`;
  }

  private renderLegend(): TemplateResult | typeof nothing {
    const categories = new Map<DivisionCategory, string>();
    for (const ward of this.wards) if (!categories.has(ward.category)) categories.set(ward.category, ward.divisionType);
    if (categories.size === 0) return nothing;
    return html`<ul class="legend">
      ${[...categories.entries()].map(
        ([category, raw]) => html`<li>
          <span class="legend-swatch" style=${styleMap({ background: DIVISION_COLOURS[category] })} aria-hidden="true"></span>
          ${divisionLabel(raw)}
        </li>`,
      )}
    </ul>`;
  }

  private renderTable(): TemplateResult {
    const locale = getLocale();
    const rows = this.filteredWards();
    return html`<section class="ward-list" aria-labelledby="ward-list-heading">
      <h2 id="ward-list-heading">${t('map.listHeading')}</h2>
      <div class="field field-inline">
        <label for="ward-search">${t('map.searchLabel')}</label>
        <input
          id="ward-search"
          type="search"
          autocomplete="off"
          aria-describedby="ward-search-hint"
          aria-controls="ward-table"
          .value=${this.query}
          @input=${(event: InputEvent) => (this.query = (event.target as HTMLInputElement).value)}
        />
        <p class="hint" id="ward-search-hint">${t('map.searchHint')}</p>
      </div>
      <p class="result-count" role="status" aria-live="polite">
        ${t('map.resultCount', { shown: formatNumber(rows.length, locale), total: formatNumber(this.wards.length, locale) })}
      </p>
      ${rows.length === 0 ? html`<p>${t('map.noResults')}</p>` : nothing}
      <div class="table-scroll">
        <table id="ward-table" class="data-table">
          <caption class="visually-hidden">${t('map.listHeading')}</caption>
          <thead>
            <tr>
              <th scope="col">${t('map.name')}</th>
              <th scope="col">${t('map.code')}</th>
              <th scope="col">${t('map.type')}</th>
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              (ward) => html`<tr
                data-code=${ward.code}
                class=${ward.code === this.selectedCode ? 'selected' : ''}
                aria-current=${ward.code === this.selectedCode ? 'true' : nothing}
                @click=${() => this.select(ward.code, true)}
              >
                <th scope="row">
                  <button
                    type="button"
                    class="link-button"
                    lang="vi"
                    aria-label=${t('map.showOnMap', { name: ward.name })}
                    @click=${(event: Event) => {
                      event.stopPropagation();
                      this.select(ward.code, true);
                    }}
                  >
                    ${ward.name}
                  </button>
                </th>
                <td>${ward.code}</td>
                <td>${divisionLabel(ward.divisionType)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </section>`;
  }

  override render(): TemplateResult {
    return html`<div class="page page-wide">
      <h1 tabindex="-1">${t('map.title')}</h1>
      <p class="notice notice-warning illustrative-notice" role="note">${t('map.illustrative')}</p>
      ${this.status === 'error' ? html`<p class="form-error" role="alert">${this.error}</p>` : nothing}
      ${this.status === 'loading' ? html`<p role="status">${t('map.loading')}</p>` : nothing}
      ${this.mapUnavailable ? html`<p class="notice notice-warning" role="alert">${t('map.webglUnavailable')}</p>` : nothing}
      <div class="map-layout">
        <section class="map-frame" aria-label=${t('map.regionLabel')}>
          ${this.renderViewButtons()}
          <div class="map-canvas" data-state="loading" data-ward-count=${this.wards.length}></div>
        </section>
        ${this.renderDetails()}
      </div>
      ${this.status === 'ready' ? this.renderTable() : nothing}
    </div>`;
  }
}

customElements.define('cityos-map-page', MapPage);
