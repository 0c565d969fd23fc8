/**
 * The console's language: current locale, `t()` lookup, persistence and a Lit
 * controller that re-renders a component when the language changes.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { en } from './en';
import { vi, type MessageKey } from './vi';
import { DEFAULT_LOCALE, isLocale, type Locale } from './format';

export type { MessageKey } from './vi';
export type { Locale } from './format';

export const CATALOGUES: Record<Locale, Record<MessageKey, string>> = { vi, en };

const STORAGE_KEY = 'cityos.locale';
const CHANGE_EVENT = 'cityos-locale-change';

let current: Locale = DEFAULT_LOCALE;
const target = new EventTarget();

/** Replaces `{name}` placeholders; unknown placeholders are left visible so a missing parameter shows in review. */
export function interpolate(template: string, params?: Record<string, string | number>): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

/** Looks a message up in the catalogue of `locale` (default: the current language). */
export function translate(locale: Locale, key: MessageKey, params?: Record<string, string | number>): string {
  return interpolate(CATALOGUES[locale][key], params);
}

/** Looks a message up in the current language. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return translate(current, key, params);
}

/** `t()` for keys built at run time (role names, division types); falls back to `fallback` when the key is unknown. */
export function tMaybe(key: string, fallback: string, params?: Record<string, string | number>): string {
  return key in vi ? t(key as MessageKey, params) : fallback;
}

export function getLocale(): Locale {
  return current;
}

/** Sets the language, stores the choice and updates `<html lang>`. */
export function setLocale(locale: Locale): void {
  if (locale === current) return;
  current = locale;
  try {
    localStorage.setItem(STORAGE_KEY, locale);
  } catch {
    // Storage can be disabled; the choice then lasts for this page only.
  }
  applyDocumentLanguage();
  target.dispatchEvent(new Event(CHANGE_EVENT));
}

/** Reads the stored choice (Vietnamese when none) at start-up. */
export function initLocale(): Locale {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    stored = null;
  }
  current = isLocale(stored) ? stored : DEFAULT_LOCALE;
  applyDocumentLanguage();
  return current;
}

function applyDocumentLanguage(): void {
  if (typeof document !== 'undefined') document.documentElement.lang = current;
}

export function onLocaleChange(listener: () => void): () => void {
  target.addEventListener(CHANGE_EVENT, listener);
  return () => target.removeEventListener(CHANGE_EVENT, listener);
}

/** Re-renders its host whenever the language changes. */
export class LocaleController implements ReactiveController {
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {
    this.unsubscribe = onLocaleChange(() => this.host.requestUpdate());
  }

  hostDisconnected(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
