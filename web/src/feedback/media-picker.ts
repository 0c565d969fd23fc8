/**
 * The report form's photos and videos: take a photo with the camera or
 * choose files, see each one (preview, kind, size), remove any before
 * sending. The files are uploaded by the form once the report exists (the
 * server strips their location and camera data and keeps them internal
 * until staff check them).
 */
import { html, nothing, type TemplateResult } from 'lit';
import { announce } from '../announcer';
import { ConsoleElement, uniqueId } from '../components/base';
import { getLocale, t, type MessageKey } from '../i18n';
import { ACCEPT, checkFile, fileKind, formatBytes, MEDIA_LIMITS, type FileProblem } from './media';

/** A file waiting to be sent, with its preview. */
export interface ChosenFile {
  file: File;
  kind: 'photo' | 'video';
  preview: string;
}

const PROBLEMS: Record<FileProblem, MessageKey> = {
  type: 'media.errorType',
  photoSize: 'media.errorPhotoSize',
  videoSize: 'media.errorVideoSize',
  count: 'media.errorCount',
};

export class MediaPicker extends ConsoleElement {
  static override properties = {
    files: { state: true },
    problems: { state: true },
    disabled: { type: Boolean },
  };

  files: ChosenFile[] = [];
  problems: string[] = [];
  disabled = false;

  private readonly uid = uniqueId('media-picker');

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const f of this.files) URL.revokeObjectURL(f.preview);
  }

  /** Forgets every file (after they were sent). */
  clear(): void {
    for (const f of this.files) URL.revokeObjectURL(f.preview);
    this.files = [];
    this.problems = [];
  }

  private add(list: FileList | null): void {
    if (!list) return;
    const problems: string[] = [];
    const next = [...this.files];
    for (const file of Array.from(list)) {
      const problem = checkFile(file, next.length);
      if (problem) {
        problems.push(
          t(PROBLEMS[problem], {
            name: file.name,
            max: formatBytes(problem === 'videoSize' ? MEDIA_LIMITS.videoBytes : MEDIA_LIMITS.photoBytes, getLocale()),
            count: MEDIA_LIMITS.perReport,
          }),
        );
        continue;
      }
      next.push({ file, kind: fileKind(file.type), preview: URL.createObjectURL(file) });
    }
    this.files = next;
    this.problems = problems;
    announce(problems.length > 0 ? problems.join(' ') : t('media.added', { count: next.length }));
  }

  private removeFile(index: number): void {
    const [gone] = this.files.splice(index, 1);
    if (gone) URL.revokeObjectURL(gone.preview);
    this.files = [...this.files];
    announce(t('media.removed', { name: gone?.file.name ?? '' }));
    void this.updateComplete.then(() => this.querySelector<HTMLElement>(`#${this.uid}-choose`)?.focus());
  }

  private renderFile(f: ChosenFile, index: number): TemplateResult {
    const locale = getLocale();
    const label = t(f.kind === 'photo' ? 'media.photo' : 'media.video');
    return html`<li class="media-chosen" data-kind=${f.kind}>
      ${f.kind === 'photo'
        ? html`<img class="media-thumb" src=${f.preview} alt=${t('media.previewOf', { name: f.file.name })} />`
        : html`<video class="media-thumb" src=${f.preview} muted preload="metadata" aria-label=${t('media.previewOf', { name: f.file.name })}></video>`}
      <span class="media-chosen-text">
        <span class="media-name">${f.file.name}</span>
        <span class="status-detail">${label} · ${formatBytes(f.file.size, locale)}</span>
      </span>
      <button
        type="button"
        class="link-button"
        data-action="remove-media"
        aria-label=${t('media.removeNamed', { name: f.file.name })}
        ?disabled=${this.disabled}
        @click=${() => this.removeFile(index)}
      >
        ${t('media.remove')}
      </button>
    </li>`;
  }

  override render(): TemplateResult {
    const id = this.uid;
    const full = this.files.length >= MEDIA_LIMITS.perReport;
    return html`<fieldset class="fieldset media-picker">
      <legend>${t('media.legend')} <span class="optional">${t('common.optional')}</span></legend>
      <p class="hint" id="${id}-hint">${t('media.hint', { count: MEDIA_LIMITS.perReport })}</p>
      <div class="location-tools">
        <input
          id="${id}-camera"
          class="visually-hidden"
          type="file"
          accept="image/*"
          capture="environment"
          aria-describedby="${id}-hint"
          ?disabled=${this.disabled || full}
          @change=${(e: Event) => {
            const input = e.target as HTMLInputElement;
            this.add(input.files);
            input.value = '';
          }}
        />
        <label class="button button-secondary file-button" for="${id}-camera">${t('media.takePhoto')}</label>
        <input
          id="${id}-choose"
          class="visually-hidden"
          type="file"
          accept=${ACCEPT}
          multiple
          data-testid="media-input"
          aria-describedby="${id}-hint"
          ?disabled=${this.disabled || full}
          @change=${(e: Event) => {
            const input = e.target as HTMLInputElement;
            this.add(input.files);
            input.value = '';
          }}
        />
        <label class="button button-secondary file-button" for="${id}-choose">${t('media.choose')}</label>
      </div>
      ${this.problems.length > 0
        ? html`<div class="form-error media-problems" role="alert">
            <ul>
              ${this.problems.map((p) => html`<li>${p}</li>`)}
            </ul>
          </div>`
        : nothing}
      ${this.files.length > 0
        ? html`<ul class="media-chosen-list" aria-label=${t('media.chosenList')}>
            ${this.files.map((f, i) => this.renderFile(f, i))}
          </ul>`
        : nothing}
      <p class="hint">${t('media.privacy')}</p>
    </fieldset>`;
  }
}

customElements.define('cityos-media-picker', MediaPicker);
