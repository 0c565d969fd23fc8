/**
 * `#/gis` — the map of technical infrastructure: a layer per network with a
 * legend, features of the visible networks loaded for the current view from
 * OGC API – Features, the asset detail panel, and export of a layer in view.
 * The map canvas is not keyboard-accessible, so every feature in view is also
 * in a list of buttons beside it: nothing is reachable only through the map.
 * Loaded on demand (MapLibre is most of the bundle).
 */
import { html, nothing, svg, type PropertyValues, type TemplateResult } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import maplibregl, { type GeoJSONSource, type Map as MapLibreMap } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { ConsoleElement } from '../components/base';
import { describeError } from '../api/errors';
import { announce } from '../announcer';
import { getLocale, t } from '../i18n';
import { formatNumber, INTL_LOCALE } from '../i18n/format';
import { localizeMapControls, mapUiStrings } from '../map/controls';
import { wardStyle } from '../map/ward-style';
import { loadWardBasemap } from '../map/ward-basemap';
import type { Bounds } from '../map/geometry';
import { href } from '../router';
import { session } from '../session';
import { DEFAULT_CRS, EXPORT_FORMATS, gisUrls, type Bbox, type CollectionInfo, type ExportFormat, type GisFeature } from './api';
import { gisClient } from './client';
import { canImport, collectionDef, collectionTitle, collectionsOf, isOverviewCollection, NETWORKS, networkOf, networkTitle, type Network } from './model';
import { FEATURE_SOURCE, interactiveLayerIds, lineLayerId, networkLayers, NETWORK_STYLES, pointLayerId, SELECTED_SOURCE, selectionLayers, svgDashArray } from './style';
import { DETAIL_ZOOM, featureBounds, hiddenCount, ITEM_LIMIT, limitConcurrency, LIST_LIMIT, MAP_REQUESTS_IN_FLIGHT, planLoad, sameView, type CollectionResult } from './view';
import './asset-panel';
import { crsOptionLabel } from './values';
import './gis.css';

declare global {
  interface Window {
    /** Test hook: the infrastructure map while it is open. */
    __cityosGisMap?: MapLibreMap;
  }
}

interface Selection {
  collection: string;
  id: string;
}

interface ListedFeature {
  collection: string;
  id: string;
  name: string;
}

const VISIBLE_KEY = 'cityos.gis.networks';

function storedNetworks(): Set<Network> {
  try {
    const stored = JSON.parse(localStorage.getItem(VISIBLE_KEY) ?? 'null') as unknown;
    if (Array.isArray(stored)) return new Set(stored.filter((n): n is Network => (NETWORKS as readonly string[]).includes(n as string)));
  } catch {
    // Unreadable choice: start with every network.
  }
  return new Set(NETWORKS);
}

function prefersReducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

export class GisPage extends ConsoleElement {
  static override properties = {
    query: {},
    visible: { state: true },
    results: { state: true },
    zoom: { state: true },
    loading: { state: true },
    error: { state: true },
    selection: { state: true },
    mapUnavailable: { state: true },
    exportCollection: { state: true },
    exportFormat: { state: true },
    exportCrs: { state: true },
    collectionInfo: { state: true },
  };

  /** The route's query string (`collection=…&id=…` opens an asset). */
  query = '';
  visible: Set<Network> = storedNetworks();
  results: CollectionResult[] = [];
  zoom = 0;
  loading = false;
  error = '';
  selection: Selection | null = null;
  mapUnavailable = false;
  exportCollection = '';
  exportFormat: ExportFormat = 'geojson';
  exportCrs = '';
  /** The server's collections with the CRS each is served in (the export's choices). */
  collectionInfo: CollectionInfo[] = [];

