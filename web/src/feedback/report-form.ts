/**
 * The report form, shared by the citizen portal (`mode="citizen"`) and the call
 * centre's phone reports (`mode="phone"`): description with a category
 * suggested as one types, location by address, by "use my position" or by a
 * click on the map (the form works without the map), likely duplicates once a
 * point and a category are known, and the reporter's contact.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement, uniqueId } from '../components/base';
import type { LocationPickDetail, MapPoint } from '../components/points-map';
import { announce } from '../announcer';
import { describeError } from '../api/errors';
import type { DuplicateCandidate, FeedbackCategory, Items, NewReport, PublicReport, Report } from '../api/types';
import { citizen } from '../citizen-session';
import { getLocale, t, type MessageKey } from '../i18n';
import { formatMetres, formatNumber } from '../i18n/format';
import { polygonsOf, pointInPolygon, type PolygonalGeometry, type Position } from '../map/geometry';
import { href } from '../router';
import { session } from '../session';
import { statusBadge } from './badges';
import { categoryGroups, contactKind } from './model';
import { loadCategories, loadWardGeoJson, loadWards, Names } from './reference';
import { uploadFile, type UploadGrant } from './media';
import type { MediaPicker } from './media-picker';
import './media-picker';

export type ReportFormMode = 'citizen' | 'phone';

/** Detail of the `report-filed` event. */
export interface ReportFiledDetail {
  trackingCode: string;
  report: PublicReport | Report;
  /** The photos and videos sent with it: how many arrived, and a message for each that did not. */
  media?: { sent: number; failed: string[] };
}

type Field = 'description' | 'location' | 'contact' | 'phone' | 'email';

const PROBLEMS: Record<Field, MessageKey> = {
  description: 'reportForm.errorDescription',
  location: 'reportForm.errorLocation',
  contact: 'reportForm.errorContact',
  phone: 'reportForm.errorPhone',
  email: 'reportForm.errorEmail',
};

interface WardFeature {
  geometry: PolygonalGeometry;
  properties: { code?: string; name?: string } | null;
}

/** The ward whose polygon holds the point (illustrative boundaries), if any. */
export function wardAt(features: readonly WardFeature[], point: Position): { code: string; name: string } | null {
  for (const feature of features) {
    if (polygonsOf(feature.geometry).some((polygon) => pointInPolygon(point, polygon))) {
      const code = feature.properties?.code;
      const name = feature.properties?.name;
      if (typeof code === 'string') return { code, name: typeof name === 'string' ? name : code };
    }
  }
  return null;
}

export class ReportForm extends ConsoleElement {
  static override properties = {
    mode: {},
    callerPhone: {},
    names: { state: true },
    categoryCode: { state: true },
    suggestion: { state: true },
    point: { state: true },
    pointWard: { state: true },
    pointSource: { state: true },
    mapOpen: { state: true },
    mapFailed: { state: true },
    locating: { state: true },
    locationMessage: { state: true },
    duplicates: { state: true },
    contactMode: { state: true },
    error: { state: true },
    invalid: { state: true },
    busy: { state: true },
    uploadStatus: { state: true },
  };

  mode: ReportFormMode = 'citizen';
  /** Phone mode: the caller's number to start with (the call centre's screen-pop fills it in). */
  callerPhone = '';
  names = new Names();
  categoryCode = '';
  suggestion: FeedbackCategory | null = null;
  point: Position | null = null;
  pointWard: string | null = null;
  pointSource: 'map' | 'gps' | null = null;
  mapOpen = false;
  mapFailed = false;
  locating = false;
  locationMessage = '';
  duplicates: DuplicateCandidate[] = [];
  contactMode: 'anonymous' | 'contact' = 'anonymous';
  error = '';
  invalid: Field | null = null;
  busy = false;
  uploadStatus = '';

