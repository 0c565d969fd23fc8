/**
 * `#/gis/import` — the import wizard: choose the collection, the file
 * (GeoJSON, GeoPackage, CSV with WKT, zipped Shapefile) and its CRS (detected
 * by default), run the server's dry run, read the validation report (counts,
 * errors by feature, warnings), then import when nothing blocks it. Nothing is
 * written before the last step; the server validates again when it imports.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { describeError } from '../api/errors';
import { announce } from '../announcer';
import { getLocale, t } from '../i18n';
import { formatNumber } from '../i18n/format';
import { href } from '../router';
import { session } from '../session';
import { DEFAULT_CRS, reportOfRefusal, type CollectionInfo, type ImportIssue, type ImportReport } from './api';
import { gisClient } from './client';
import { attributeLabel, canImport, collectionsOf, NETWORKS, networkTitle } from './model';
import { crsOptionLabel, importableFile } from './values';
import './gis.css';

/** File types the server reads, by extension. */
export const IMPORT_ACCEPT = '.geojson,.json,.gpkg,.csv,.zip';
/** Largest file the console sends (the server has its own limit). */
export const IMPORT_MAX_BYTES = 200 * 1024 * 1024;


type Step = 'choose' | 'checking' | 'report' | 'importing' | 'done';

export class GisImportPage extends ConsoleElement {
  static override properties = {
    collection: { state: true },
    crs: { state: true },
    file: { state: true },
    step: { state: true },
    report: { state: true },
    result: { state: true },
    error: { state: true },
    fileError: { state: true },
    collections: { state: true },
  };

  collection = '';
  crs = '';
  file: File | null = null;
  step: Step = 'choose';
  report: ImportReport | null = null;
  result: ImportReport | null = null;
  error = '';
  fileError = '';
  collections: CollectionInfo[] = [];

  override connectedCallback(): void {
    super.connectedCallback();
    // The server's collection list carries the CRS each collection accepts; the model's list is the fallback.
    gisClient.collections().then(
      (list) => (this.collections = list),
      () => (this.collections = []),
    );
  }

  private crsChoices(): string[] {
    const listed = this.collections.find((info) => info.id === this.collection)?.crs ?? [];
    return listed.length > 0 ? listed : [...DEFAULT_CRS];
  }

  /** Any change to the inputs invalidates the report: it must be checked again. */
  private changed(): void {
    this.report = null;
    this.result = null;
    this.error = '';
    if (this.step !== 'choose') this.step = 'choose';
  }

