import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { ApiError } from '../api/client';
import { describeError } from '../api/errors';
import type { Items, PublicReport } from '../api/types';
import { citizen } from '../citizen-session';
import '../feedback/citizen-answer';
import '../feedback/push-button';
import { looksLikeTrackingCode, normalizeTrackingCode } from '../feedback/model';
import { publicAnswer, publicFacts, publicHistory, publicMedia } from '../feedback/public-view';
import { loadCategories, loadWards, Names } from '../feedback/reference';
import { t } from '../i18n';
import { href, navigate } from '../router';

/**
 * Public tracking (`#/track/{code}`): status, public history, the answer and
 * the rating; the "is it fixed?" question only for the signed-in reporter.
 */
export class PortalTrackPage extends ConsoleElement {
  static override properties = {
    code: {},
    report: { state: true },
    names: { state: true },
    loading: { state: true },
    error: { state: true },
    lookupError: { state: true },
    mine: { state: true },
  };

  code = '';
  report: PublicReport | null = null;
  names = new Names();
  loading = false;
  error = '';
  lookupError = '';
  /** Whether the signed-in citizen filed this report. */
  mine = false;
  private unsubscribe: (() => void) | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe = citizen.onChange(() => void this.checkMine());
    void this.loadReference();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('code')) void this.load();
  }

  private async loadReference(): Promise<void> {
    const [categories, wards] = await Promise.allSettled([loadCategories(), loadWards()]);
    this.names = new Names(categories.status === 'fulfilled' ? categories.value : [], wards.status === 'fulfilled' ? wards.value : []);
  }

  private async load(): Promise<void> {
    this.report = null;
    this.error = '';
    this.mine = false;
    if (!this.code) return;
    this.loading = true;
    try {
      this.report = await citizen.api.get<PublicReport>(`/api/feedback/public/reports/${encodeURIComponent(normalizeTrackingCode(this.code))}`);
      await this.checkMine();
    } catch (error) {
      this.error = error instanceof ApiError && error.status === 404 ? t('track.notFound', { code: this.code }) : describeError(error);
    } finally {
      this.loading = false;
    }
  }

  /** Whether the report is among the signed-in citizen's own (only they may answer). */
  private async checkMine(): Promise<void> {
    if (!this.report || !citizen.signedIn) {
      this.mine = false;
      return;
    }
    try {
      const mine = await citizen.api.get<Items<PublicReport>>('/api/feedback/my/reports');
      this.mine = mine.items.some((r) => r.tracking_code === this.report?.tracking_code);
    } catch {
      this.mine = false;
    }
  }

  private onLookup(event: SubmitEvent): void {
    event.preventDefault();
    const code = normalizeTrackingCode(String(new FormData(event.currentTarget as HTMLFormElement).get('code') ?? ''));
    if (!looksLikeTrackingCode(code)) {
      this.lookupError = t('track.errorCode');
      this.querySelector<HTMLElement>('#track-code')?.focus();
      return;
    }
    this.lookupError = '';
    navigate(`/track/${code}`);
  }

  private async onAnswered(event: CustomEvent<PublicReport>): Promise<void> {
    this.report = event.detail;
    await this.updateComplete;
    this.querySelector<HTMLElement>('#track-report-heading')?.focus();
  }

  private renderQuestion(report: PublicReport): TemplateResult | typeof nothing {
    if (report.status !== 'resolved') return nothing;
    if (this.mine) {
      return html`<section class="card question-card" id="rating-question" aria-labelledby="rating-question-heading">
        <h2 id="rating-question-heading">${t('answer.heading')}</h2>
        <p>${t('answer.intro')}</p>
        <cityos-citizen-answer .code=${report.tracking_code} @answered=${(e: CustomEvent<PublicReport>) => void this.onAnswered(e)}></cityos-citizen-answer>
      </section>`;
    }
    return html`<p class="notice" id="rating-signin-hint">
      ${t('track.answerSignIn')}
      <a href=${href('/portal/mine', { track: report.tracking_code })}>${t('portal.signInLink')}</a>
    </p>`;
  }

  private renderReport(report: PublicReport): TemplateResult {
    return html`<article class="card track-report" data-code=${report.tracking_code} data-status=${report.status}>
        <h2 id="track-report-heading" tabindex="-1">${t('track.reportHeading', { code: report.tracking_code })}</h2>
        ${publicFacts(report, this.names)}
        <h3>${t('report.description')}</h3>
        <p class="report-description" lang="vi">${report.description}</p>
        ${publicAnswer(report)} ${publicMedia(report)}
      </article>
      ${this.renderQuestion(report)}
      <cityos-push-button .code=${report.tracking_code}></cityos-push-button>
      <section class="card" aria-labelledby="track-history-heading">
        <h2 id="track-history-heading">${t('track.historyHeading')}</h2>
        ${publicHistory(report, this.names)}
      </section>`;
  }

  override render(): TemplateResult {
    return html`<div class="page portal-page track-page">
      <h1 tabindex="-1">${t('track.title')}</h1>
      <form class="form card lookup-form" role="search" novalidate @submit=${(e: SubmitEvent) => this.onLookup(e)}>
        <div class="field">
          <label for="track-code">${t('track.codeLabel')}</label>
          <input
            id="track-code"
            name="code"
            type="text"
            autocomplete="off"
            autocapitalize="characters"
            spellcheck="false"
            aria-describedby="track-code-hint"
            aria-invalid=${this.lookupError ? 'true' : 'false'}
            .value=${this.code}
          />
          <p class="hint" id="track-code-hint">${t('track.codeHint')}</p>
        </div>
        <div class="form-error" role="alert" aria-live="assertive">${this.lookupError}</div>
        <button type="submit" class="button">${t('track.lookup')}</button>
      </form>
      ${this.loading ? html`<p role="status">${t('common.loading')}</p>` : nothing}
      ${this.error ? html`<p class="form-error" role="alert">${this.error}</p>` : nothing}
      ${this.report ? this.renderReport(this.report) : nothing}
    </div>`;
  }
}

customElements.define('cityos-portal-track-page', PortalTrackPage);
