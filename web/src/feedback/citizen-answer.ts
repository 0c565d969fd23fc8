/**
 * "Đã khắc phục chưa?": the reporting citizen confirms a resolved report
 * (which closes it) or says it is not fixed (which reopens it), with an
 * optional 1–5 rating and comment. Only offered to the signed-in reporter.
 */
import { html, type TemplateResult } from 'lit';
import { ConsoleElement, uniqueId } from '../components/base';
import { announce } from '../announcer';
import { describeError } from '../api/errors';
import type { PublicReport } from '../api/types';
import { citizen } from '../citizen-session';
import { t, type MessageKey } from '../i18n';

const RATING_LABELS: Record<number, MessageKey> = {
  1: 'answer.rating1',
  2: 'answer.rating2',
  3: 'answer.rating3',
  4: 'answer.rating4',
  5: 'answer.rating5',
};

export class CitizenAnswer extends ConsoleElement {
  static override properties = {
    code: {},
    error: { state: true },
    busy: { state: true },
  };

  code = '';
  error = '';
  busy = false;
  private readonly uid = uniqueId('answer');

  private async onSubmit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (this.busy) return;
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const fixed = data.get('fixed');
    if (fixed !== 'yes' && fixed !== 'no') {
      this.error = t('answer.errorFixed');
      this.querySelector<HTMLInputElement>(`#${this.uid}-yes`)?.focus();
      return;
    }
    const rating = Number(data.get('rating') ?? 0);
    const comment = String(data.get('comment') ?? '').trim();
    this.busy = true;
    this.error = '';
    try {
      const report = await citizen.api.post<PublicReport>(`/api/feedback/my/reports/${encodeURIComponent(this.code)}/feedback`, {
        fixed: fixed === 'yes',
        ...(rating >= 1 && rating <= 5 ? { rating } : {}),
        ...(comment ? { comment } : {}),
      });
      announce(fixed === 'yes' ? t('answer.thanksClosed') : t('answer.thanksReopened'));
      this.dispatchEvent(new CustomEvent<PublicReport>('answered', { detail: report, bubbles: true }));
    } catch (error) {
      this.error = describeError(error);
    } finally {
      this.busy = false;
    }
  }

  override render(): TemplateResult {
    const id = this.uid;
    return html`<form class="form citizen-answer" data-code=${this.code} novalidate @submit=${(e: SubmitEvent) => void this.onSubmit(e)}>
      <fieldset class="fieldset">
        <legend>${t('answer.question')}</legend>
        <div class="radio-list radio-inline">
          <div class="radio-field">
            <input type="radio" id="${id}-yes" name="fixed" value="yes" required />
            <label for="${id}-yes">${t('answer.fixed')}</label>
          </div>
          <div class="radio-field">
            <input type="radio" id="${id}-no" name="fixed" value="no" />
            <label for="${id}-no">${t('answer.notFixed')}</label>
          </div>
        </div>
        <p class="hint">${t('answer.fixedHint')}</p>
      </fieldset>
      <fieldset class="fieldset">
        <legend>${t('answer.ratingLegend')} <span class="optional">${t('common.optional')}</span></legend>
        <div class="radio-list rating-list">
          ${[5, 4, 3, 2, 1].map(
            (value) => html`<div class="radio-field">
              <input type="radio" id="${id}-rating-${value}" name="rating" value=${value} />
              <label for="${id}-rating-${value}">${t(RATING_LABELS[value]!)}</label>
            </div>`,
          )}
        </div>
      </fieldset>
      <div class="field">
        <label for="${id}-comment">${t('answer.comment')} <span class="optional">${t('common.optional')}</span></label>
        <textarea id="${id}-comment" name="comment" rows="3" maxlength="2000"></textarea>
      </div>
      <div class="form-error" role="alert" aria-live="assertive">${this.error}</div>
      <div class="form-actions">
        <button type="submit" class="button" data-action="answer" ?disabled=${this.busy}>
          ${this.busy ? t('common.saving') : t('answer.submit')}
        </button>
      </div>
    </form>`;
  }
}

customElements.define('cityos-citizen-answer', CitizenAnswer);
