import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { ConsoleElement, uniqueId } from '../components/base';
import { announce } from '../announcer';
import { ApiError } from '../api/client';
import { describeError } from '../api/errors';
import type { Items, Jurisdiction } from '../api/types';
import { getLocale, t, type MessageKey } from '../i18n';
import { compareText } from '../i18n/format';
import { session } from '../session';
import { fieldsFromForm, fieldsOf, formErrors, slugify } from './model';
import { DataNames, levelLabel } from './names';
import type { Dataset, DatasetFields, SharingLevel } from './types';

const LEVEL_HINTS: Record<SharingLevel, MessageKey> = {
  open: 'datahub.levelOpenHint',
  shared: 'datahub.levelSharedHint',
  restricted: 'datahub.levelRestrictedHint',
};

/** Places a dataset may cover: the city first, then its wards, communes and special zone by name. */
let placesPromise: Promise<Jurisdiction[]> | null = null;
function loadPlaces(): Promise<Jurisdiction[]> {
  if (!placesPromise) {
    placesPromise = session.api
      .get<Items<Jurisdiction>>('/api/jurisdictions')
      .then((r) =>
        [...r.items].sort((a, b) => (a.parent_code === null ? -1 : b.parent_code === null ? 1 : compareText(a.name, b.name, 'vi'))),
      )
      .catch((error: unknown) => {
        placesPromise = null;
        throw error;
      });
  }
  return placesPromise;
}

/**
 * A dataset's metadata form (create and edit): titles and descriptions in
 * Vietnamese and English, owner, sharing level, licence, update frequency,
 * coverage, focal officer, legal basis, themes and tags. The API validates;
 * its messages are shown next to the fields they concern.
 */
export class DatasetForm extends ConsoleElement {
  static override properties = {
    editing: { attribute: false },
    names: { attribute: false },
    agencies: { attribute: false },
    errors: { state: true },
    error: { state: true },
    busy: { state: true },
    places: { state: true },
  };

  /** The dataset edited; null to create one. */
  editing: Dataset | null = null;
  names = new DataNames();
  /** Agencies the user may create datasets for; null for any. */
  agencies: string[] | null = [];
  errors: Record<string, string[]> = {};
  error = '';
  busy = false;
  places: Jurisdiction[] = [];
  private nameTouched = false;
  private readonly uid = uniqueId('dataset');

