/**
 * Division types of administrative units. The API's `division_type` is
 * normalised to a small set of categories that have catalogue names and map
 * colours; an unknown value is shown as it came.
 */
import { tMaybe } from '../i18n';

export type DivisionCategory = 'city' | 'ward' | 'commune' | 'special_zone' | 'other';

const ALIASES: Record<string, DivisionCategory> = {
  city: 'city',
  municipality: 'city',
  thanh_pho: 'city',
  'thành phố': 'city',
  ward: 'ward',
  phuong: 'ward',
  'phường': 'ward',
  commune: 'commune',
  xa: 'commune',
  'xã': 'commune',
  special_zone: 'special_zone',
  special_administrative_zone: 'special_zone',
  dac_khu: 'special_zone',
  'đặc khu': 'special_zone',
};

export function divisionCategory(divisionType: string | null | undefined): DivisionCategory {
  if (!divisionType) return 'other';
  const key = divisionType.normalize('NFC').trim().toLowerCase().replace(/[\s-]+/g, '_');
  return ALIASES[key] ?? ALIASES[key.replace(/_/g, ' ')] ?? 'other';
}

/** Name of the division type in the current language. */
export function divisionLabel(divisionType: string | null | undefined): string {
  const category = divisionCategory(divisionType);
  return category === 'other' ? (divisionType ?? '') : tMaybe(`division.${category}`, divisionType ?? '');
}

/** Fill colours (light, so that dark label text keeps AA contrast on top). */
export const DIVISION_COLOURS: Record<DivisionCategory, string> = {
  city: '#e8eef5',
  ward: '#cfe2f3',
  commune: '#d9ead3',
  special_zone: '#fce5cd',
  other: '#e6e6e6',
};
