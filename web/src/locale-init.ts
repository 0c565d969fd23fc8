// Evaluated before the shell is defined, so the first render already uses the stored language.
import { initLocale } from './i18n';

initLocale();
