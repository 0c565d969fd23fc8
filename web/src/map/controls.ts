import type { Map as MapLibreMap } from 'maplibre-gl';
import { t } from '../i18n';

/** MapLibre's own control labels, in the console's current language. */
export function mapUiStrings(title: string = t('map.canvasLabel')): Record<string, string> {
  return {
    'Map.Title': title,
    'NavigationControl.ZoomIn': t('map.zoomIn'),
    'NavigationControl.ZoomOut': t('map.zoomOut'),
    'NavigationControl.ResetBearing': t('map.resetBearing'),
    'AttributionControl.ToggleAttribution': t('map.attribution'),
  };
}

/** MapLibre sets its control labels once; rewrite them (after a language switch). */
export function localizeMapControls(map: MapLibreMap | null | undefined, title?: string): void {
  if (!map) return;
  const strings = mapUiStrings(title);
  Object.assign((map as unknown as { _locale: Record<string, string> })._locale, strings);
  const container = map.getContainer();
  const set = (selector: string, label: string) => {
    for (const element of container.querySelectorAll<HTMLElement>(selector)) {
      element.setAttribute('aria-label', label);
      element.title = label;
    }
  };
  map.getCanvas().setAttribute('aria-label', strings['Map.Title']!);
  set('.maplibregl-ctrl-zoom-in', strings['NavigationControl.ZoomIn']!);
  set('.maplibregl-ctrl-zoom-out', strings['NavigationControl.ZoomOut']!);
  set('.maplibregl-ctrl-attrib-button', strings['AttributionControl.ToggleAttribution']!);
}
