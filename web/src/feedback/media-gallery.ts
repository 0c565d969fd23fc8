/**
 * A report's photos and videos for staff: the gallery (originals, without
 * their metadata), publish/hide, upload of progress photos, and the
 * redaction tool — rectangles drawn with the mouse or a finger, or typed as
 * percentages; a chosen rectangle moves with the arrow keys (Shift: resizes)
 * and Delete removes it. Saving makes the public copy with those regions
 * blacked out; the original stays internal.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { announce } from '../announcer';
import { describeError } from '../api/errors';
import { ConsoleElement } from '../components/base';
import { getLocale, t, type MessageKey } from '../i18n';
import { formatDateTime } from '../i18n/format';
import { session } from '../session';
import {
  ACCEPT,
  checkFile,
  formatBytes,
  MEDIA_LIMITS,
  moveRegion,
  percent,
  regionBetween,
  regionFromPercent,
  resizeRegion,
  uploadFile,
  type Attachment,
  type Region,
} from './media';

const UPLOADER: Record<Attachment['uploaded_by'], MessageKey> = {
  citizen: 'media.byCitizen',
  anonymous: 'media.byAnonymous',
  staff: 'media.byStaff',
};

/** Fired after any change; `detail` is the changed file. */
export type MediaChangedEvent = CustomEvent<Attachment | null>;

export class MediaGallery extends ConsoleElement {
  static override properties = {
    reportId: {},
    items: { attribute: false },
    canHandle: { type: Boolean },
    editing: { state: true },
    regions: { state: true },
    draft: { state: true },
    selected: { state: true },
    publish: { state: true },
    opaque: { state: true },
    busy: { state: true },
    error: { state: true },
    uploadError: { state: true },
    revision: { state: true },
  };

  reportId = '';
  items: Attachment[] = [];
  canHandle = false;
  /** The photo being redacted. */
  editing: Attachment | null = null;
  regions: Region[] = [];
  draft: Region | null = null;
  selected = -1;
  publish = true;
  opaque = false;
  busy = false;
  error = '';
  uploadError = '';
  /** Bumped after each save so the public copies are fetched again. */
  revision = 0;

  private dragStart: { x: number; y: number } | null = null;

  private headers(): Record<string, string> {
    const csrf = session.csrfToken;
    return csrf ? { 'X-CSRF-Token': csrf } : {};
  }

  private changed(item: Attachment | null): void {
    this.revision += 1;
    this.dispatchEvent(new CustomEvent('media-changed', { detail: item, bubbles: true }));
  }

  private async post(path: string, body: unknown): Promise<Attachment> {
    return session.api.post<Attachment>(path, body);
  }

  private async setVisibility(item: Attachment, visibility: 'public' | 'internal'): Promise<void> {
    this.error = '';
    try {
      const updated = await this.post(`/api/feedback/media/${encodeURIComponent(item.id)}/visibility`, { visibility });
      announce(t(visibility === 'public' ? 'media.publishedNow' : 'media.hiddenNow'));
      this.changed(updated);
    } catch (error) {
      this.error = describeError(error);
    }
  }

  private startEditing(item: Attachment): void {
    this.editing = item;
    this.regions = item.regions.map((r) => ({ ...r }));
    this.selected = -1;
    this.publish = true;
    this.opaque = false;
    this.error = '';
    void this.updateComplete.then(() => this.querySelector<HTMLElement>('#redaction-heading')?.focus());
  }

  private stopEditing(): void {
    const id = this.editing?.id;
    this.editing = null;
    this.draft = null;
    void this.updateComplete.then(() => this.querySelector<HTMLElement>(`[data-media-id="${id}"] [data-action="redact"]`)?.focus());
  }

  private point(event: PointerEvent): { x: number; y: number } | null {
    const img = this.querySelector<HTMLImageElement>('.redaction-canvas img');
    if (!img) return null;
    const box = img.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return null;
    return { x: (event.clientX - box.left) / box.width, y: (event.clientY - box.top) / box.height };
  }

