/** Catalogue names for values that come from the API (roles, scopes). */
import type { Grant, Scope } from './api/types';
import { t, tMaybe } from './i18n';

export function roleLabel(role: string, fallback: string = role): string {
  return tMaybe(`role.${role}`, fallback);
}

export function scopeLabel(scope: Scope, names?: Map<string, string>): string {
  switch (scope.kind) {
    case 'city':
      return t('scope.city');
    case 'agency':
      return t('scope.agency', { code: names?.get(`agency:${scope.code}`) ?? scope.code });
    case 'jurisdiction':
      return t('scope.jurisdiction', { code: names?.get(`jurisdiction:${scope.code}`) ?? scope.code });
    default:
      return JSON.stringify(scope);
  }
}

export function grantLabel(grant: Grant, names?: Map<string, string>): string {
  return `${roleLabel(grant.role)} — ${scopeLabel(grant.scope, names)}`;
}