  override connectedCallback(): void {
    super.connectedCallback();
    void loadPlaces()
      .then((places) => (this.places = places))
      .catch(() => undefined);
  }

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    if (changed.has('editing')) {
      this.errors = {};
      this.error = '';
      this.nameTouched = this.editing !== null;
    }
  }

  private get base(): DatasetFields {
    const own = session.me?.agency?.code ?? '';
    const agencies = this.agencies;
    const agency = agencies === null ? own : agencies.includes(own) ? own : (agencies[0] ?? own);
    return fieldsOf(this.editing, agency);
  }

  private fieldId(name: string): string {
    return `${this.uid}-${name}`;
  }

  private invalid(name: string): 'true' | 'false' {
    return this.errors[name]?.length ? 'true' : 'false';
  }

  private describedBy(name: string, hint = false): string {
    const ids: string[] = [];
    if (hint) ids.push(`${this.fieldId(name)}-hint`);
    if (this.errors[name]?.length) ids.push(`${this.fieldId(name)}-error`);
    return ids.join(' ');
  }

  private fieldError(name: string): TemplateResult | typeof nothing {
    const messages = this.errors[name];
    if (!messages?.length) return nothing;
    return html`<p class="field-error" id="${this.fieldId(name)}-error" data-error-for=${name}>${messages.join(' ')}</p>`;
  }

  private onTitle(event: Event): void {
    if (this.nameTouched) return;
    const name = this.querySelector<HTMLInputElement>(`#${this.fieldId('name')}`);
    if (name) name.value = slugify((event.target as HTMLInputElement).value);
  }

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (this.busy) return;
    const fields = fieldsFromForm(new FormData(event.currentTarget as HTMLFormElement), this.base);
    this.busy = true;
    try {
      const saved = this.editing
        ? await session.api.request<Dataset>('PUT', `/api/datahub/datasets/${encodeURIComponent(this.editing.id)}`, fields)
        : await session.api.post<Dataset>('/api/datahub/datasets', fields);
      this.errors = {};
      this.error = '';
      announce(t(this.editing ? 'datahub.saved' : 'datahub.created'));
      this.dispatchEvent(new CustomEvent<Dataset>('dataset-saved', { detail: saved, bubbles: true }));
    } catch (error) {
      this.errors = error instanceof ApiError ? formErrors(error.body) : {};
      this.error = Object.keys(this.errors).length > 0 ? t('datahub.formInvalid') : describeError(error);
      if (this.errors['']?.length) this.error = `${this.error} ${this.errors[''].join(' ')}`;
      await this.updateComplete;
      const first = this.querySelector<HTMLElement>('[aria-invalid="true"]');
      (first ?? this.querySelector<HTMLElement>(`#${this.uid}-error`))?.focus();
    } finally {
      this.busy = false;
    }
  }

  private text(name: keyof DatasetFields & string, label: MessageKey, value: string, opts: { required?: boolean; hint?: MessageKey; type?: string; onInput?: (e: Event) => void } = {}): TemplateResult {
    const id = this.fieldId(name);
    return html`<div class="field">
      <label for=${id}>${t(label)} ${opts.required ? html`<span class="optional">${t('common.required')}</span>` : nothing}</label>
      <input
        id=${id}
        name=${name}
        type=${opts.type ?? 'text'}
        .value=${value}
        ?required=${opts.required}
        aria-required=${opts.required ? 'true' : nothing}
        aria-invalid=${this.invalid(name)}
        aria-describedby=${this.describedBy(name, !!opts.hint) || nothing}
        @input=${opts.onInput ?? nothing}
      />
      ${opts.hint ? html`<p class="hint" id="${id}-hint">${t(opts.hint)}</p>` : nothing} ${this.fieldError(name)}
    </div>`;
  }

  private area(name: keyof DatasetFields & string, label: MessageKey, value: string, lang: string): TemplateResult {
    const id = this.fieldId(name);
    return html`<div class="field">
      <label for=${id}>${t(label)}</label>
      <textarea id=${id} name=${name} rows="4" lang=${lang} .value=${value} aria-invalid=${this.invalid(name)} aria-describedby=${this.describedBy(name) || nothing}></textarea>
      ${this.fieldError(name)}
    </div>`;
  }

  override render(): TemplateResult {
    const locale = getLocale();
    const f = this.base;
    const id = (name: string) => this.fieldId(name);
    const vocabulary = this.names.vocabulary;
    const allCodes = this.names.agencyCodes();
    const owners = this.agencies === null ? allCodes : this.agencies;
    const ownerOptions = [...new Set([f.owner_agency, ...owners].filter((c) => c !== ''))].sort((a, b) =>
      compareText(this.names.agency(a, locale), this.names.agency(b, locale), locale),
    );
    return html`<form class="form datahub-dataset-form" novalidate @submit=${(e: SubmitEvent) => void this.submit(e)}>
      <div class="datahub-form-grid">
        ${this.text('title_vi', 'datahub.titleVi', f.title_vi, { required: true, onInput: (e) => this.onTitle(e) })}
        ${this.text('title_en', 'datahub.titleEn', f.title_en)}
      </div>
      <div class="field">
        <label for=${id('name')}>${t('datahub.name')} <span class="optional">${t('common.required')}</span></label>
        <input
          id=${id('name')}
          name="name"
          type="text"
          .value=${f.name}
          required
          aria-required="true"
          autocapitalize="off"
          spellcheck="false"
          aria-invalid=${this.invalid('name')}
          aria-describedby=${this.describedBy('name', true)}
          @input=${() => (this.nameTouched = true)}
        />
        <p class="hint" id="${id('name')}-hint">${t('datahub.nameHint')}</p>
        ${this.fieldError('name')}
      </div>
      ${this.area('notes_vi', 'datahub.notesVi', f.notes_vi, 'vi')} ${this.area('notes_en', 'datahub.notesEn', f.notes_en, 'en')}
      <div class="datahub-form-grid">
        <div class="field">
          <label for=${id('owner_agency')}>${t('datahub.owner')} <span class="optional">${t('common.required')}</span></label>
          <select id=${id('owner_agency')} name="owner_agency" aria-invalid=${this.invalid('owner_agency')} aria-describedby=${this.describedBy('owner_agency') || nothing}>
            ${ownerOptions.map((code) => html`<option value=${code} ?selected=${code === f.owner_agency}>${this.names.agency(code, locale)}</option>`)}
          </select>
          ${this.fieldError('owner_agency')}
        </div>
        <div class="field">
          <label for=${id('license_id')}>${t('datahub.licence')}</label>
          <select id=${id('license_id')} name="license_id" aria-invalid=${this.invalid('license_id')} aria-describedby=${this.describedBy('license_id') || nothing}>
            <option value="" ?selected=${f.license_id === ''}>${t('datahub.notGiven')}</option>
            ${vocabulary.licences.map(
              (l) => html`<option value=${l.id} ?selected=${l.id === f.license_id}>${locale === 'en' ? l.title_en : l.title_vi}</option>`,
            )}
          </select>
          ${this.fieldError('license_id')}
        </div>
        <div class="field">
          <label for=${id('update_frequency')}>${t('datahub.frequency')}</label>
          <select id=${id('update_frequency')} name="update_frequency" aria-invalid=${this.invalid('update_frequency')}>
            <option value="" ?selected=${f.update_frequency === ''}>${t('datahub.notGiven')}</option>
            ${vocabulary.frequencies.map(
              (x) => html`<option value=${x.id} ?selected=${x.id === f.update_frequency}>${locale === 'en' ? x.name_en : x.name_vi}</option>`,
            )}
          </select>
          ${this.fieldError('update_frequency')}
        </div>
        <div class="field">
          <label for=${id('spatial_ward')}>${t('datahub.spatial')}</label>
          <select id=${id('spatial_ward')} name="spatial_ward" aria-invalid=${this.invalid('spatial_ward')} aria-describedby=${this.describedBy('spatial_ward') || nothing}>
            <option value="" ?selected=${!f.spatial_ward}>${t('datahub.notGiven')}</option>
            ${f.spatial_ward && !this.places.some((p) => p.code === f.spatial_ward)
              ? html`<option value=${f.spatial_ward} selected>${f.spatial_ward}</option>`
              : nothing}
            ${this.places.map((p) => html`<option value=${p.code} ?selected=${p.code === f.spatial_ward} lang="vi">${p.name}</option>`)}
          </select>
          ${this.fieldError('spatial_ward')}
        </div>
        ${this.text('temporal_start', 'datahub.temporalStart', f.temporal_start ?? '', { type: 'date' })}
        ${this.text('temporal_end', 'datahub.temporalEnd', f.temporal_end ?? '', { type: 'date' })}
        ${this.text('contact_name', 'datahub.contactName', f.contact_name)}
        ${this.text('contact_email', 'datahub.contactEmailField', f.contact_email, { type: 'email' })}
      </div>
      <fieldset class="fieldset" aria-describedby=${this.errors['sharing_level']?.length ? `${id('sharing_level')}-error` : nothing}>
        <legend>${t('datahub.level')}</legend>
        ${(['open', 'shared', 'restricted'] as const).map(
          (level) => html`<div class="radio-field">
            <input type="radio" id="${id('level')}-${level}" name="sharing_level" value=${level} ?checked=${f.sharing_level === level} aria-describedby="${id('level')}-${level}-hint" />
            <label for="${id('level')}-${level}">${levelLabel(level)}</label>
            <p class="hint" id="${id('level')}-${level}-hint">${t(LEVEL_HINTS[level])}</p>
          </div>`,
        )}
        ${this.fieldError('sharing_level')}
      </fieldset>
      <fieldset class="fieldset" aria-describedby=${this.errors['themes']?.length ? `${id('themes')}-error` : nothing}>
        <legend>${t('datahub.themes')}</legend>
        <div class="checkbox-grid">
          ${vocabulary.themes.map(
            (th) => html`<div class="checkbox-field">
              <input type="checkbox" id="${id('theme')}-${th.id}" name="themes" value=${th.id} ?checked=${f.themes.includes(th.id)} />
              <label for="${id('theme')}-${th.id}">${locale === 'en' ? th.name_en : th.name_vi}</label>
            </div>`,
          )}
        </div>
        ${this.fieldError('themes')}
      </fieldset>
      ${this.text('tags', 'datahub.tags', f.tags.join(', '), { hint: 'datahub.tagsHint' })}
      <div class="field">
        <label for=${id('legal_basis')}>${t('datahub.legalBasisField')}</label>
        <textarea id=${id('legal_basis')} name="legal_basis" rows="2" lang="vi" .value=${f.legal_basis} aria-invalid=${this.invalid('legal_basis')}></textarea>
        ${this.fieldError('legal_basis')}
      </div>
      <div class="form-error" role="alert" aria-live="assertive" id="${this.uid}-error" tabindex="-1">${this.error}</div>
      <div class="form-actions">
        <button type="submit" class="button" ?disabled=${this.busy} data-action="save-dataset">
          ${this.busy ? t('common.saving') : this.editing ? t('common.save') : t('datahub.createButton')}
        </button>
      </div>
    </form>`;
  }
}

customElements.define('cityos-datahub-dataset-form', DatasetForm);
