import { LitElement } from 'lit';
import { LocaleController } from '../i18n';

/**
 * Base of every console element: renders into light DOM (so the global
 * stylesheet, label/for pairs and aria-* id references all work across
 * components) and re-renders when the language changes.
 */
export class ConsoleElement extends LitElement {
  protected readonly localeController = new LocaleController(this);

  protected override createRenderRoot(): HTMLElement {
    return this;
  }
}

let idCounter = 0;
/** A document-unique id for label/aria references. */
export function uniqueId(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}
