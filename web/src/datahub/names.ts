/**
 * Names for the codes the catalogue carries (agencies, themes, licences,
 * update frequencies, sharing levels), in the current language, and the
 * dataset's own title and description in it.
 */
import { t, type Locale, type MessageKey } from '../i18n';
import type { Dataset, Licence, Organization, SharingLevel, Vocabulary } from './types';

const LEVEL_KEYS: Record<SharingLevel, MessageKey> = {
  open: 'data.levelOpen',
  shared: 'data.levelShared',
  restricted: 'data.levelRestricted',
};

export function levelLabel(level: SharingLevel): string {
  return t(LEVEL_KEYS[level] ?? 'data.levelShared');
}

export class DataNames {
  private readonly agencies: Map<string, Organization>;

  constructor(
    readonly vocabulary: Vocabulary = { licences: [], themes: [], frequencies: [], sharing_levels: [] },
    organizations: Organization[] = [],
  ) {
    this.agencies = new Map(organizations.map((o) => [o.id, o]));
  }

  agency(code: string, locale: Locale): string {
    const org = this.agencies.get(code);
    if (!org) return code;
    return locale === 'en' && org.title_en ? org.title_en : org.title;
  }

  agencyCodes(): string[] {
    return [...this.agencies.keys()];
  }

  theme(id: string, locale: Locale): string {
    const theme = this.vocabulary.themes.find((x) => x.id === id);
    if (!theme) return id;
    return locale === 'en' ? theme.name_en : theme.name_vi;
  }

  licenceOf(id: string): Licence | undefined {
    return this.vocabulary.licences.find((x) => x.id === id);
  }

  licence(id: string, locale: Locale): string {
    const licence = this.licenceOf(id);
    if (!licence) return id;
    return locale === 'en' ? licence.title_en : licence.title_vi;
  }

  frequency(id: string, locale: Locale): string {
    const frequency = this.vocabulary.frequencies.find((x) => x.id === id);
    if (!frequency) return id;
    return locale === 'en' ? frequency.name_en : frequency.name_vi;
  }
}

export interface LocalText {
  text: string;
  /** The language the text is in (the English title may be missing: the Vietnamese one stands in). */
  lang: Locale;
}

export function datasetTitle(d: Pick<Dataset, 'title_vi' | 'title_en'>, locale: Locale): LocalText {
  if (locale === 'en' && d.title_en.trim()) return { text: d.title_en, lang: 'en' };
  return { text: d.title_vi, lang: 'vi' };
}

export function datasetNotes(d: Pick<Dataset, 'notes_vi' | 'notes_en'>, locale: Locale): LocalText {
  if (locale === 'en' && d.notes_en.trim()) return { text: d.notes_en, lang: 'en' };
  return { text: d.notes_vi, lang: 'vi' };
}

/** The formats of a dataset's resources, once each, upper case. */
export function datasetFormats(d: Pick<Dataset, 'resources'>): string[] {
  return [...new Set(d.resources.map((r) => r.format.trim().toUpperCase()).filter((f) => f !== ''))].sort();
}
