import { describe, expect, it } from 'vitest';
import type { Agency } from './api/types';
import { buildAgencyTree } from './agency-tree';

const agency = (code: string, parent: string | null, name = code): Agency => ({
  code,
  name_vi: name,
  name_en: name,
  kind: 'department',
  parent_code: parent,
  jurisdiction_code: null,
});

describe('buildAgencyTree', () => {
  it('nests agencies under their parent, sorted by name', () => {
    const { roots, orphans } = buildAgencyTree(
      [agency('ubnd', null, 'UBND'), agency('so-xd', 'ubnd', 'Sở Xây dựng'), agency('so-gtvt', 'ubnd', 'Sở Giao thông')],
      (a) => a.name_vi,
      'vi',
    );
    expect(roots.map((n) => n.agency.code)).toEqual(['ubnd']);
    expect(roots[0]!.children.map((n) => n.agency.code)).toEqual(['so-gtvt', 'so-xd']);
    expect(orphans).toEqual([]);
  });

  it('keeps agencies with a missing parent and agencies on a cycle visible', () => {
    const { roots, orphans } = buildAgencyTree(
      [agency('a', 'missing'), agency('b', 'c'), agency('c', 'b')],
      (a) => a.code,
      'vi',
    );
    expect(roots).toEqual([]);
    const codes = (nodes: typeof orphans): string[] => nodes.flatMap((n) => [n.agency.code, ...codes(n.children)]);
    expect(codes(orphans).sort()).toEqual(['a', 'b', 'c']);
  });
});
