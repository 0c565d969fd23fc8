/** Names of indicators, models and frequencies in the current language. */
import { t, tMaybe, type Locale } from '../i18n';
import type { Frequency } from './format';
import type { IndicatorSummary } from './types';

export function indicatorName(indicator: Pick<IndicatorSummary, 'name_vi' | 'name_en'>, locale: Locale): string {
  return (locale === 'vi' ? indicator.name_vi : indicator.name_en) || indicator.name_vi || indicator.name_en;
}

/** A model's name from the catalogue; the wire name when the catalogue lacks it. */
export function modelName(model: string): string {
  return tMaybe(`forecast.model.${model}`, model);
}

/** A model's name with the fitted form when it says more (`San bằng mũ (ETS) — ETS(M,A,M)`). */
export function modelTitle(model: string, label: string | null | undefined): string {
  const name = modelName(model);
  return label && label !== name && !name.includes(label) ? `${name} — ${label}` : name;
}

export function frequencyName(frequency: Frequency): string {
  return t(`forecast.frequency.${frequency}`);
}

export function jurisdictionName(code: string, names: Record<string, string> = {}): string {
  if (code === '79') return t('forecast.jurisdictionCity');
  return names[code] ?? t('forecast.jurisdictionCode', { code });
}