  private onPointerDown(event: PointerEvent): void {
    if ((event.target as HTMLElement).classList.contains('redaction-box')) return;
    const p = this.point(event);
    if (!p) return;
    event.preventDefault();
    (event.currentTarget as HTMLElement).setPointerCapture?.(event.pointerId);
    this.dragStart = p;
    this.draft = null;
  }

  private onPointerMove(event: PointerEvent): void {
    if (!this.dragStart) return;
    const p = this.point(event);
    if (p) this.draft = regionBetween(this.dragStart, p);
  }

  private onPointerUp(event: PointerEvent): void {
    if (!this.dragStart) return;
    const p = this.point(event);
    const region = p ? regionBetween(this.dragStart, p) : this.draft;
    this.dragStart = null;
    this.draft = null;
    if (region) this.addRegion(region);
  }

  private addRegion(region: Region): void {
    this.regions = [...this.regions, region];
    this.selected = this.regions.length - 1;
    announce(t('media.regionAdded', { n: this.regions.length, ...this.regionWords(region) }));
  }

  private regionWords(r: Region): Record<string, number> {
    return { left: percent(r.x), top: percent(r.y), width: percent(r.width), height: percent(r.height) };
  }

  private removeRegion(index: number): void {
    this.regions = this.regions.filter((_, i) => i !== index);
    this.selected = -1;
    announce(t('media.regionRemoved', { n: index + 1 }));
  }

  private onBoxKey(event: KeyboardEvent, index: number): void {
    const step = 0.01 * (event.altKey ? 5 : 1);
    const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const region = this.regions[index];
    if (!region) return;
    if (event.key === 'Delete' || event.key === 'Backspace') {
      event.preventDefault();
      this.removeRegion(index);
      return;
    }
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const next = event.shiftKey ? resizeRegion(region, move[0], move[1]) : moveRegion(region, move[0], move[1]);
    this.regions = this.regions.map((r, i) => (i === index ? next : r));
  }

  private onPercent(event: SubmitEvent): void {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const num = (name: string) => Number(String(data.get(name) ?? '').replace(',', '.'));
    const region = regionFromPercent(num('left'), num('top'), num('width'), num('height'));
    if (!region) {
      this.error = t('media.errorRegion');
      this.querySelector<HTMLElement>('#region-left')?.focus();
      return;
    }
    this.error = '';
    this.addRegion(region);
    form.reset();
  }

  private async save(): Promise<void> {
    const item = this.editing;
    if (!item || this.busy) return;
    this.busy = true;
    this.error = '';
    try {
      const updated = await this.post(`/api/feedback/media/${encodeURIComponent(item.id)}/redactions`, {
        regions: this.regions,
        publish: this.publish,
      });
      this.editing = updated;
      announce(t('media.redactionSaved', { count: this.regions.length }));
      this.changed(updated);
    } catch (error) {
      this.error = describeError(error);
    } finally {
      this.busy = false;
    }
  }

  private async onUpload(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (this.busy) return;
    const form = event.currentTarget as HTMLFormElement;
    const input = form.querySelector<HTMLInputElement>('#media-upload-file');
    const file = input?.files?.[0];
    if (!file) {
      this.uploadError = t('media.errorNoFile');
      input?.focus();
      return;
    }
    const problem = checkFile(file, 0);
    if (problem) {
      this.uploadError = t(`media.error${problem[0]!.toUpperCase()}${problem.slice(1)}` as MessageKey, {
        name: file.name,
        max: formatBytes(problem === 'videoSize' ? MEDIA_LIMITS.videoBytes : MEDIA_LIMITS.photoBytes, getLocale()),
        count: MEDIA_LIMITS.perReport,
      });
      input?.focus();
      return;
    }
    const publish = new FormData(form).get('publish') === 'on';
    this.busy = true;
    this.uploadError = '';
    try {
      const added = await uploadFile(`/api/feedback/reports/${encodeURIComponent(this.reportId)}/media`, file, file.name, this.headers(), {
        visibility: publish ? 'public' : 'internal',
      });
      form.reset();
      announce(t('media.uploaded', { name: file.name }));
      this.changed(added);
    } catch (error) {
      this.uploadError = describeError(error);
    } finally {
      this.busy = false;
    }
  }

