import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { ConsoleElement, uniqueId } from '../components/base';
import { announce } from '../announcer';
import { describeError } from '../api/errors';
import type { Items } from '../api/types';
import { getLocale, t, tMaybe } from '../i18n';
import { formatDateTime, formatNumber, formatPercent } from '../i18n/format';
import { session } from '../session';
import { uploadVersion, type UploadHandle } from './api';
import { formatBytes, percent, summarizeDiff } from './model';
import { versionDownloadPath } from './query';
import type { Field, FieldSchema, Resource, SchemaDiff, VersionInfo, VersionReport } from './types';

export function typeLabel(type: string): string {
  return tMaybe(`datahub.type.${type}`, type);
}

/** The columns added, removed and retyped since the previous version, in words (first versions say so). */
export function renderDiff(diff: SchemaDiff, headingLevel: 'h4' | 'h5' = 'h4'): TemplateResult {
  const s = summarizeDiff(diff);
  const heading = (text: string) => (headingLevel === 'h4' ? html`<h4>${text}</h4>` : html`<h5>${text}</h5>`);
  if (s.previous === null) return html`<div class="datahub-diff" data-diff="first">${heading(t('datahub.diffFirst'))}</div>`;
  return html`<div class="datahub-diff" data-diff=${s.unchanged ? 'none' : 'changed'}>
    ${heading(t('datahub.diffHeading', { version: s.previous }))}
    ${s.unchanged ? html`<p>${t('datahub.diffNone')}</p>` : nothing}
    ${s.added.length > 0
      ? html`<p class="diff-added">${t('datahub.diffAdded', { count: s.added.length })}</p>
          <ul data-diff-list="added" lang="vi">
            ${s.added.map((name) => html`<li>${name}</li>`)}
          </ul>`
      : nothing}
    ${s.removed.length > 0
      ? html`<p class="diff-removed">${t('datahub.diffRemoved', { count: s.removed.length })}</p>
          <ul data-diff-list="removed" lang="vi">
            ${s.removed.map((name) => html`<li>${name}</li>`)}
          </ul>`
      : nothing}
    ${s.changed.length > 0
      ? html`<p>${t('datahub.diffChanged', { count: s.changed.length })}</p>
          <ul data-diff-list="changed">
            ${s.changed.map(
              (c) => html`<li><span lang="vi">${c.name}</span>: ${t('datahub.diffTypeChange', { from: typeLabel(c.from), to: typeLabel(c.to) })}</li>`,
            )}
          </ul>`
      : nothing}
  </div>`;
}

