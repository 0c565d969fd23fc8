import { describe, expect, it } from 'vitest';
import { auditQuery, hcmcInputToRfc3339, outcomeKind, shortHash } from './audit-log';

const empty = { actor: '', object: '', action: '', from: '', to: '' };

describe('hcmcInputToRfc3339', () => {
  it('reads datetime-local values as Ho Chi Minh City time', () => {
    expect(hcmcInputToRfc3339('2025-07-01T08:30')).toBe('2025-07-01T08:30:00+07:00');
    expect(hcmcInputToRfc3339('2025-07-01T08:30:15')).toBe('2025-07-01T08:30:15+07:00');
    expect(hcmcInputToRfc3339('2025-07-01T08:30:15.5')).toBe('2025-07-01T08:30:15.500+07:00');
    // 00:30 in the city is still the previous day in UTC.
    expect(new Date(hcmcInputToRfc3339('2025-07-01T00:30')!).toISOString()).toBe('2025-06-30T17:30:00.000Z');
  });

  it('leaves empty input out and refuses impossible dates', () => {
    expect(hcmcInputToRfc3339('')).toBeUndefined();
    expect(hcmcInputToRfc3339('  ')).toBeUndefined();
    for (const text of ['2025-02-30T10:00', '2025-13-01T10:00', '2025-07-01T24:00', '2025-07-01', 'hôm qua', '2025-07-01T08:60']) {
      expect(hcmcInputToRfc3339(text), text).toBeNull();
    }
    expect(hcmcInputToRfc3339('2024-02-29T10:00')).toBe('2024-02-29T10:00:00+07:00');
  });
});

describe('auditQuery', () => {
  it('trims text and keeps a trailing * (prefix match) as is', () => {
    const { params, problem } = auditQuery({ ...empty, actor: ' user:42 ', object: 'user:*', action: ' identity.* ' });
    expect(problem).toBeNull();
    expect(params).toEqual({ actor: 'user:42', object: 'user:*', action: 'identity.*' });
  });

  it('leaves out empty fields', () => {
    expect(auditQuery(empty)).toEqual({ params: {}, problem: null });
  });

  it('converts the time range and checks its order', () => {
    expect(auditQuery({ ...empty, from: '2025-07-01T00:00', to: '2025-07-02T00:00' }).params).toEqual({
      from: '2025-07-01T00:00:00+07:00',
      to: '2025-07-02T00:00:00+07:00',
    });
    expect(auditQuery({ ...empty, from: '2025-07-02T00:00', to: '2025-07-01T00:00' }).problem).toBe('order');
    expect(auditQuery({ ...empty, from: '2025-07-01T00:00', to: '2025-07-01T00:00' }).problem).toBe('order');
    expect(auditQuery({ ...empty, from: 'x' }).problem).toBe('from');
    expect(auditQuery({ ...empty, to: '2025-02-30T00:00' }).problem).toBe('to');
  });
});

describe('shortHash', () => {
  it('keeps the head and tail of a SHA-256 digest', () => {
    const hash = 'b89f645f5b6bf56f99ae896a7fa439b28f72ad7c5a8f4edf4702216f7db0d0b7';
    expect(shortHash(hash)).toBe('b89f645f…d0b7');
    expect(shortHash('abc')).toBe('abc');
  });
});

describe('outcomeKind', () => {
  it('maps the outcomes the server writes', () => {
    expect(outcomeKind('success')).toBe('success');
    expect(outcomeKind('denied')).toBe('denied');
    expect(outcomeKind('error')).toBe('failure');
    expect(outcomeKind('partial')).toBe('other');
  });
});
