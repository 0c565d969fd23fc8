import { html, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { announce } from '../announcer';
import type { ReportFiledDetail } from '../feedback/report-form';
import '../feedback/report-form';
import { t } from '../i18n';
import { href, navigate } from '../router';
import { session } from '../session';

/**
 * "Tạo phản ánh qua điện thoại": the call centre files what a caller says
 * (their number, their words, an address or a point on the map). The server
 * records the channel as `phone`; the new report opens for handling.
 */
export class FeedbackPhonePage extends ConsoleElement {
  private onFiled(event: CustomEvent<ReportFiledDetail>): void {
    announce(t('phone.filed', { code: event.detail.trackingCode }));
    navigate(`/feedback/${event.detail.trackingCode}`);
  }

  override render(): TemplateResult {
    return html`<div class="page phone-page">
      <p class="back-link"><a href=${href('/feedback')}>← ${t('report.back')}</a></p>
      <h1 tabindex="-1">${t('phone.title')}</h1>
      <p class="lead">${t('phone.intro')}</p>
      ${session.hasRole('operator')
        ? html`<section class="card">
            <cityos-report-form mode="phone" @report-filed=${(e: CustomEvent<ReportFiledDetail>) => this.onFiled(e)}></cityos-report-form>
          </section>`
        : html`<p class="notice notice-warning" role="note">${t('phone.operatorsOnly')}</p>`}
    </div>`;
  }
}

customElements.define('cityos-feedback-phone-page', FeedbackPhonePage);
