/**
 * A MapLibre map of report points over the city's wards (the ward map's own
 * style: no outside tiles or glyphs). Used by the staff queue (points of the
 * current page; the table beside it is the accessible list) and by report
 * forms to pick a location (the address field and "use my position" do the
 * same without the map). Loaded on demand: MapLibre is most of the bundle.
 */
import { html, type PropertyValues, type TemplateResult } from 'lit';
import maplibregl, { type GeoJSONSource, type Map as MapLibreMap } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { ConsoleElement } from './base';
import { t } from '../i18n';
import { loadWardBasemap } from '../map/ward-basemap';
import { partitionCore, type Bounds, type Position } from '../map/geometry';
import { wardStyle } from '../map/ward-style';
import { localizeMapControls, mapUiStrings } from '../map/controls';

export interface MapPoint {
  id: string;
  lon: number;
  lat: number;
  /** Colour group: new, active, attention, done, stopped. */
  tone: string;
}

export interface LocationPickDetail {
  lon: number;
  lat: number;
}

declare global {
  interface Window {
    /** Test hook: the feedback map while it is open. */
    __cityosFeedbackMap?: MapLibreMap;
  }
}

const POINTS = 'report-points';
const PICKED = 'picked-point';
const TONES: Record<string, string> = {
  new: '#5b6675',
  active: '#0b5394',
  attention: '#b45309',
  done: '#1e6b34',
  stopped: '#8a94a3',
};

function prefersReducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

export class PointsMap extends ConsoleElement {
  static override properties = {
    points: { attribute: false },
    selectedId: { attribute: false },
    pickable: { type: Boolean },
    picked: { attribute: false },
    label: {},
    unavailable: { state: true },
  };

  points: MapPoint[] = [];
  selectedId: string | null = null;
  pickable = false;
  picked: Position | null = null;
  label = '';
  unavailable = false;

