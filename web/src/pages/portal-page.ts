import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { citizen } from '../citizen-session';
import { looksLikeTrackingCode, normalizeTrackingCode } from '../feedback/model';
import type { ReportFiledDetail } from '../feedback/report-form';
import '../feedback/report-form';
import { t } from '../i18n';
import { href, navigate } from '../router';

/**
 * The citizen portal's front page (`#/portal`): file a report without any
 * staff account, in Vietnamese first and on a phone-sized screen; look a
 * report up by its tracking code.
 */
export class PortalPage extends ConsoleElement {
  static override properties = {
    filed: { state: true },
    filedMedia: { state: true },
    lookupError: { state: true },
  };

  filed: string | null = null;
  /** What became of the photos and videos sent with the report just filed. */
  filedMedia: ReportFiledDetail['media'] = undefined;
  lookupError = '';
  private unsubscribe: (() => void) | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe = citizen.onChange(() => this.requestUpdate());
    void citizen.restore().catch(() => undefined);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
  }

  private async onFiled(event: CustomEvent<ReportFiledDetail>): Promise<void> {
    this.filed = event.detail.trackingCode;
    this.filedMedia = event.detail.media;
    await this.updateComplete;
    this.querySelector<HTMLElement>('#portal-filed-heading')?.focus();
  }

  private async another(): Promise<void> {
    // Swapping the success panel for the form gives a fresh, empty form.
    this.filed = null;
    await this.updateComplete;
    this.querySelector<HTMLElement>('h1')?.focus();
  }

  private onLookup(event: SubmitEvent): void {
    event.preventDefault();
    const code = normalizeTrackingCode(String(new FormData(event.currentTarget as HTMLFormElement).get('code') ?? ''));
    if (!looksLikeTrackingCode(code)) {
      this.lookupError = t('track.errorCode');
      this.querySelector<HTMLElement>('#portal-lookup-code')?.focus();
      return;
    }
    this.lookupError = '';
    navigate(`/track/${code}`);
  }

  private renderFiled(code: string): TemplateResult {
    return html`<section class="card filed-card" aria-labelledby="portal-filed-heading">
      <h2 id="portal-filed-heading" tabindex="-1">${t('portal.filedHeading')}</h2>
      <p>${t('portal.filedBody')}</p>
      <p class="tracking-code-box">
        <span class="tracking-code-label">${t('portal.trackingCode')}</span>
        <strong class="tracking-code" data-tracking-code=${code}>${code}</strong>
      </p>
      <p class="hint">${t('portal.filedKeep')}</p>
      ${this.filedMedia && this.filedMedia.sent > 0
        ? html`<p data-media-sent=${this.filedMedia.sent}>${t('media.sent', { count: this.filedMedia.sent })}</p>`
        : nothing}
      ${this.filedMedia && this.filedMedia.failed.length > 0
        ? html`<div class="notice notice-warning media-failed" role="alert">
            <ul>
              ${this.filedMedia.failed.map((f) => html`<li>${f}</li>`)}
            </ul>
          </div>`
        : nothing}
      <div class="form-actions">
        <a class="button" href=${href(`/track/${code}`)} data-action="track">${t('portal.trackIt')}</a>
        <button type="button" class="button button-secondary" @click=${() => void this.another()}>${t('portal.another')}</button>
      </div>
    </section>`;
  }

  override render(): TemplateResult {
    return html`<div class="page portal-page">
      <h1 tabindex="-1">${t('portal.title')}</h1>
      <p class="lead">${t('portal.intro')}</p>
      <div class="portal-layout">
        <div>
          ${this.filed
            ? this.renderFiled(this.filed)
            : html`<section class="card" aria-labelledby="portal-form-heading">
                <h2 id="portal-form-heading">${t('portal.formHeading')}</h2>
                ${citizen.signedIn ? nothing : html`<p class="hint">${t('portal.formSignInHint')} <a href=${href('/portal/mine')}>${t('portal.signInLink')}</a></p>`}
                <cityos-report-form mode="citizen" @report-filed=${(e: CustomEvent<ReportFiledDetail>) => void this.onFiled(e)}></cityos-report-form>
              </section>`}
        </div>
        <aside class="portal-aside" aria-labelledby="portal-lookup-heading">
          <section class="card">
            <h2 id="portal-lookup-heading">${t('portal.lookupHeading')}</h2>
            <form class="form" role="search" novalidate @submit=${(e: SubmitEvent) => this.onLookup(e)}>
              <div class="field">
                <label for="portal-lookup-code">${t('track.codeLabel')}</label>
                <input
                  id="portal-lookup-code"
                  name="code"
                  type="text"
                  autocomplete="off"
                  autocapitalize="characters"
                  spellcheck="false"
                  aria-describedby="portal-lookup-hint"
                  aria-invalid=${this.lookupError ? 'true' : 'false'}
                />
                <p class="hint" id="portal-lookup-hint">${t('track.codeHint')}</p>
              </div>
              <div class="form-error" role="alert" aria-live="assertive">${this.lookupError}</div>
              <button type="submit" class="button button-secondary">${t('track.lookup')}</button>
            </form>
          </section>
          <section class="card">
            <h2>${t('portal.hotlineHeading')}</h2>
            <p>${t('portal.hotlineBody')}</p>
          </section>
        </aside>
      </div>
    </div>`;
  }
}

customElements.define('cityos-portal-page', PortalPage);
