import { html, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { t, type MessageKey } from '../i18n';

export type ModuleId = 'feedback' | 'ioc' | 'gis' | 'forecast';

const TITLES: Record<ModuleId, MessageKey> = {
  feedback: 'nav.feedback',
  ioc: 'nav.ioc',
  gis: 'nav.gis',
  forecast: 'nav.forecast',
};

const ABOUT: Record<ModuleId, MessageKey> = {
  feedback: 'module.feedback.about',
  ioc: 'module.ioc.about',
  gis: 'module.gis.about',
  forecast: 'module.forecast.about',
};

/** An honest page for a module that is not built yet: what it will do, and no sample data. */
export class ModulePage extends ConsoleElement {
  static override properties = { module: {} };

  module: ModuleId = 'feedback';

  override render(): TemplateResult {
    return html`<div class="page">
      <h1 tabindex="-1">${t(TITLES[this.module])}</h1>
      <p class="lead">${t(ABOUT[this.module])}</p>
      <section class="card coming-soon" aria-labelledby="module-coming-title">
        <h2 id="module-coming-title">${t('module.comingTitle')}</h2>
        <p>${t('module.comingBody')}</p>
      </section>
    </div>`;
  }
}

customElements.define('cityos-module-page', ModulePage);
