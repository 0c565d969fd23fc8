import { describe, expect, it } from 'vitest';
import { apiKeyStatus, parseExpiryDays, passwordProblem } from './account';

describe('passwordProblem', () => {
  it('accepts 10+ characters mixing letters with digits or symbols', () => {
    expect(passwordProblem('old-Pass-2025', 'Mat-khau-moi-2026', 'Mat-khau-moi-2026')).toBeNull();
    expect(passwordProblem('old', 'matkhau2026', 'matkhau2026')).toBeNull();
    expect(passwordProblem('old', 'mật khẩu mới', 'mật khẩu mới')).toBeNull();
  });

  it('names what is wrong', () => {
    expect(passwordProblem('', 'Mat-khau-moi-2026', 'Mat-khau-moi-2026')).toBe('empty');
    expect(passwordProblem('old', '', '')).toBe('empty');
    expect(passwordProblem('old', 'Ab-1', 'Ab-1')).toBe('short');
    // Letters only, digits only, symbols only: not mixed.
    expect(passwordProblem('old', 'Matkhaumoiqua', 'Matkhaumoiqua')).toBe('weak');
    expect(passwordProblem('old', '1234567890', '1234567890')).toBe('weak');
    expect(passwordProblem('old', '!!!!----####', '!!!!----####')).toBe('weak');
    expect(passwordProblem('old', 'Mat-khau-moi-2026', 'Mat-khau-moi-2027')).toBe('mismatch');
    expect(passwordProblem('Mat-khau-moi-2026', 'Mat-khau-moi-2026', 'Mat-khau-moi-2026')).toBe('unchanged');
  });

  it('counts characters, not UTF-16 units', () => {
    // 9 characters, one outside the BMP: still too short.
    expect(passwordProblem('old', 'abcdefg1😀', 'abcdefg1😀')).toBe('short');
  });
});

describe('parseExpiryDays', () => {
  it('reads an empty field as "until revoked"', () => {
    expect(parseExpiryDays('')).toBeUndefined();
    expect(parseExpiryDays('   ')).toBeUndefined();
  });

  it('accepts whole numbers from 1 to 3650', () => {
    expect(parseExpiryDays('1')).toBe(1);
    expect(parseExpiryDays(' 90 ')).toBe(90);
    expect(parseExpiryDays('3650')).toBe(3650);
  });

  it('refuses anything else', () => {
    for (const text of ['0', '-1', '3651', '1.5', '1e3', 'abc', '100000000000000']) expect(parseExpiryDays(text), text).toBeNull();
  });
});

describe('apiKeyStatus', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it('tells active, expired and revoked keys apart', () => {
    expect(apiKeyStatus({ expires_at: null, revoked_at: null }, now)).toBe('active');
    expect(apiKeyStatus({ expires_at: '2026-02-01T00:00:00Z', revoked_at: null }, now)).toBe('active');
    expect(apiKeyStatus({ expires_at: '2025-12-31T23:59:59Z', revoked_at: null }, now)).toBe('expired');
    expect(apiKeyStatus({ expires_at: '2026-01-01T00:00:00Z', revoked_at: null }, now)).toBe('expired');
    expect(apiKeyStatus({ expires_at: '2025-01-01T00:00:00Z', revoked_at: '2025-06-01T00:00:00Z' }, now)).toBe('revoked');
  });
});