  private map: MapLibreMap | null = null;
  private cityBounds: Bounds | null = null;
  private ready = false;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (window.__cityosFeedbackMap === this.map) delete window.__cityosFeedbackMap;
    this.map?.remove();
    this.map = null;
    this.ready = false;
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    if (!this.ready) return;
    if (changed.has('points')) {
      this.setPoints();
      this.fitToPoints();
    }
    if (changed.has('selectedId')) this.applySelection();
    if (changed.has('picked')) this.setPicked();
    localizeMapControls(this.map, this.label || undefined);
  }

  private async start(): Promise<void> {
    const { wards: collection, cityBounds } = await loadWardBasemap();
    await this.updateComplete;
    const container = this.querySelector<HTMLElement>('.points-map-canvas');
    if (!container || !this.isConnected) return;
    this.cityBounds = cityBounds;
    const style = wardStyle(collection, { fillOpacity: 0.55 });
    style.sources[POINTS] = { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };
    style.sources[PICKED] = { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };
    const toneMatch: unknown[] = ['match', ['get', 'tone']];
    for (const [tone, colour] of Object.entries(TONES)) toneMatch.push(tone, colour);
    toneMatch.push(TONES['stopped']);
    style.layers.push(
      {
        id: 'report-points-circle',
        type: 'circle',
        source: POINTS,
        paint: {
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, 4, 14, 8],
          'circle-color': toneMatch as never,
          'circle-stroke-color': '#ffffff',
          'circle-stroke-width': 1.5,
        },
      },
      {
        id: 'report-points-selected',
        type: 'circle',
        source: POINTS,
        filter: ['==', ['get', 'id'], ''],
        paint: { 'circle-radius': 12, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#073763', 'circle-stroke-width': 3 },
      },
      {
        id: 'picked-point-circle',
        type: 'circle',
        source: PICKED,
        paint: { 'circle-radius': 9, 'circle-color': '#a4161a', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 3 },
      },
    );
    let map: MapLibreMap;
    try {
      map = new maplibregl.Map({
        container,
        style,
        bounds: this.cityBounds ?? undefined,
        fitBoundsOptions: { padding: 24 },
        center: this.cityBounds ? undefined : [106.7, 10.78],
        zoom: this.cityBounds ? undefined : 10,
        attributionControl: { compact: true },
        dragRotate: false,
        pitchWithRotate: false,
        locale: mapUiStrings(this.label || undefined),
        canvasContextAttributes: { preserveDrawingBuffer: true },
      });
    } catch {
      this.unavailable = true;
      this.dispatchEvent(new CustomEvent('map-unavailable', { bubbles: true }));
      return;
    }
    this.map = map;
    window.__cityosFeedbackMap = map;
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    map.touchZoomRotate.disableRotation();
    map.on('click', (event) => {
      const hit = map.queryRenderedFeatures(event.point, { layers: ['report-points-circle'] })[0];
      const id = hit?.properties?.['id'];
      if (typeof id === 'string') {
        this.dispatchEvent(new CustomEvent<{ id: string }>('point-select', { detail: { id }, bubbles: true }));
        return;
      }
      if (this.pickable) {
        const { lng, lat } = event.lngLat;
        this.dispatchEvent(new CustomEvent<LocationPickDetail>('location-pick', { detail: { lon: lng, lat }, bubbles: true }));
      }
    });
    map.on('mouseenter', 'report-points-circle', () => (map.getCanvas().style.cursor = 'pointer'));
    map.on('mouseleave', 'report-points-circle', () => (map.getCanvas().style.cursor = this.pickable ? 'crosshair' : ''));
    if (this.pickable) map.getCanvas().style.cursor = 'crosshair';
    map.on('load', () => {
      this.ready = true;
      this.setPoints();
      this.setPicked();
      this.applySelection();
      this.fitToPoints(true);
      container.dataset['state'] = 'loaded';
      map.once('idle', () => (container.dataset['state'] = 'ready'));
    });
    localizeMapControls(this.map, this.label || undefined);
  }

  private setPoints(): void {
    const source = this.map?.getSource<GeoJSONSource>(POINTS);
    source?.setData({
      type: 'FeatureCollection',
      features: this.points.map((point) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [point.lon, point.lat] },
        properties: { id: point.id, tone: point.tone },
      })),
    });
  }

  private setPicked(): void {
    const source = this.map?.getSource<GeoJSONSource>(PICKED);
    source?.setData({
      type: 'FeatureCollection',
      features: this.picked ? [{ type: 'Feature', geometry: { type: 'Point', coordinates: this.picked }, properties: {} }] : [],
    });
    if (this.picked && this.map && this.pickable && this.map.getZoom() < 13) {
      this.map.easeTo({ center: this.picked, zoom: 15, duration: prefersReducedMotion() ? 0 : 600 });
    }
  }

  private applySelection(): void {
    // The style is loaded once `ready`; isStyleLoaded() is false while tiles load (after easeTo).
    if (!this.map || !this.ready) return;
    this.map.setFilter('report-points-selected', ['==', ['get', 'id'], this.selectedId ?? '']);
    const point = this.points.find((p) => p.id === this.selectedId);
    if (point) this.map.easeTo({ center: [point.lon, point.lat], duration: prefersReducedMotion() ? 0 : 600 });
  }

  private fitToPoints(initial = false): void {
    const map = this.map;
    if (!map) return;
    if (this.points.length === 0) {
      if (!initial && this.cityBounds && !this.picked) {
        const [w, s, e, n] = this.cityBounds;
        map.fitBounds([[w, s], [e, n]], { padding: 24, duration: 0 });
      }
      return;
    }
    // Far islands (Côn Đảo) would shrink the mainland to a corner: frame the main body of points.
    const placed = this.points.map((p) => ({ point: p, label: [p.lon, p.lat] as Position, bounds: [p.lon, p.lat, p.lon, p.lat] as Bounds }));
    const core = partitionCore(placed).core.map((entry) => entry.point);
    const framed = core.length > 0 ? core : this.points;
    const lons = framed.map((p) => p.lon);
    const lats = framed.map((p) => p.lat);
    map.fitBounds(
      [
        [Math.min(...lons), Math.min(...lats)],
        [Math.max(...lons), Math.max(...lats)],
      ],
      { padding: 48, maxZoom: 15, duration: 0 },
    );
  }

  override render(): TemplateResult {
    return html`${this.unavailable ? html`<p class="notice notice-warning" role="alert">${t('feedback.mapUnavailable')}</p>` : ''}
      <div class="points-map-canvas" data-state="loading" data-points=${this.points.length}></div>`;
  }
}

customElements.define('cityos-points-map', PointsMap);