  private onFile(event: Event): void {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0] ?? null;
    this.fileError = '';
    if (file && !importableFile(file.name)) this.fileError = t('gisImport.fileType');
    else if (file && file.size > IMPORT_MAX_BYTES) this.fileError = t('gisImport.fileTooLarge');
    this.file = file;
    this.changed();
  }

  private async check(event: Event): Promise<void> {
    event.preventDefault();
    if (!this.collection) {
      this.error = t('gisImport.needCollection');
      this.querySelector<HTMLElement>('#gis-import-collection')?.focus();
      return;
    }
    if (!this.file) {
      this.fileError = t('gisImport.needFile');
      this.querySelector<HTMLElement>('#gis-import-file')?.focus();
      return;
    }
    if (this.fileError) {
      this.querySelector<HTMLElement>('#gis-import-file')?.focus();
      return;
    }
    this.step = 'checking';
    this.error = '';
    try {
      this.report = await gisClient.importFile(this.collection, this.file, this.file.name, { crs: this.crs || null, dryRun: true });
      this.step = 'report';
      await this.updateComplete;
      this.querySelector<HTMLElement>('#gis-report-heading')?.focus();
    } catch (error) {
      this.step = 'choose';
      this.error = describeError(error);
    }
  }

  private async runImport(): Promise<void> {
    if (!this.file || !this.report || this.report.blocking) return;
    this.step = 'importing';
    this.error = '';
    try {
      this.result = await gisClient.importFile(this.collection, this.file, this.file.name, { crs: this.crs || null, dryRun: false });
      this.step = 'done';
      announce(t('gisImport.done', { count: formatNumber(this.result.written_ids?.length ?? this.result.features, getLocale()) }));
      await this.updateComplete;
      this.querySelector<HTMLElement>('#gis-result-heading')?.focus();
    } catch (error) {
      // A refusal for blocking problems carries the server's fresh report: show it.
      const refused = reportOfRefusal(error);
      if (refused) this.report = refused;
      this.step = 'report';
      this.error = describeError(error);
    }
  }

  private renderIssues(issues: ImportIssue[], total: number, caption: string, className: string): TemplateResult {
    const locale = getLocale();
    const n = (value: number) => formatNumber(value, locale);
    return html`<div class="table-scroll">
        <table class="data-table ${className}">
          <caption>${caption}</caption>
          <thead>
            <tr>
              <th scope="col">${t('gisImport.featureNo')}</th>
              <th scope="col">${t('gisImport.field')}</th>
              <th scope="col">${t('gisImport.message')}</th>
              <th scope="col">${t('gisImport.suggestion')}</th>
            </tr>
          </thead>
          <tbody>
            ${issues.map(
              (issue) => html`<tr data-code=${issue.code ?? nothing}>
                <td>${issue.index === null ? t('gisImport.wholeFile') : n(issue.index + 1)}</td>
                <td>${issue.field ? attributeLabel(this.collection, issue.field, locale) : '—'}</td>
                <td>${locale === 'vi' ? issue.message_vi : issue.message_en}</td>
                <td>${issue.suggestion ?? '—'}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${total > issues.length ? html`<p class="hint">${t('gisImport.firstExamples', { shown: n(issues.length), total: n(total) })}</p>` : nothing}`;
  }

  private renderReport(report: ImportReport): TemplateResult {
    const locale = getLocale();
    const n = (value: number) => formatNumber(value, locale);
    const mapping = Object.entries(report.fieldMapping).filter(([source, target]) => source !== target);
    return html`<section class="card gis-report" aria-labelledby="gis-report-heading" data-errors=${report.errorCount} data-features=${report.features}>
      <h2 id="gis-report-heading" tabindex="-1">${t('gisImport.reportHeading')}</h2>
      <dl class="facts gis-report-facts">
        <dt>${t('gisImport.features')}</dt>
        <dd data-fact="features">${n(report.features)}</dd>
        ${report.valid === null ? nothing : html`<dt>${t('gisImport.valid')}</dt><dd data-fact="valid">${n(report.valid)}</dd>`}
        <dt>${t('gisImport.errors')}</dt>
        <dd data-fact="errors">${n(report.errorCount)}</dd>
        <dt>${t('gisImport.warnings')}</dt>
        <dd data-fact="warnings">${n(report.warningCount)}</dd>
        <dt>${t('gisImport.detectedCrs')}</dt>
        <dd data-fact="crs">${report.crs ? crsOptionLabel(report.crs) : '—'}${report.crsAssumed ? ` (${t('gisImport.crsAssumed')})` : ''}</dd>
        <dt>${t('gisImport.extent')}</dt>
        <dd data-fact="bbox">${report.bbox ? report.bbox.map((value) => formatNumber(value, locale, 5)).join(' · ') : '—'}</dd>
      </dl>
      ${report.crsRequired ? html`<p class="notice notice-warning">${t('gisImport.crsRequired')}</p>` : nothing}
      ${report.notes.length > 0 ? html`<ul class="gis-report-notes">${report.notes.map((note) => html`<li>${note}</li>`)}</ul>` : nothing}
      ${mapping.length > 0
        ? html`<p class="hint">
            ${t('gisImport.mapping')}
            ${mapping.map(([source, target], i) => html`${i > 0 ? '; ' : ''}<code>${source}</code> → ${target ? attributeLabel(this.collection, target, locale) : t('gisImport.dropped')}`)}
          </p>`
        : nothing}
      ${report.blocking
        ? html`<p class="notice notice-warning">${t('gisImport.blocked')}</p>
            ${this.renderIssues(report.errors, report.errorCount, t('gisImport.errorsCaption'), 'gis-report-errors')}`
        : html`<p class="notice">${report.features > 0 ? t('gisImport.ready', { count: n(report.valid ?? report.features) }) : t('gisImport.empty')}</p>`}
      ${report.warnings.length > 0
        ? html`<h3>${t('gisImport.warningsHeading')}</h3>
            ${this.renderIssues(report.warnings, report.warningCount, t('gisImport.warningsHeading'), 'gis-report-warnings')}`
        : nothing}
      <div class="form-actions">
        <button
          type="button"
          class="button"
          data-action="import"
          ?disabled=${report.blocking || report.features === 0 || this.step === 'importing'}
          @click=${() => void this.runImport()}
        >
          ${this.step === 'importing' ? t('gisImport.importing') : t('gisImport.import')}
        </button>
      </div>
    </section>`;
  }

  private renderResult(result: ImportReport): TemplateResult {
    const count = result.written_ids?.length ?? result.features;
    return html`<section class="card gis-result" aria-labelledby="gis-result-heading">
      <h2 id="gis-result-heading" tabindex="-1">${t('gisImport.resultHeading')}</h2>
      <p data-written=${count}>${t('gisImport.done', { count: formatNumber(count, getLocale()) })}</p>
      <p><a href=${href('/gis')}>${t('gisImport.backToMap')}</a></p>
    </section>`;
  }

  override render(): TemplateResult {
    const locale = getLocale();
    const me = session.me;
    const busy = this.step === 'checking' || this.step === 'importing';
    return html`<div class="page gis-import-page">
      <p><a href=${href('/gis')}>← ${t('gis.title')}</a></p>
      <h1 tabindex="-1">${t('gisImport.title')}</h1>
      <p class="lead">${t('gisImport.intro')}</p>
      ${me && !canImport(me.grants) ? html`<p class="notice notice-warning">${t('gisImport.noRights')}</p>` : nothing}
      <form class="form card" novalidate @submit=${(e: Event) => void this.check(e)} aria-labelledby="gis-import-step1">
        <h2 id="gis-import-step1">${t('gisImport.step1')}</h2>
        <div class="field">
          <label for="gis-import-collection">${t('gisImport.collection')}</label>
          <select
            id="gis-import-collection"
            required
            @change=${(e: Event) => {
              this.collection = (e.target as HTMLSelectElement).value;
              this.changed();
            }}
          >
            <option value="" ?selected=${this.collection === ''}>${t('gisImport.chooseCollection')}</option>
            ${NETWORKS.map(
              (network) => html`<optgroup label=${networkTitle(network, locale)}>
                ${collectionsOf(network).map((def) => html`<option value=${def.id} ?selected=${def.id === this.collection}>${def[locale]}</option>`)}
              </optgroup>`,
            )}
          </select>
        </div>
        <div class="field">
          <label for="gis-import-file">${t('gisImport.file')}</label>
          <input
            id="gis-import-file"
            type="file"
            accept=${IMPORT_ACCEPT}
            aria-describedby="gis-import-file-hint${this.fileError ? ' gis-import-file-error' : ''}"
            aria-invalid=${this.fileError ? 'true' : 'false'}
            @change=${(e: Event) => this.onFile(e)}
          />
          <p class="hint" id="gis-import-file-hint">${t('gisImport.fileHint')}</p>
          ${this.fileError ? html`<p class="field-error" id="gis-import-file-error">${this.fileError}</p>` : nothing}
        </div>
        <div class="field">
          <label for="gis-import-crs">${t('gis.crs')}</label>
          <select
            id="gis-import-crs"
            aria-describedby="gis-import-crs-hint"
            @change=${(e: Event) => {
              this.crs = (e.target as HTMLSelectElement).value;
              this.changed();
            }}
          >
            <option value="" ?selected=${this.crs === ''}>${t('gisImport.crsDetected')}</option>
            ${this.crsChoices().map((crs) => html`<option value=${crs} ?selected=${crs === this.crs}>${crsOptionLabel(crs)}</option>`)}
          </select>
          <p class="hint" id="gis-import-crs-hint">${t('gisImport.crsHint')}</p>
        </div>
        <div class="form-error" role="alert">${this.error}</div>
        <div class="form-actions">
          <button type="submit" class="button" data-action="check" ?disabled=${busy}>
            ${this.step === 'checking' ? t('gisImport.checking') : t('gisImport.check')}
          </button>
        </div>
      </form>
      ${this.report && this.step !== 'done' ? this.renderReport(this.report) : nothing}
      ${this.result && this.step === 'done' ? this.renderResult(this.result) : nothing}
    </div>`;
  }
}

customElements.define('cityos-gis-import-page', GisImportPage);