/** The schema of an uploaded version: names, types, empty values, personal-data suggestions. */
export function renderSchema(fields: FieldSchema[], caption: string): TemplateResult {
  return html`<div class="table-scroll">
    <table class="data-table datahub-table" data-schema>
      <caption>${caption}</caption>
      <thead>
        <tr>
          <th scope="col">${t('datahub.fieldName')}</th>
          <th scope="col">${t('datahub.fieldType')}</th>
          <th scope="col">${t('datahub.fieldNullable')}</th>
          <th scope="col">${t('datahub.fieldPersonal')}</th>
        </tr>
      </thead>
      <tbody>
        ${fields.map(
          (f) => html`<tr data-field=${f.name}>
            <th scope="row" lang="vi">${f.name}</th>
            <td>${typeLabel(f.type)}</td>
            <td>${f.nullable ? t('common.yes') : t('common.no')}</td>
            <td>
              ${f.personal
                ? f.personal_reason
                  ? t('datahub.personalSuggested', { reason: tMaybe(`datahub.reason.${f.personal_reason}`, f.personal_reason) })
                  : t('common.yes')
                : t('common.no')}
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/**
 * One resource in the data officer console: upload a new version (with
 * progress, then its schema and the difference from the previous version),
 * the list of versions, and the current fields with their personal-data
 * flags (changing one re-indexes the rows on the server). Editing controls
 * only for the dataset's writers; the server checks each step again.
 */
export class ResourcePanel extends ConsoleElement {
  static override properties = {
    resource: { attribute: false },
    canWrite: { type: Boolean },
    versions: { state: true },
    fields: { state: true },
    loadError: { state: true },
    uploading: { state: true },
    progress: { state: true },
    uploadError: { state: true },
    report: { state: true },
    fieldError: { state: true },
    savingField: { state: true },
  };

  resource: Resource | null = null;
  canWrite = false;
  versions: VersionInfo[] = [];
  fields: Field[] = [];
  loadError = '';
  uploading = false;
  progress = 0;
  uploadError = '';
  report: VersionReport | null = null;
  fieldError = '';
  savingField: string | null = null;
  private handle: UploadHandle | null = null;
  private readonly uid = uniqueId('resource');

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.handle?.abort();
  }

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    const before = changed.get('resource') as Resource | null | undefined;
    if (changed.has('resource') && this.resource && (!before || before.id !== this.resource.id || before.current_version !== this.resource.current_version)) {
      void this.load();
    }
  }

  private async load(): Promise<void> {
    const r = this.resource;
    if (!r || r.kind !== 'upload') return;
    try {
      const [versions, fields] = await Promise.all([
        session.api.get<Items<VersionInfo>>(`/api/datahub/resources/${encodeURIComponent(r.id)}/versions`),
        session.api.get<Items<Field>>(`/api/datahub/resources/${encodeURIComponent(r.id)}/fields`),
      ]);
      this.versions = versions.items;
      this.fields = fields.items;
      this.loadError = '';
    } catch (error) {
      this.loadError = describeError(error);
    }
  }

  private async onUpload(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const r = this.resource;
    const input = this.querySelector<HTMLInputElement>(`#${this.uid}-file`);
    const file = input?.files?.[0];
    if (!r || !input) return;
    if (!file) {
      this.uploadError = t('datahub.uploadNoFile');
      input.focus();
      return;
    }
    this.uploading = true;
    this.uploadError = '';
    this.report = null;
    this.progress = 0;
    announce(t('datahub.uploadProgress', { percent: formatPercent(0, getLocale(), 0) }));
    this.handle = uploadVersion(r.id, file, (p) => (this.progress = percent(p.loaded, p.total)));
    try {
      const report = await this.handle.done;
      this.report = report;
      this.progress = 100;
      input.value = '';
      announce(t('datahub.uploadDone', { version: report.version, rows: formatNumber(report.row_count, getLocale()) }));
      await this.load();
      this.dispatchEvent(new CustomEvent('resource-changed', { bubbles: true, detail: { id: r.id } }));
      await this.updateComplete;
      this.querySelector<HTMLElement>(`#${this.uid}-report`)?.focus();
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') {
        this.uploadError = t('datahub.uploadCancelled');
      } else {
        this.uploadError = describeError(error);
      }
    } finally {
      this.uploading = false;
      this.handle = null;
    }
  }

  private async setPersonal(field: Field, personal: boolean): Promise<void> {
    const r = this.resource;
    if (!r) return;
    this.savingField = field.name;
    try {
      const updated = await session.api.request<Field>(
        'PUT',
        `/api/datahub/resources/${encodeURIComponent(r.id)}/fields/${encodeURIComponent(field.name)}`,
        { personal },
      );
      this.fields = this.fields.map((f) => (f.name === field.name ? updated : f));
      this.fieldError = '';
      announce(t(personal ? 'datahub.personalOn' : 'datahub.personalOff', { name: field.name }));
    } catch (error) {
      this.fieldError = describeError(error);
      // The checkbox shows the stored flag again.
      this.fields = [...this.fields];
    } finally {
      this.savingField = null;
    }
  }

  private renderUpload(): TemplateResult {
    const locale = getLocale();
    const id = this.uid;
    return html`<form class="form datahub-upload" novalidate @submit=${(e: SubmitEvent) => void this.onUpload(e)} aria-labelledby="${id}-upload-heading">
      <h4 id="${id}-upload-heading">${t('datahub.uploadHeading')}</h4>
      <div class="field">
        <label for="${id}-file">${t('datahub.uploadFile')}</label>
        <input
          id="${id}-file"
          name="file"
          type="file"
          accept=".csv,.json,.geojson,.xlsx,text/csv,application/json,application/geo+json"
          aria-describedby="${id}-file-hint"
          ?disabled=${this.uploading}
        />
        <p class="hint" id="${id}-file-hint">${t('datahub.uploadHint')}</p>
      </div>
      <div class="form-error" role="alert" aria-live="assertive">${this.uploadError}</div>
      ${this.uploading
        ? html`<div class="field">
            <label for="${id}-progress">${t('datahub.uploadProgress', { percent: formatPercent(this.progress, locale, 0) })}</label>
            <progress id="${id}-progress" max="100" .value=${this.progress}></progress>
            <p class="hint" role="status">${this.progress >= 100 ? t('datahub.uploadProcessing') : ''}</p>
          </div>`
        : nothing}
      <div class="form-actions">
        <button type="submit" class="button" ?disabled=${this.uploading} data-action="upload">${t('datahub.uploadButton')}</button>
        ${this.uploading
          ? html`<button type="button" class="button button-secondary" @click=${() => this.handle?.abort()}>${t('datahub.uploadCancel')}</button>`
          : nothing}
      </div>
    </form>`;
  }

  private renderReport(report: VersionReport): TemplateResult {
    const locale = getLocale();
    return html`<section class="datahub-report" aria-labelledby="${this.uid}-report" data-version=${report.version}>
      <h4 id="${this.uid}-report" tabindex="-1">${t('datahub.reportHeading', { version: report.version })}</h4>
      <p>
        ${t('datahub.reportSummary', {
          rows: formatNumber(report.row_count, locale),
          format: report.format,
          encoding: report.source_encoding,
          size: formatBytes(report.size_bytes, (n, digits) => formatNumber(n, locale, digits)),
        })}
      </p>
      ${renderDiff(report.diff, 'h5')} ${renderSchema(report.fields, t('datahub.schemaCaption', { version: report.version }))}
    </section>`;
  }

  private renderVersions(): TemplateResult {
    const locale = getLocale();
    const r = this.resource;
    return html`<h4 id="${this.uid}-versions">${t('datahub.versionsHeading')}</h4>
      ${this.versions.length === 0
        ? html`<p>${t('datahub.versionsNone')}</p>`
        : html`<div class="table-scroll">
            <table class="data-table datahub-table" aria-labelledby="${this.uid}-versions" data-versions>
              <thead>
                <tr>
                  <th scope="col">${t('datahub.versionCol')}</th>
                  <th scope="col">${t('datahub.versionDate')}</th>
                  <th scope="col" class="num">${t('datahub.versionRows')}</th>
                  <th scope="col" class="num">${t('datahub.versionSize')}</th>
                  <th scope="col">${t('datahub.versionEncoding')}</th>
                  <th scope="col">${t('datahub.versionChanges')}</th>
                  <th scope="col">${t('datahub.versionFile')}</th>
                </tr>
              </thead>
              <tbody>
                ${this.versions.map((v) => {
                  const s = summarizeDiff(v.diff);
                  const changes =
                    s.previous === null
                      ? t('datahub.diffFirstShort')
                      : s.unchanged
                        ? t('datahub.diffNoneShort')
                        : t('datahub.diffShort', { added: s.added.length, removed: s.removed.length, changed: s.changed.length });
                  return html`<tr data-version=${v.version}>
                    <th scope="row">
                      ${t('datahub.versionN', { version: v.version })}
                      ${v.current ? html`<span class="badge badge-ready">${t('datahub.versionCurrent')}</span>` : nothing}
                    </th>
                    <td><time datetime=${v.created_at}>${formatDateTime(v.created_at, locale)}</time></td>
                    <td class="num">${v.row_count === null ? t('common.none') : formatNumber(v.row_count, locale)}</td>
                    <td class="num">${v.size_bytes === null ? t('common.none') : formatBytes(v.size_bytes, (n, d) => formatNumber(n, locale, d))}</td>
                    <td>${v.source_encoding ?? t('common.none')}</td>
                    <td>${changes}</td>
                    <td><a href=${r ? versionDownloadPath(r.id, v.version) : v.download_url} download>${t('datahub.versionDownload', { version: v.version })}</a></td>
                  </tr>`;
                })}
              </tbody>
            </table>
          </div>`}`;
  }

  private renderFields(): TemplateResult {
    return html`<h4 id="${this.uid}-fields">${t('datahub.fieldsHeading')}</h4>
      <p class="hint">${t('datahub.fieldsHint')}</p>
      <div class="form-error" role="alert" aria-live="assertive">${this.fieldError}</div>
      ${this.fields.length === 0
        ? html`<p>${t('datahub.fieldsNone')}</p>`
        : html`<div class="table-scroll">
            <table class="data-table datahub-table" aria-labelledby="${this.uid}-fields" data-fields>
              <thead>
                <tr>
                  <th scope="col">${t('datahub.fieldName')}</th>
                  <th scope="col">${t('datahub.fieldType')}</th>
                  <th scope="col">${t('datahub.fieldNullable')}</th>
                  <th scope="col">${t('datahub.fieldPersonal')}</th>
                </tr>
              </thead>
              <tbody>
                ${this.fields.map((f, i) => {
                  const box = `${this.uid}-personal-${i}`;
                  return html`<tr data-field=${f.name}>
                    <th scope="row" lang="vi">${f.name}</th>
                    <td>${typeLabel(f.type)}</td>
                    <td>${f.nullable ? t('common.yes') : t('common.no')}</td>
                    <td>
                      ${this.canWrite
                        ? html`<div class="checkbox-field">
                            <input
                              type="checkbox"
                              id=${box}
                              .checked=${f.personal}
                              ?disabled=${this.savingField !== null}
                              @change=${(e: Event) => void this.setPersonal(f, (e.target as HTMLInputElement).checked)}
                            />
                            <label for=${box}>${t('datahub.personalToggle', { name: f.name })}</label>
                          </div>`
                        : f.personal
                          ? t('common.yes')
                          : t('common.no')}
                    </td>
                  </tr>`;
                })}
              </tbody>
            </table>
          </div>`}`;
  }

  override render(): TemplateResult | typeof nothing {
    const r = this.resource;
    if (!r) return nothing;
    const locale = getLocale();
    return html`<section class="datahub-resource" aria-labelledby="${this.uid}-heading" data-resource=${r.id}>
      <h3 id="${this.uid}-heading" lang="vi">${r.name}</h3>
      <p class="data-result-meta">
        ${r.format ? html`<span class="data-chip data-chip-format">${r.format.toUpperCase()}</span>` : nothing}
        <span>${r.kind === 'upload' ? t('datahub.kindUpload') : t('datahub.kindUrl')}</span>
        ${r.kind === 'upload'
          ? html`<span>${r.current_version > 0 ? t('datahub.versionN', { version: r.current_version }) : t('datahub.noVersion')}</span>`
          : nothing}
        ${r.row_count !== null ? html`<span>${t('data.rowCount', { count: formatNumber(r.row_count, locale) })}</span>` : nothing}
      </p>
      ${r.description ? html`<p lang="vi">${r.description}</p>` : nothing}
      ${r.kind === 'url' ? html`<p><a href=${r.url} target="_blank" rel="noopener">${r.url} <span class="visually-hidden">${t('a11y.newTab')}</span></a></p>` : nothing}
      ${r.kind === 'upload'
        ? html`<div class="form-error" role="alert">${this.loadError}</div>
            ${this.canWrite ? this.renderUpload() : nothing} ${this.report ? this.renderReport(this.report) : nothing} ${this.renderVersions()}
            ${this.renderFields()}`
        : nothing}
    </section>`;
  }
}

customElements.define('cityos-datahub-resource', ResourcePanel);
