/**
 * "Nhận thông báo": on the tracking page, turns web-push notifications about
 * one report on (asking the browser's permission on the click) or off again.
 * Says plainly when the browser cannot (old browsers; iPhones until the page
 * is added to the Home Screen) or when the citizen has blocked notifications.
 */
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { ConsoleElement, uniqueId } from '../components/base';
import { announce } from '../announcer';
import { ApiError } from '../api/client';
import { describeError } from '../api/errors';
import { t } from '../i18n';
import { followReport, isFollowing, pushSupport, PushDeniedError, PushUnavailableError, unfollowReport } from './push';

type State = 'idle' | 'busy' | 'on' | 'denied' | 'unsupported';

export class PushButton extends ConsoleElement {
  static override properties = {
    code: {},
    state: { state: true },
    message: { state: true },
    error: { state: true },
  };

  code = '';
  state: State = 'idle';
  /** The outcome of the last click, for the live region. */
  message = '';
  error = '';
  private readonly uid = uniqueId('push');

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('code')) void this.refresh();
  }

  private async refresh(): Promise<void> {
    this.message = '';
    this.error = '';
    const support = pushSupport();
    if (support !== 'supported') {
      this.state = support;
      return;
    }
    try {
      this.state = (await isFollowing(this.code)) ? 'on' : 'idle';
    } catch {
      this.state = 'idle';
    }
  }

  private async turnOn(): Promise<void> {
    if (this.state === 'busy') return;
    this.state = 'busy';
    this.error = '';
    this.message = '';
    try {
      await followReport(this.code);
      this.state = 'on';
      this.message = t('push.enabled', { code: this.code });
      announce(this.message);
    } catch (error) {
      if (error instanceof PushDeniedError) {
        this.state = 'denied';
        return;
      }
      this.state = 'idle';
      // The browser's own messages (push service unreachable…) are in its language, not the citizen's.
      this.error =
        error instanceof PushUnavailableError
          ? t('push.unavailable')
          : error instanceof ApiError
            ? t('push.failed', { reason: describeError(error) })
            : t('push.failedBrowser');
    }
  }

  private async turnOff(): Promise<void> {
    if (this.state === 'busy') return;
    this.state = 'busy';
    this.error = '';
    try {
      await unfollowReport(this.code);
      this.state = 'idle';
      this.message = t('push.disabled', { code: this.code });
      announce(this.message);
    } catch (error) {
      this.state = 'on';
      this.error = describeError(error);
    }
  }

  private renderAction(): TemplateResult | typeof nothing {
    switch (this.state) {
      case 'unsupported':
        return html`<p class="hint" id="${this.uid}-why">${t('push.unsupported')}</p>`;
      case 'denied':
        return html`<p class="notice notice-warning" id="${this.uid}-why">${t('push.denied')}</p>`;
      case 'on':
        return html`<button type="button" class="button button-secondary push-off" @click=${() => void this.turnOff()}>
          ${t('push.disable')}
        </button>`;
      default:
        return html`<button
          type="button"
          class="button push-on"
          aria-describedby="${this.uid}-intro"
          ?disabled=${this.state === 'busy'}
          aria-busy=${this.state === 'busy' ? 'true' : 'false'}
          @click=${() => void this.turnOn()}
        >
          ${this.state === 'busy' ? t('push.enabling') : t('push.enable')}
        </button>`;
    }
  }

  override render(): TemplateResult {
    return html`<section class="card push-card" aria-labelledby="${this.uid}-heading" data-state=${this.state}>
      <h2 id="${this.uid}-heading">${t('push.heading')}</h2>
      <p id="${this.uid}-intro">${t('push.intro', { code: this.code })}</p>
      ${this.renderAction()}
      <p class="push-status" role="status">${this.message}</p>
      ${this.error ? html`<p class="form-error" role="alert">${this.error}</p>` : nothing}
    </section>`;
  }
}

customElements.define('cityos-push-button', PushButton);
