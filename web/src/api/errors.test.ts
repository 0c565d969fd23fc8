import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '../i18n';
import { ApiError, parseProblem } from './client';
import { describeError } from './errors';

afterEach(() => setLocale('vi'));

describe('describeError', () => {
  it('uses the catalogue for known codes, in the current language', () => {
    const error = parseProblem(401, 'application/problem+json', JSON.stringify({ title: 'Unauthorized', status: 401, code: 'invalid_credentials', detail: 'bad password' }));
    expect(describeError(error)).toBe('Tên đăng nhập hoặc mật khẩu không đúng.');
    setLocale('en');
    expect(describeError(error)).toBe('Wrong username or password.');
  });

  it('adds the server detail where it says more (lock expiry)', () => {
    const error = new ApiError(423, 'locked', 'Locked', 'until 27/11/2025 17:00', 'about:blank');
    expect(describeError(error)).toBe('Tài khoản đang tạm khóa do đăng nhập sai nhiều lần. Chi tiết từ máy chủ: until 27/11/2025 17:00');
  });

  it('tells until when an account is locked, in Ho Chi Minh City time', () => {
    const body = JSON.stringify({
      type: 'https://cityos.dev/problems/locked',
      title: 'Account locked',
      status: 423,
      code: 'locked',
      detail: 'Too many failed sign-ins; try again after 2025-11-27T10:00:00+00:00',
      locked_until: '2025-11-27T10:00:00+00:00',
    });
    const error = parseProblem(423, 'application/problem+json', body);
    expect(describeError(error)).toBe('Tài khoản đang tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau 27/11/2025 17:00.');
  });

  it('falls back to the problem title for unknown codes', () => {
    const error = new ApiError(400, 'username_taken', 'Username already taken', null, 'about:blank');
    expect(describeError(error)).toBe('Username already taken');
    const detailed = new ApiError(422, 'weak_password', 'Password too weak', 'at least 12 characters', 'about:blank');
    expect(describeError(detailed)).toBe('Password too weak. Chi tiết từ máy chủ: at least 12 characters');
  });

  it('describes network and server failures', () => {
    expect(describeError(new ApiError(0, 'network', 'Network error', 'Failed to fetch', 'about:blank'))).toContain('Không kết nối được');
    expect(describeError(new ApiError(503, 'server', 'Service Unavailable', null, 'about:blank'))).toBe('Máy chủ gặp lỗi (mã 503). Vui lòng thử lại sau.');
  });
});