  private map: MapLibreMap | null = null;
  private mapReady = false;
  private lastView: { bbox: Bbox; zoom: number } | null = null;
  private loadAbort: AbortController | null = null;
  private reloadTimer = 0;
  private cityBounds: Bounds | null = null;
  /** The open asset, drawn (and framed) once the map has loaded when it opened first. */
  private selectedFeature: { feature: GisFeature; frame: boolean } | null = null;
  /**
   * How to bring the next opened asset into view: `zoom` to it (opened by address or
   * from a connection), `pan` only when outside the view (from the list: zooming would
   * change the list under the keyboard), `none` (clicked on the map).
   */
  private framing: 'zoom' | 'pan' | 'none' = 'zoom';
  /** The open asset was opened from the keyboard list: closing it returns focus to its button there. */
  private openedFromList = false;
  private listCache: {
    key: { results: CollectionResult[]; visible: Set<Network>; locale: string };
    value: { items: ListedFeature[]; total: number };
  } | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.startMap();
    gisClient.collections().then(
      (list) => (this.collectionInfo = list),
      () => (this.collectionInfo = []),
    );
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.loadAbort?.abort();
    window.clearTimeout(this.reloadTimer);
    if (window.__cityosGisMap === this.map) delete window.__cityosGisMap;
    this.map?.remove();
    this.map = null;
    this.mapReady = false;
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('query')) {
      const params = new URLSearchParams(this.query);
      const collection = params.get('collection');
      const id = params.get('id');
      if (collection && id && collectionDef(collection)) {
        this.framing = 'zoom';
        this.openedFromList = false;
        this.selection = { collection, id };
      }
    }
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    localizeMapControls(this.map, t('gis.mapLabel'));
  }

  // ---- map -------------------------------------------------------------

  private async startMap(): Promise<void> {
    // The networks still draw without ward outlines.
    const { wards, cityBounds } = await loadWardBasemap();
    await this.updateComplete;
    const container = this.querySelector<HTMLElement>('.gis-map-canvas');
    if (!container || !this.isConnected) return;
    this.cityBounds = cityBounds;
    const style = wardStyle(wards, { fillOpacity: 0.25 });
    style.sources[FEATURE_SOURCE] = { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };
    style.sources[SELECTED_SOURCE] = { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };
    for (const network of NETWORKS) style.layers.push(...networkLayers(network, this.visible.has(network)));
    style.layers.push(...selectionLayers());
    let map: MapLibreMap;
    try {
      map = new maplibregl.Map({
        container,
        style,
        bounds: this.cityBounds ?? undefined,
        fitBoundsOptions: { padding: 24 },
        center: this.cityBounds ? undefined : [106.7, 10.78],
        zoom: this.cityBounds ? undefined : 11,
        attributionControl: { compact: true },
        dragRotate: false,
        pitchWithRotate: false,
        locale: mapUiStrings(t('gis.mapLabel')),
        canvasContextAttributes: { preserveDrawingBuffer: true },
      });
    } catch {
      // No WebGL: the list, the detail panel and the export still work.
      this.mapUnavailable = true;
      return;
    }
    this.map = map;
    window.__cityosGisMap = map;
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    map.touchZoomRotate.disableRotation();
    const layers = interactiveLayerIds();
    map.on('click', (event) => {
      const hit = map.queryRenderedFeatures(event.point, { layers: layers.filter((id) => map.getLayer(id)) })[0];
      const id = hit?.properties?.['fid'];
      const collection = hit?.properties?.['collection'];
      if (typeof id === 'string' && typeof collection === 'string') this.select({ collection, id }, 'none');
    });
    for (const layer of layers) {
      map.on('mouseenter', layer, () => (map.getCanvas().style.cursor = 'pointer'));
      map.on('mouseleave', layer, () => (map.getCanvas().style.cursor = ''));
    }
    map.on('moveend', () => this.scheduleReload());
    map.on('load', () => {
      this.mapReady = true;
      container.dataset['state'] = 'loaded';
      if (this.selectedFeature) {
        this.framing = 'zoom';
        this.drawSelected(this.selectedFeature.feature, this.selectedFeature.frame);
        this.framing = 'none';
      }
      this.scheduleReload(0);
    });
    localizeMapControls(map, t('gis.mapLabel'));
  }

  private scheduleReload(delay = 250): void {
    window.clearTimeout(this.reloadTimer);
    this.reloadTimer = window.setTimeout(() => void this.reload(), delay);
  }

  private currentView(): { bbox: Bbox; zoom: number } | null {
    if (!this.map) return null;
    const bounds = this.map.getBounds();
    return { bbox: [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()], zoom: this.map.getZoom() };
  }

  /**
   * Loads what the view shows: features of the visible networks' collections, or only their counts when zoomed out.
   * With `only`, just that network is loaded for the view already shown (a layer switched on) and the other
   * networks' results are kept: about a sixth of the requests of a full reload.
   */
  private async reload(force = false, only: Network | null = null): Promise<void> {
    const view = this.currentView();
    if (!view || !this.mapReady) return;
    if (!force && sameView(this.lastView, view)) return;
    // A partial load needs the rest of the view in place: while a full load is running, or after the view moved, load everything.
    const partial = only !== null && !this.loading && this.lastView !== null && sameView(this.lastView, view);
    this.lastView = view;
    this.loadAbort?.abort();
    const abort = new AbortController();
    this.loadAbort = abort;
    this.zoom = view.zoom;
    const plan = planLoad(view.zoom, partial && only ? new Set([only]) : this.visible);
    this.loading = true;
    const tasks: Array<() => Promise<CollectionResult>> = [
      ...plan.load.map((def) => async () => {
        const page = await gisClient.items(def.id, { bbox: view.bbox, limit: ITEM_LIMIT }, abort.signal);
        return { collection: def.id, features: page.features, matched: page.numberMatched, loaded: true };
      }),
      ...plan.count.map((def) => async () => {
        const page = await gisClient.items(def.id, { bbox: view.bbox, limit: 1 }, abort.signal);
        // Only counted: the one feature fetched just tells "some" when the server gives no total.
        return { collection: def.id, features: page.numberMatched === null ? page.features : [], matched: page.numberMatched, loaded: false };
      }),
    ];
    // A few at a time: browsers open about six connections per server, and the asset panel needs some too.
    const jobs = limitConcurrency(tasks, MAP_REQUESTS_IN_FLIGHT);
    const settled = await Promise.allSettled(jobs);
    if (abort.signal.aborted) return;
    const results: CollectionResult[] = [];
    let firstError: unknown = null;
    for (const outcome of settled) {
      if (outcome.status === 'fulfilled') results.push(outcome.value);
      else firstError ??= outcome.reason;
    }
    this.results = partial ? [...this.results.filter((result) => networkOf(result.collection) !== only), ...results] : results;
    this.error = firstError ? describeError(firstError) : '';
    this.loading = false;
    this.drawFeatures();
    const container = this.querySelector<HTMLElement>('.gis-map-canvas');
    if (container) {
      container.dataset['state'] = 'ready';
      container.dataset['features'] = String(this.shownFeatures().length);
    }
  }

  private shownFeatures(): Array<GisFeature & { collection: string }> {
    return this.results.flatMap((result) =>
      result.loaded && this.visible.has(networkOf(result.collection) ?? 'post') ? result.features.map((feature) => ({ ...feature, collection: result.collection })) : [],
    );
  }

  private drawFeatures(): void {
    const source = this.map?.getSource<GeoJSONSource>(FEATURE_SOURCE);
    if (!source) return;
    source.setData({
      type: 'FeatureCollection',
      features: this.shownFeatures()
        .filter((feature) => feature.geometry)
        .map((feature) => {
          const def = collectionDef(feature.collection);
          return {
            type: 'Feature' as const,
            geometry: feature.geometry as never,
            properties: {
              fid: feature.id,
              collection: feature.collection,
              network: networkOf(feature.collection) ?? '',
              overview: def ? isOverviewCollection(def) : false,
            },
          };
        }),
    });
  }

  private drawSelected(feature: GisFeature | null, frame: boolean): void {
    const source = this.map?.getSource<GeoJSONSource>(SELECTED_SOURCE);
    source?.setData({
      type: 'FeatureCollection',
      features: feature?.geometry ? [{ type: 'Feature', geometry: feature.geometry as never, properties: {} }] : [],
    });
    if (!frame || !feature || !this.map || this.framing === 'none') return;
    const bounds = featureBounds(feature);
    if (!bounds) return;
    const [w, s, e, n] = bounds;
    const view = this.map.getBounds();
    const inView = w >= view.getWest() && e <= view.getEast() && s >= view.getSouth() && n <= view.getNorth();
    if (!inView || (this.framing === 'zoom' && this.map.getZoom() < DETAIL_ZOOM)) {
      this.map.fitBounds(
        [
          [w, s],
          [e, n],
        ],
        { padding: 80, maxZoom: Math.max(DETAIL_ZOOM + 1, this.map.getZoom()), duration: prefersReducedMotion() ? 0 : 500 },
      );
    }
  }

  // ---- interaction ------------------------------------------------------

  private toggleNetwork(network: Network, on: boolean): void {
    const next = new Set(this.visible);
    if (on) next.add(network);
    else next.delete(network);
    this.visible = next;
    try {
      localStorage.setItem(VISIBLE_KEY, JSON.stringify([...next]));
    } catch {
      // The choice then lasts for this page only.
    }
    for (const layer of [lineLayerId(network), pointLayerId(network)]) {
      if (this.map?.getLayer(layer)) this.map.setLayoutProperty(layer, 'visibility', on ? 'visible' : 'none');
    }
    announce(t(on ? 'gis.layerShown' : 'gis.layerHidden', { network: networkTitle(network, getLocale()) }));
    if (on) void this.reload(true, network);
    else {
      this.results = this.results.filter((result) => networkOf(result.collection) !== network);
      this.drawFeatures();
    }
  }

  private select(selection: Selection | null, framing: 'zoom' | 'pan' | 'none' = 'pan'): void {
    this.framing = framing;
    this.openedFromList = selection !== null && framing === 'pan';
    this.selection = selection;
    // Keep the open asset in the address without a route change (which would move focus to the page heading).
    const params = selection ? `?${new URLSearchParams({ collection: selection.collection, id: selection.id }).toString()}` : '';
    history.replaceState(history.state, '', `${location.pathname}${location.search}#/gis${params}`);
    if (!selection) {
      this.selectedFeature = null;
      this.drawSelected(null, false);
    }
  }

  private onFeatureLoaded(event: CustomEvent<{ feature: GisFeature; frame: boolean }>): void {
    this.selectedFeature = event.detail;
    this.drawSelected(event.detail.feature, event.detail.frame);
    // Frame once per opening; later reloads of the same asset (after an edit) leave the view alone.
    this.framing = 'none';
  }

  /**
   * Closes the asset panel (its close button or Escape) and puts focus back where
   * the asset was opened: its button in the list, else the list's heading.
   */
  private closePanel(): void {
    const from = this.openedFromList ? this.selection : null;
    this.select(null);
    const button = from
      ? [...this.querySelectorAll<HTMLElement>('.gis-feature-button')].find(
          (candidate) => candidate.dataset['featureId'] === from.id && candidate.dataset['collection'] === from.collection,
        )
      : undefined;
    (button ?? this.querySelector<HTMLElement>('#gis-list-heading'))?.focus();
  }

  private onFeatureChanged(): void {
    void this.reload(true);
  }

  private onFeatureDeleted(): void {
    this.select(null);
    void this.reload(true);
    this.querySelector<HTMLElement>('#gis-list-heading')?.focus();
  }

  private zoomIn(): void {
    if (!this.map) return;
    this.map.easeTo({ zoom: Math.max(this.map.getZoom() + 1, DETAIL_ZOOM), duration: prefersReducedMotion() ? 0 : 400 });
  }

  // ---- rendering --------------------------------------------------------

  /** The keyboard list, sorted by name; recomputed only when the features, layers or language change (thousands at street zoom). */
  private listed(): { items: ListedFeature[]; total: number } {
    const locale = getLocale();
    const key = { results: this.results, visible: this.visible, locale };
    const cached = this.listCache;
    if (cached && cached.key.results === key.results && cached.key.visible === key.visible && cached.key.locale === key.locale) return cached.value;
    const all = this.shownFeatures().map((feature) => ({
      collection: feature.collection,
      id: feature.id,
      name: typeof feature.properties['name'] === 'string' && feature.properties['name'] !== '' ? feature.properties['name'] : feature.id,
    }));
    const collator = new Intl.Collator(INTL_LOCALE[locale], { sensitivity: 'base', numeric: true });
    all.sort((x, y) => collator.compare(x.name, y.name) || collator.compare(x.id, y.id));
    const value = { items: all.slice(0, LIST_LIMIT), total: all.length };
    this.listCache = { key, value };
    return value;
  }

  private renderLayers(): TemplateResult {
    const locale = getLocale();
    return html`<fieldset class="fieldset gis-layers">
      <legend>${t('gis.layers')}</legend>
      <ul class="gis-layer-list">
        ${NETWORKS.map((network) => {
          const style = NETWORK_STYLES[network];
          const id = `gis-layer-${network}`;
          const hasLinks = collectionsOf(network).some((def) => def.kind === 'link');
          return html`<li class="checkbox-field gis-layer" data-network=${network}>
            <input type="checkbox" id=${id} .checked=${this.visible.has(network)} @change=${(e: Event) => this.toggleNetwork(network, (e.target as HTMLInputElement).checked)} aria-describedby=${`${id}-legend`} />
            <label for=${id}>
              <svg class="gis-swatch" width="44" height="16" viewBox="0 0 44 16" aria-hidden="true" focusable="false">
                ${hasLinks
                  ? svg`<line x1="2" y1="8" x2="26" y2="8" stroke=${style.colour} stroke-width="3" stroke-dasharray=${svgDashArray(style.pattern) || nothing} />`
                  : nothing}
                <circle cx="36" cy="8" r="5" fill=${style.point === 'filled' ? style.colour : '#ffffff'} stroke=${style.point === 'filled' ? '#ffffff' : style.colour} stroke-width=${style.point === 'double' ? 3 : 2} />
                ${style.point === 'filled' ? svg`<circle cx="36" cy="8" r="6" fill="none" stroke=${style.colour} stroke-width="1" />` : nothing}
              </svg>
              <span class="gis-layer-name">${networkTitle(network, locale)}</span>
            </label>
            <span class="gis-legend-text hint" id=${`${id}-legend`}>
              ${hasLinks
                ? t('gis.legendText', { line: t(`gis.pattern.${style.pattern}`), point: t(`gis.point.${style.point}`) })
                : t('gis.legendPoints', { point: t(`gis.point.${style.point}`) })}
            </span>
          </li>`;
        })}
      </ul>
    </fieldset>`;
  }

  private renderExport(): TemplateResult {
    const locale = getLocale();
    const choices = NETWORKS.filter((network) => this.visible.has(network)).flatMap((network) => collectionsOf(network));
    const collection = choices.some((def) => def.id === this.exportCollection) ? this.exportCollection : (choices[0]?.id ?? '');
    const listed = this.collectionInfo.find((info) => info.id === collection)?.crs ?? [];
    // CRS84 is the default option; the rest as the server lists them for the layer.
    const crsChoices = (listed.length > 0 ? listed : DEFAULT_CRS).filter((crs) => !crs.endsWith('/CRS84'));
    const view = this.currentView();
    const url = collection ? gisUrls.exportFile(collection, { format: this.exportFormat, crs: this.exportCrs || null, bbox: view?.bbox ?? null }) : '';
    return html`<section class="card gis-export" aria-labelledby="gis-export-heading">
      <h2 id="gis-export-heading">${t('gis.exportHeading')}</h2>
      <p class="hint">${t('gis.exportIntro')}</p>
      <div class="field">
        <label for="gis-export-layer">${t('gis.exportLayer')}</label>
        <select id="gis-export-layer" @change=${(e: Event) => (this.exportCollection = (e.target as HTMLSelectElement).value)} ?disabled=${choices.length === 0}>
          ${choices.map((def) => html`<option value=${def.id} ?selected=${def.id === collection}>${networkTitle(def.network, locale)} — ${def[locale]}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="gis-export-format">${t('gis.exportFormat')}</label>
        <select id="gis-export-format" @change=${(e: Event) => (this.exportFormat = (e.target as HTMLSelectElement).value as ExportFormat)}>
          ${EXPORT_FORMATS.map((format) => html`<option value=${format} ?selected=${format === this.exportFormat}>${t(`gis.format.${format}`)}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="gis-export-crs">${t('gis.crs')}</label>
        <select id="gis-export-crs" @change=${(e: Event) => (this.exportCrs = (e.target as HTMLSelectElement).value)}>
          <option value="" ?selected=${this.exportCrs === ''}>${t('gis.crsDefault')}</option>
          ${crsChoices.map((crs) => html`<option value=${crs} ?selected=${crs === this.exportCrs}>${crsOptionLabel(crs)}</option>`)}
        </select>
      </div>
      ${url
        ? html`<a class="button" href=${url} download data-action="export">${t('gis.exportButton')}</a>`
        : html`<p class="hint">${t('gis.exportNoLayer')}</p>`}
    </section>`;
  }

  private renderList(): TemplateResult {
    const locale = getLocale();
    const { items, total } = this.listed();
    const hidden = hiddenCount(this.results.filter((result) => this.visible.has(networkOf(result.collection) ?? 'post')));
    const hint = hidden.count > 0 ? t('gis.zoomHint', { count: formatNumber(hidden.count, locale) }) : hidden.unknown ? t('gis.zoomHintMore') : '';
    return html`<section class="gis-list" aria-labelledby="gis-list-heading">
      <h2 id="gis-list-heading" tabindex="-1">${t('gis.listHeading')}</h2>
      <p class="result-count" role="status" data-total=${total}>
        ${this.loading ? t('common.loading') : t('gis.listCount', { count: formatNumber(total, locale) })}
      </p>
      ${hint
        ? html`<p class="notice gis-zoom-hint" data-hidden=${hidden.count}>
            ${hint}
            ${this.map ? html`<button type="button" class="link-button" @click=${() => this.zoomIn()}>${t('gis.zoomIn')}</button>` : nothing}
          </p>`
        : nothing}
      ${total > items.length ? html`<p class="hint">${t('gis.listTruncated', { shown: formatNumber(items.length, locale) })}</p>` : nothing}
      <ul class="gis-feature-list">
        ${items.map((item) => {
          const network = networkOf(item.collection);
          const selected = this.selection?.collection === item.collection && this.selection.id === item.id;
          return html`<li>
            <button
              type="button"
              class="gis-feature-button"
              data-feature-id=${item.id}
              data-collection=${item.collection}
              aria-pressed=${selected ? 'true' : 'false'}
              @click=${() => this.select({ collection: item.collection, id: item.id })}
            >
              <span class="gis-feature-dot" style=${styleMap({ background: network ? NETWORK_STYLES[network].colour : '#555' })} aria-hidden="true"></span>
              <span class="gis-feature-name">${item.name}</span>
              <span class="gis-feature-type">${collectionTitle(item.collection, locale)}</span>
            </button>
          </li>`;
        })}
      </ul>
    </section>`;
  }

  override render(): TemplateResult {
    const me = session.me;
    return html`<div class="page page-wide gis-page">
      <h1 tabindex="-1">${t('gis.title')}</h1>
      <p class="lead">${t('gis.intro')}</p>
      ${me && canImport(me.grants)
        ? html`<p class="gis-actions"><a class="button button-secondary" href=${href('/gis/import')} data-action="import">${t('gis.importLink')}</a></p>`
        : nothing}
      <div class="form-error" role="alert">${this.error}</div>
      <div class="gis-layout">
        <aside class="gis-sidebar" aria-label=${t('gis.sidebarLabel')}>${this.renderLayers()} ${this.renderExport()}</aside>
        <div class="gis-map-column">
          ${this.mapUnavailable ? html`<p class="notice notice-warning" role="alert">${t('gis.mapUnavailable')}</p>` : nothing}
          <div class="map-frame gis-map-frame">
            <div class="gis-map-canvas" data-state="loading" data-zoom=${this.zoom.toFixed(1)}></div>
          </div>
          <p class="hint">${t('gis.mapHint')}</p>
        </div>
        <div class="gis-side">
          ${this.selection
            ? html`<cityos-gis-asset-panel
                .collection=${this.selection.collection}
                .featureId=${this.selection.id}
                @gis-open-feature=${(e: CustomEvent<Selection>) => this.select(e.detail, 'zoom')}
                @gis-feature-loaded=${(e: CustomEvent<{ feature: GisFeature; frame: boolean }>) => this.onFeatureLoaded(e)}
                @gis-feature-changed=${() => this.onFeatureChanged()}
                @gis-feature-deleted=${() => this.onFeatureDeleted()}
                @gis-close=${() => this.closePanel()}
              ></cityos-gis-asset-panel>`
            : nothing}
          ${this.renderList()}
        </div>
      </div>
    </div>`;
  }
}

customElements.define('cityos-gis-page', GisPage);