  private readonly uid = uniqueId('report-form');
  private categoryTouched = false;
  private description = '';
  private suggestTimer = 0;
  private duplicateTimer = 0;
  private suggestSeq = 0;
  private duplicateSeq = 0;
  private wardFeatures: WardFeature[] | null = null;
  private unsubscribe: (() => void) | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    // The contact section depends on whether a citizen is signed in (restored after the first render).
    this.unsubscribe = citizen.onChange(() => this.requestUpdate());
    void this.loadReference();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    window.clearTimeout(this.suggestTimer);
    window.clearTimeout(this.duplicateTimer);
  }

  private async loadReference(): Promise<void> {
    const [categories, wards] = await Promise.allSettled([loadCategories(), loadWards()]);
    this.names = new Names(
      categories.status === 'fulfilled' ? categories.value : [],
      wards.status === 'fulfilled' ? wards.value : [],
    );
    if (categories.status === 'rejected') this.error = describeError(categories.reason);
  }

  /** The client to file with: the call centre as staff, everyone else without cookies. */
  private get api() {
    return this.mode === 'phone' ? session.api : citizen.api;
  }

  private onDescription(event: Event): void {
    this.description = (event.target as HTMLTextAreaElement).value;
    window.clearTimeout(this.suggestTimer);
    this.suggestTimer = window.setTimeout(() => void this.suggest(), 450);
    this.scheduleDuplicates();
  }

  private async suggest(): Promise<void> {
    const text = this.description.trim();
    const seq = ++this.suggestSeq;
    if (text.length < 4) {
      this.suggestion = null;
      return;
    }
    try {
      const category = await citizen.api.get<FeedbackCategory | null>('/api/feedback/suggest', { query: { text } });
      if (seq !== this.suggestSeq) return;
      const changed = (category?.code ?? null) !== (this.suggestion?.code ?? null);
      this.suggestion = category;
      if (category && !this.categoryTouched && this.categoryCode !== category.code) {
        this.categoryCode = category.code;
        this.scheduleDuplicates();
      }
      if (changed && category) announce(t('reportForm.suggested', { name: this.names.category(category.code) }));
    } catch {
      // A suggestion is a convenience: the form works without it.
    }
  }

  private useSuggestion(): void {
    if (!this.suggestion) return;
    this.categoryCode = this.suggestion.code;
    this.categoryTouched = true;
    this.scheduleDuplicates();
  }

  private onCategory(event: Event): void {
    this.categoryCode = (event.target as HTMLSelectElement).value;
    this.categoryTouched = true;
    this.scheduleDuplicates();
  }

  private scheduleDuplicates(): void {
    window.clearTimeout(this.duplicateTimer);
    this.duplicateTimer = window.setTimeout(() => void this.checkDuplicates(), 500);
  }

  private async checkDuplicates(): Promise<void> {
    const seq = ++this.duplicateSeq;
    if (!this.point || !this.categoryCode) {
      this.duplicates = [];
      return;
    }
    try {
      const response = await citizen.api.get<Items<DuplicateCandidate>>('/api/feedback/duplicates', {
        query: { lat: this.point[1], lon: this.point[0], category: this.categoryCode, text: this.description.trim() },
      });
      if (seq !== this.duplicateSeq) return;
      const before = this.duplicates.length;
      this.duplicates = response.items;
      if (response.items.length > 0 && before === 0) announce(t('reportForm.duplicatesFound', { count: response.items.length }));
    } catch {
      // Duplicates are advice only.
    }
  }

  private async setPoint(point: Position | null, source: 'map' | 'gps' | null): Promise<void> {
    this.point = point;
    this.pointSource = point ? source : null;
    this.pointWard = null;
    if (this.invalid === 'location') this.invalid = null;
    this.scheduleDuplicates();
    if (!point) return;
    try {
      if (!this.wardFeatures) {
        const collection = (await loadWardGeoJson()) as { features?: WardFeature[] };
        this.wardFeatures = collection.features ?? [];
      }
      this.pointWard = wardAt(this.wardFeatures, point)?.name ?? null;
    } catch {
      this.pointWard = null;
    }
  }

  private toggleMap(): void {
    this.mapOpen = !this.mapOpen;
    if (this.mapOpen) {
      import('../components/points-map').catch(() => {
        this.mapFailed = true;
      });
    }
  }

  private onPick(event: CustomEvent<LocationPickDetail>): void {
    void this.setPoint([event.detail.lon, event.detail.lat], 'map');
    announce(t('reportForm.pointPicked'));
  }

  private useMyPosition(): void {
    if (!('geolocation' in navigator)) {
      this.locationMessage = t('reportForm.gpsUnsupported');
      return;
    }
    this.locating = true;
    this.locationMessage = t('reportForm.gpsLocating');
    navigator.geolocation.getCurrentPosition(
      (position) => {
        this.locating = false;
        const accuracy = Math.round(position.coords.accuracy);
        this.locationMessage = t('reportForm.gpsDone', { accuracy: formatNumber(accuracy, getLocale()) });
        void this.setPoint([position.coords.longitude, position.coords.latitude], 'gps');
      },
      (error) => {
        this.locating = false;
        this.locationMessage = error.code === error.PERMISSION_DENIED ? t('reportForm.gpsDenied') : t('reportForm.gpsFailed');
      },
      { enableHighAccuracy: true, timeout: 20_000, maximumAge: 60_000 },
    );
  }

  private clearPoint(): void {
    void this.setPoint(null, null);
    this.locationMessage = '';
    announce(t('reportForm.pointCleared'));
  }

  private fail(field: Field): void {
    this.invalid = field;
    this.error = t(PROBLEMS[field]);
    const target: Record<Field, string> = {
      description: `${this.uid}-description`,
      location: `${this.uid}-address`,
      contact: `${this.uid}-phone`,
      phone: `${this.uid}-phone`,
      email: `${this.uid}-email`,
    };
    void this.updateComplete.then(() => this.querySelector<HTMLElement>(`#${target[field]}`)?.focus());
  }

  private async onSubmit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (this.busy) return;
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const value = (name: string) => String(data.get(name) ?? '').trim();
    const description = value('description');
    const address = value('address');
    const phone = value('phone');
    const email = value('email');
    const name = value('name');
    const count = [...description].length;
    if (count < 5 || count > 5000) return this.fail('description');
    if (!address && !this.point) return this.fail('location');
    const wantsContact = this.mode === 'phone' || (this.contactMode === 'contact' && !citizen.signedIn);
    if (this.mode === 'phone' && (!phone || contactKind(phone) !== 'phone')) return this.fail('phone');
    if (wantsContact) {
      if (phone && contactKind(phone) !== 'phone') return this.fail('phone');
      if (email && contactKind(email) !== 'email') return this.fail('email');
      if (this.mode === 'citizen' && !phone && !email) return this.fail('contact');
    }
    const body: NewReport = {
      description,
      ...(this.categoryCode ? { category_code: this.categoryCode } : {}),
      ...(this.point ? { lon: this.point[0], lat: this.point[1] } : {}),
      ...(address ? { address } : {}),
      reporter: wantsContact ? { ...(name ? { name } : {}), ...(phone ? { phone } : {}), ...(email ? { email } : {}) } : {},
      anonymous: this.mode === 'phone' ? data.get('anonymous') === 'on' : this.contactMode === 'anonymous' && !citizen.signedIn,
      locale: getLocale(),
    };
    this.busy = true;
    this.error = '';
    this.invalid = null;
    try {
      const report = await this.api.post<(PublicReport & { upload?: UploadGrant | null }) | Report>('/api/feedback/reports', body);
      const media = await this.sendMedia(report.tracking_code, 'upload' in report ? report.upload : null);
      this.dispatchEvent(
        new CustomEvent<ReportFiledDetail>('report-filed', { detail: { trackingCode: report.tracking_code, report, media }, bubbles: true }),
      );
    } catch (error) {
      this.error = describeError(error);
    } finally {
      this.busy = false;
    }
  }

  /**
   * Uploads the chosen photos and videos to the report just filed, one by one,
   * with the report's upload grant. A file that fails does not stop the others.
   */
  private async sendMedia(code: string, grant: UploadGrant | null | undefined): Promise<{ sent: number; failed: string[] }> {
    const picker = this.querySelector<MediaPicker>('cityos-media-picker');
    const files = picker?.files ?? [];
    if (files.length === 0) return { sent: 0, failed: [] };
    if (!grant) return { sent: 0, failed: [t('media.noGrant')] };
    const failed: string[] = [];
    let sent = 0;
    for (const [index, chosen] of files.entries()) {
      this.uploadStatus = t('media.uploading', { n: index + 1, total: files.length });
      try {
        await uploadFile(`/api/feedback/reports/${encodeURIComponent(code)}/media`, chosen.file, chosen.file.name, { 'X-Upload-Token': grant.token }, {
          credentials: 'omit',
        });
        sent += 1;
      } catch (error) {
        failed.push(t('media.failed', { name: chosen.file.name, reason: describeError(error) }));
      }
    }
    this.uploadStatus = '';
    picker?.clear();
    return { sent, failed };
  }

  private renderCategory(): TemplateResult {
    const locale = getLocale();
    const id = this.uid;
    const suggestionName = this.suggestion ? this.names.category(this.suggestion.code) : '';
    return html`<div class="field">
      <label for="${id}-category">${t('reportForm.category')} <span class="optional">${t('common.optional')}</span></label>
      <select id="${id}-category" name="category_code" aria-describedby="${id}-category-hint" @change=${(e: Event) => this.onCategory(e)}>
        <option value="" ?selected=${this.categoryCode === ''}>${t('reportForm.categoryAuto')}</option>
        ${categoryGroups(this.names.categories).map(
          ({ group, leaves }) => html`<optgroup label=${group ? (locale === 'vi' ? group.name_vi : group.name_en) : t('reportForm.categoryOther')}>
            ${leaves.map(
              (leaf) => html`<option value=${leaf.code} ?selected=${leaf.code === this.categoryCode}>
                ${locale === 'vi' ? leaf.name_vi : leaf.name_en}
              </option>`,
            )}
          </optgroup>`,
        )}
      </select>
      <p class="hint" id="${id}-category-hint" data-suggestion=${this.suggestion?.code ?? ''}>
        ${this.suggestion
          ? html`${t('reportForm.suggestion', { name: suggestionName })}
            ${this.suggestion.code !== this.categoryCode
              ? html`<button type="button" class="link-button" data-action="use-suggestion" @click=${() => this.useSuggestion()}>
                  ${t('reportForm.useSuggestion')}
                </button>`
              : nothing}`
          : t('reportForm.categoryHint')}
      </p>
    </div>`;
  }

  private renderLocation(): TemplateResult {
    const id = this.uid;
    const locale = getLocale();
    return html`<fieldset class="fieldset">
      <legend>${t('reportForm.locationLegend')}</legend>
      <p class="hint" id="${id}-location-hint">${t('reportForm.locationHint')}</p>
      <div class="field">
        <label for="${id}-address">${t('reportForm.address')}</label>
        <input
          id="${id}-address"
          name="address"
          type="text"
          autocomplete="street-address"
          aria-describedby="${id}-location-hint ${id}-address-hint"
          aria-invalid=${this.invalid === 'location' ? 'true' : 'false'}
          @input=${() => {
            if (this.invalid === 'location') this.invalid = null;
          }}
        />
        <p class="hint" id="${id}-address-hint">${t('reportForm.addressHint')}</p>
      </div>
      <div class="location-tools">
        <button type="button" class="button button-secondary" data-action="gps" ?disabled=${this.locating} @click=${() => this.useMyPosition()}>
          ${t('reportForm.useMyPosition')}
        </button>
        <button
          type="button"
          class="button button-secondary"
          data-action="toggle-map"
          aria-expanded=${this.mapOpen ? 'true' : 'false'}
          aria-controls="${id}-map"
          @click=${() => this.toggleMap()}
        >
          ${this.mapOpen ? t('reportForm.hideMap') : t('reportForm.pickOnMap')}
        </button>
      </div>
      <p class="hint location-status" role="status">${this.locationMessage}</p>
      ${this.point
        ? html`<p class="picked-point" data-lat=${this.point[1]} data-lon=${this.point[0]}>
            <span>${t('reportForm.pointChosen', {
              lat: formatNumber(this.point[1], locale, 5),
              lon: formatNumber(this.point[0], locale, 5),
            })}</span>
            ${this.pointWard ? html`<span class="status-detail">${t('reportForm.pointWard', { name: this.pointWard })}</span>` : nothing}
            <button type="button" class="link-button" @click=${() => this.clearPoint()}>${t('reportForm.clearPoint')}</button>
          </p>`
        : nothing}
      <div id="${id}-map" class="form-map" ?hidden=${!this.mapOpen}>
        ${this.mapOpen
          ? html`<p class="hint">${t('reportForm.mapHint')}</p>
              ${this.mapFailed
                ? html`<p class="notice notice-warning" role="alert">${t('feedback.mapUnavailable')}</p>`
                : html`<cityos-points-map
                    pickable
                    .label=${t('reportForm.mapLabel')}
                    .points=${[] as MapPoint[]}
                    .picked=${this.point}
                    @location-pick=${(e: CustomEvent<LocationPickDetail>) => this.onPick(e)}
                  ></cityos-points-map>`}`
          : nothing}
      </div>
    </fieldset>`;
  }

  private renderDuplicates(): TemplateResult | typeof nothing {
    if (this.duplicates.length === 0) return nothing;
    const locale = getLocale();
    return html`<section class="notice notice-warning duplicates" aria-labelledby="${this.uid}-dup-heading">
      <h2 class="notice-heading" id="${this.uid}-dup-heading">${t('reportForm.duplicatesHeading')}</h2>
      <p>${t('reportForm.duplicatesIntro')}</p>
      <ul class="duplicate-list">
        ${this.duplicates.map(
          (candidate) => html`<li data-code=${candidate.report.tracking_code}>
            <a href=${href(`/track/${candidate.report.tracking_code}`)} target="_blank" rel="noopener"
              >${candidate.report.tracking_code} <span class="visually-hidden">${t('a11y.newTab')}</span></a
            >
            ${statusBadge(candidate.report.status, locale === 'vi' ? candidate.report.status_vi : candidate.report.status_en)}
            <span class="status-detail">
              ${t('reportForm.duplicateDistance', { distance: formatMetres(candidate.distance_m, locale) })} ·
              ${this.names.category(candidate.report.category_code)}
            </span>
            <span class="duplicate-text">${candidate.report.description}</span>
          </li>`,
        )}
      </ul>
    </section>`;
  }

  private renderContact(): TemplateResult {
    const id = this.uid;
    if (this.mode === 'phone') {
      return html`<fieldset class="fieldset">
        <legend>${t('reportForm.callerLegend')}</legend>
        <div class="field">
          <label for="${id}-phone">${t('reportForm.callerPhone')} <span class="required">${t('common.required')}</span></label>
          <input
            id="${id}-phone"
            name="phone"
            type="tel"
            inputmode="tel"
            autocomplete="off"
            required
            .value=${this.callerPhone}
            aria-invalid=${this.invalid === 'phone' ? 'true' : 'false'}
            aria-describedby="${id}-phone-hint"
          />
          <p class="hint" id="${id}-phone-hint">${t('reportForm.phoneHint')}</p>
        </div>
        <div class="field">
          <label for="${id}-name">${t('reportForm.callerName')} <span class="optional">${t('common.optional')}</span></label>
          <input id="${id}-name" name="name" type="text" autocomplete="off" />
        </div>
        <div class="field">
          <label for="${id}-email">${t('reportForm.email')} <span class="optional">${t('common.optional')}</span></label>
          <input id="${id}-email" name="email" type="email" autocomplete="off" aria-invalid=${this.invalid === 'email' ? 'true' : 'false'} />
        </div>
        <div class="field checkbox-field">
          <input id="${id}-anonymous" name="anonymous" type="checkbox" />
          <label for="${id}-anonymous">${t('reportForm.callerAnonymous')}</label>
        </div>
      </fieldset>`;
    }
    if (citizen.signedIn && citizen.account) {
      return html`<p class="notice notice-info" data-signed-in>
        ${t('reportForm.signedInAs', { contact: citizen.account.contact })}
      </p>`;
    }
    return html`<fieldset class="fieldset">
      <legend>${t('reportForm.contactLegend')}</legend>
      <div class="radio-list">
        <div class="radio-field">
          <input
            type="radio"
            id="${id}-anon"
            name="contact_mode"
            value="anonymous"
            .checked=${this.contactMode === 'anonymous'}
            @change=${() => (this.contactMode = 'anonymous')}
          />
          <label for="${id}-anon">${t('reportForm.anonymous')}</label>
        </div>
        <div class="radio-field">
          <input
            type="radio"
            id="${id}-with-contact"
            name="contact_mode"
            value="contact"
            .checked=${this.contactMode === 'contact'}
            @change=${() => (this.contactMode = 'contact')}
          />
          <label for="${id}-with-contact">${t('reportForm.withContact')}</label>
        </div>
      </div>
      ${this.contactMode === 'contact'
        ? html`<p class="hint" id="${id}-contact-hint">${t('reportForm.contactHint')}</p>
            <div class="field">
              <label for="${id}-phone">${t('reportForm.phone')}</label>
              <input
                id="${id}-phone"
                name="phone"
                type="tel"
                inputmode="tel"
                autocomplete="tel"
                aria-describedby="${id}-contact-hint"
                aria-invalid=${this.invalid === 'phone' || this.invalid === 'contact' ? 'true' : 'false'}
              />
            </div>
            <div class="field">
              <label for="${id}-email">${t('reportForm.email')}</label>
              <input
                id="${id}-email"
                name="email"
                type="email"
                autocomplete="email"
                aria-describedby="${id}-contact-hint"
                aria-invalid=${this.invalid === 'email' ? 'true' : 'false'}
              />
            </div>
            <div class="field">
              <label for="${id}-name">${t('reportForm.name')} <span class="optional">${t('common.optional')}</span></label>
              <input id="${id}-name" name="name" type="text" autocomplete="name" />
            </div>
            <p class="hint">${t('reportForm.privacy')}</p>`
        : html`<p class="hint">${t('reportForm.anonymousHint')}</p>`}
    </fieldset>`;
  }

  override render(): TemplateResult {
    const id = this.uid;
    return html`<form class="form report-form" novalidate @submit=${(e: SubmitEvent) => void this.onSubmit(e)}>
      ${this.mode === 'phone' ? this.renderContact() : nothing}
      <div class="field">
        <label for="${id}-description">${t('reportForm.description')} <span class="required">${t('common.required')}</span></label>
        <textarea
          id="${id}-description"
          name="description"
          rows="5"
          maxlength="5000"
          required
          aria-describedby="${id}-description-hint"
          aria-invalid=${this.invalid === 'description' ? 'true' : 'false'}
          @input=${(e: Event) => this.onDescription(e)}
        ></textarea>
        <p class="hint" id="${id}-description-hint">${t(this.mode === 'phone' ? 'reportForm.descriptionHintPhone' : 'reportForm.descriptionHint')}</p>
      </div>
      ${this.renderCategory()} ${this.renderLocation()} ${this.renderDuplicates()}
      ${this.mode === 'citizen' ? html`<cityos-media-picker ?disabled=${this.busy}></cityos-media-picker>` : nothing}
      ${this.mode === 'citizen' ? this.renderContact() : nothing}
      <p class="hint upload-status" role="status">${this.uploadStatus}</p>
      <div class="form-error" id="${id}-error" role="alert" aria-live="assertive">${this.error}</div>
      <div class="form-actions">
        <button type="submit" class="button" data-action="submit-report" ?disabled=${this.busy}>
          ${this.busy ? t('reportForm.submitting') : t(this.mode === 'phone' ? 'reportForm.submitPhone' : 'reportForm.submit')}
        </button>
      </div>
    </form>`;
  }
}

customElements.define('cityos-report-form', ReportForm);
