/**
 * Reference data of the feedback pages (categories, wards, agencies), read
 * once per page load, and the names shown for their codes.
 */
import type { Agency, FeedbackCategory, Items, JurisdictionWithPoint } from '../api/types';
import { citizen } from '../citizen-session';
import { getLocale, t, tMaybe, type Locale } from '../i18n';
import { compareText } from '../i18n/format';
import { session } from '../session';
import { wardOfCommittee } from './model';

function cached<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | null = null;
  return () => {
    if (!promise) {
      promise = load().catch((error: unknown) => {
        promise = null;
        throw error;
      });
    }
    return promise;
  };
}

/** The category tree (public). */
export const loadCategories = cached(async () => (await citizen.api.get<Items<FeedbackCategory>>('/api/feedback/categories')).items);

/** Wards, communes and the special zone (public), sorted by name. */
export const loadWards = cached(async () => {
  const items = (await citizen.api.get<Items<JurisdictionWithPoint>>('/api/jurisdictions')).items;
  return items.filter((j) => j.parent_code !== null).sort((a, b) => compareText(a.name, b.name, 'vi'));
});

/** The ward boundaries for maps (public GeoJSON). */
export const loadWardGeoJson = cached(() => citizen.api.get<unknown>('/api/jurisdictions/geojson'));

/** Agencies: staff only (the portal shows ward committees by ward name, other units by code). */
export async function loadAgencies(): Promise<Agency[]> {
  return (await session.api.get<Items<Agency>>('/api/identity/agencies')).items;
}

/** Names for the codes reports carry, in the current language. */
export class Names {
  private readonly categoryByCode: Map<string, FeedbackCategory>;
  private readonly wardByCode: Map<string, JurisdictionWithPoint>;
  private readonly agencyByCode: Map<string, Agency>;

  constructor(
    readonly categories: FeedbackCategory[] = [],
    readonly wards: JurisdictionWithPoint[] = [],
    readonly agencies: Agency[] = [],
  ) {
    this.categoryByCode = new Map(categories.map((c) => [c.code, c]));
    this.wardByCode = new Map(wards.map((w) => [w.code, w]));
    this.agencyByCode = new Map(agencies.map((a) => [a.code, a]));
  }

  categoryOf(code: string | null | undefined): FeedbackCategory | undefined {
    return code ? this.categoryByCode.get(code) : undefined;
  }

  category(code: string | null | undefined, locale: Locale = getLocale()): string {
    if (!code) return t('feedback.noCategory');
    const category = this.categoryByCode.get(code);
    if (!category) return code;
    return locale === 'vi' ? category.name_vi : category.name_en;
  }

  /** "Group › leaf" for a leaf category. */
  categoryPath(code: string | null | undefined, locale: Locale = getLocale()): string {
    const category = this.categoryOf(code);
    if (!category?.parent_code) return this.category(code, locale);
    return `${this.category(category.parent_code, locale)} › ${this.category(code, locale)}`;
  }

  ward(code: string | null | undefined): string {
    if (!code) return t('feedback.noWard');
    return this.wardByCode.get(code)?.name ?? code;
  }

  wardOf(code: string | null | undefined): JurisdictionWithPoint | undefined {
    return code ? this.wardByCode.get(code) : undefined;
  }

  agencyKnown(code: string): boolean {
    return this.agencyByCode.has(code);
  }

  agency(code: string | null | undefined, locale: Locale = getLocale()): string {
    if (!code) return t('feedback.noAgency');
    const agency = this.agencyByCode.get(code);
    if (agency) return agencyDisplayName(agency, locale);
    const ward = wardOfCommittee(code);
    const wardName = ward ? this.wardByCode.get(ward)?.name : undefined;
    return wardName ? t('feedback.wardCommittee', { name: wardName }) : code;
  }
}

/** An agency's name, with "Ủy ban nhân dân" written "UBND" as Vietnamese documents do (tables stay readable). */
export function agencyDisplayName(agency: Agency, locale: Locale = getLocale()): string {
  return locale === 'vi' ? agency.name_vi.replace(/^Ủy ban nhân dân /u, 'UBND ') : agency.name_en;
}

export function statusLabel(status: string, fallback?: string): string {
  return tMaybe(`feedbackStatus.${status}`, fallback ?? status);
}

export function channelLabel(channel: string): string {
  return tMaybe(`feedbackChannel.${channel}`, channel);
}

export function updateKindLabel(kind: string): string {
  return tMaybe(`feedbackUpdate.${kind}`, kind);
}