  private renderItem(item: Attachment): TemplateResult {
    const locale = getLocale();
    const label = t(item.kind === 'photo' ? 'media.photo' : 'media.video');
    return html`<li class="media-item" data-media-id=${item.id} data-visibility=${item.visibility}>
      ${item.kind === 'photo'
        ? html`<a href=${item.url} target="_blank" rel="noopener"
            ><img class="media-thumb-large" src=${item.url} alt=${t('media.originalAlt', { time: formatDateTime(item.created_at, locale) })} loading="lazy" /><span
              class="visually-hidden"
              >${t('a11y.newTab')}</span
            ></a
          >`
        : html`<video class="media-thumb-large" src=${item.url} controls preload="metadata"></video>`}
      <div class="media-meta">
        <span>${label} · ${formatBytes(item.size_bytes, locale)} · ${t(UPLOADER[item.uploaded_by])}</span>
        <span class="badge ${item.visibility === 'public' ? 'badge-public' : 'badge-internal'}"
          >${item.visibility === 'public' ? t('report.public') : t('report.internal')}</span
        >
        ${item.redacted ? html`<span class="status-detail">${t('media.redactedCount', { count: item.regions.length })}</span>` : nothing}
        <time class="status-detail" datetime=${item.created_at}>${formatDateTime(item.created_at, locale)}</time>
      </div>
      ${this.canHandle
        ? html`<div class="media-actions">
            ${item.kind === 'photo'
              ? html`<button type="button" class="button button-small button-secondary" data-action="redact" @click=${() => this.startEditing(item)}>
                  ${t('media.redact')}
                </button>`
              : nothing}
            ${item.visibility === 'public'
              ? html`<button type="button" class="button button-small button-secondary" data-action="hide" @click=${() => void this.setVisibility(item, 'internal')}>
                  ${t('media.hide')}
                </button>`
              : html`<button type="button" class="button button-small" data-action="publish" @click=${() => void this.setVisibility(item, 'public')}>
                  ${item.redacted ? t('media.publishRedacted') : t('media.publish')}
                </button>`}
          </div>`
        : nothing}
    </li>`;
  }

  private renderBox(r: Region, index: number, draft = false): TemplateResult {
    const style = `left:${r.x * 100}%;top:${r.y * 100}%;width:${r.width * 100}%;height:${r.height * 100}%`;
    if (draft) return html`<div class="redaction-box is-draft" style=${style} aria-hidden="true"></div>`;
    return html`<div
      class="redaction-box ${index === this.selected ? 'is-selected' : ''} ${this.opaque ? 'is-opaque' : ''}"
      style=${style}
      tabindex="0"
      role="button"
      data-region=${index}
      aria-label=${t('media.regionLabel', { n: index + 1, ...this.regionWords(r) })}
      aria-describedby="redaction-keys"
      @focus=${() => (this.selected = index)}
      @keydown=${(e: KeyboardEvent) => this.onBoxKey(e, index)}
    ></div>`;
  }

