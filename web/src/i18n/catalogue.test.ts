import { describe, expect, it } from 'vitest';
import { en } from './en';
import { vi } from './vi';
import { interpolate, translate } from './index';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('translation catalogues', () => {
  it('have identical key sets', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(vi).sort());
  });

  it('have no empty strings', () => {
    for (const [locale, catalogue] of Object.entries({ vi, en })) {
      for (const [key, value] of Object.entries(catalogue)) {
        expect(value.trim(), `${locale}:${key}`).not.toBe('');
      }
    }
  });

  it('use the same placeholders in both languages', () => {
    for (const key of Object.keys(vi) as Array<keyof typeof vi>) {
      expect(placeholders(en[key]), key).toEqual(placeholders(vi[key]));
    }
  });

  it('translate the navigation differently in each language', () => {
    const nav = Object.keys(vi).filter((key) => key.startsWith('nav.')) as Array<keyof typeof vi>;
    for (const key of nav) expect(en[key], key).not.toBe(vi[key]);
  });

  it('interpolate named parameters and leave unknown ones visible', () => {
    expect(interpolate('Trang {page}/{pages}', { page: 2, pages: 5 })).toBe('Trang 2/5');
    expect(interpolate('Xin chào, {name}.', {})).toBe('Xin chào, {name}.');
    expect(translate('vi', 'home.welcome', { name: 'Nguyễn Văn An' })).toBe('Xin chào, Nguyễn Văn An.');
    expect(translate('en', 'home.welcome', { name: 'Nguyễn Văn An' })).toBe('Welcome, Nguyễn Văn An.');
  });

  it('store Vietnamese text in NFC', () => {
    for (const [key, value] of Object.entries(vi)) expect(value, key).toBe(value.normalize('NFC'));
  });
});
