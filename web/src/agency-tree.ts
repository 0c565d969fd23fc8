import type { Agency } from './api/types';
import { compareText, type Locale } from './i18n/format';

export interface AgencyNode {
  agency: Agency;
  children: AgencyNode[];
}

/**
 * Arranges agencies by `parent_code`. Agencies whose parent does not exist
 * are returned apart; a cycle in the data cannot loop forever.
 */
export function buildAgencyTree(agencies: Agency[], sortName: (a: Agency) => string, locale: Locale): {
  roots: AgencyNode[];
  orphans: AgencyNode[];
} {
  const byCode = new Map(agencies.map((agency) => [agency.code, agency]));
  const children = new Map<string, Agency[]>();
  for (const agency of agencies) {
    if (agency.parent_code && byCode.has(agency.parent_code) && agency.parent_code !== agency.code) {
      const list = children.get(agency.parent_code) ?? [];
      list.push(agency);
      children.set(agency.parent_code, list);
    }
  }
  const seen = new Set<string>();
  const sort = (list: Agency[]) => [...list].sort((a, b) => compareText(sortName(a), sortName(b), locale));
  const build = (agency: Agency): AgencyNode => {
    seen.add(agency.code);
    const kids = sort(children.get(agency.code) ?? []).filter((child) => !seen.has(child.code));
    return { agency, children: kids.map(build) };
  };
  const roots = sort(agencies.filter((agency) => !agency.parent_code)).map(build);
  const orphans = sort(agencies.filter((agency) => agency.parent_code && !byCode.has(agency.parent_code))).map(build);
  // Whatever is still unseen sits on a cycle; show it rather than hide it.
  for (const agency of sort(agencies)) if (!seen.has(agency.code)) orphans.push(build(agency));
  return { roots, orphans };
}