  private renderEditor(item: Attachment): TemplateResult {
    const locale = getLocale();
    return html`<section class="redaction-editor" aria-labelledby="redaction-heading">
      <h3 id="redaction-heading" tabindex="-1">${t('media.redactHeading')}</h3>
      <p class="hint">${t('media.redactHint')}</p>
      <p class="hint" id="redaction-keys">${t('media.redactKeys')}</p>
      <div
        class="redaction-canvas"
        data-testid="redaction-canvas"
        @pointerdown=${(e: PointerEvent) => this.onPointerDown(e)}
        @pointermove=${(e: PointerEvent) => this.onPointerMove(e)}
        @pointerup=${(e: PointerEvent) => this.onPointerUp(e)}
      >
        <img src=${item.url} alt=${t('media.originalAlt', { time: formatDateTime(item.created_at, locale) })} draggable="false" />
        ${this.regions.map((r, i) => this.renderBox(r, i))} ${this.draft ? this.renderBox(this.draft, -1, true) : nothing}
      </div>
      <div class="field checkbox-field">
        <input type="checkbox" id="redaction-opaque" .checked=${this.opaque} @change=${(e: Event) => (this.opaque = (e.target as HTMLInputElement).checked)} />
        <label for="redaction-opaque">${t('media.previewBlack')}</label>
      </div>
      <form class="form region-form" novalidate @submit=${(e: SubmitEvent) => this.onPercent(e)}>
        <fieldset class="fieldset">
          <legend>${t('media.addByPercent')}</legend>
          <div class="region-inputs">
            ${(['left', 'top', 'width', 'height'] as const).map(
              (name) => html`<div class="field">
                <label for="region-${name}">${t(`media.region.${name}` as MessageKey)}</label>
                <input id="region-${name}" name=${name} type="number" min="0" max="100" step="0.5" inputmode="decimal" required />
              </div>`,
            )}
          </div>
          <button type="submit" class="button button-secondary" data-action="add-region">${t('media.addRegion')}</button>
        </fieldset>
      </form>
      ${this.regions.length > 0
        ? html`<ol class="region-list" aria-label=${t('media.regionList')}>
            ${this.regions.map(
              (r, i) => html`<li>
                ${t('media.regionLabel', { n: i + 1, ...this.regionWords(r) })}
                <button type="button" class="link-button" @click=${() => this.removeRegion(i)} aria-label=${t('media.removeRegion', { n: i + 1 })}>
                  ${t('media.remove')}
                </button>
              </li>`,
            )}
          </ol>`
        : html`<p class="hint">${t('media.noRegions')}</p>`}
      <div class="field checkbox-field">
        <input type="checkbox" id="redaction-publish" .checked=${this.publish} @change=${(e: Event) => (this.publish = (e.target as HTMLInputElement).checked)} />
        <label for="redaction-publish">${t('media.publishAfter')}</label>
      </div>
      <div class="form-error" role="alert" aria-live="assertive">${this.error}</div>
      <div class="form-actions">
        <button type="button" class="button" data-action="save-redaction" ?disabled=${this.busy} @click=${() => void this.save()}>
          ${this.busy ? t('common.saving') : t('media.saveRedaction')}
        </button>
        <button type="button" class="button button-secondary" @click=${() => this.stopEditing()}>${t('media.close')}</button>
      </div>
      ${item.redacted
        ? html`<figure class="redaction-preview">
            <img src="${item.public_url}&rev=${this.revision}" alt=${t('media.publicCopyAlt')} data-testid="public-copy" />
            <figcaption>${t('media.publicCopy')}</figcaption>
          </figure>`
        : nothing}
    </section>`;
  }

  override render(): TemplateResult {
    return html`<section class="card media-gallery-card" aria-labelledby="report-media-heading">
      <h2 id="report-media-heading">${t('media.heading')}</h2>
      <p class="hint">${t('media.staffHint')}</p>
      ${this.items.length === 0
        ? html`<p id="report-media-empty">${t('media.none')}</p>`
        : html`<ul class="media-gallery" id="report-media">
            ${this.items.map((item) => this.renderItem(item))}
          </ul>`}
      ${this.editing ? this.renderEditor(this.editing) : nothing}
      ${!this.editing && this.error ? html`<div class="form-error" role="alert">${this.error}</div>` : nothing}
      ${this.canHandle
        ? html`<form class="form media-upload" id="media-upload-form" novalidate @submit=${(e: SubmitEvent) => void this.onUpload(e)}>
            <div class="field">
              <label for="media-upload-file">${t('media.staffUpload')}</label>
              <input id="media-upload-file" name="file" type="file" accept=${ACCEPT} aria-describedby="media-upload-hint" />
              <p class="hint" id="media-upload-hint">${t('media.staffUploadHint')}</p>
            </div>
            <div class="field checkbox-field">
              <input type="checkbox" id="media-upload-publish" name="publish" />
              <label for="media-upload-publish">${t('media.publishNow')}</label>
            </div>
            <div class="form-error" role="alert" aria-live="assertive">${this.uploadError}</div>
            <div class="form-actions">
              <button type="submit" class="button button-secondary" ?disabled=${this.busy}>${t('media.upload')}</button>
            </div>
          </form>`
        : nothing}
    </section>`;
  }
}

customElements.define('cityos-media-gallery', MediaGallery);
