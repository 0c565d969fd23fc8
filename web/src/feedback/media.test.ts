import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import {
  checkFile,
  fileKind,
  formatBytes,
  MEDIA_LIMITS,
  moveRegion,
  percent,
  regionBetween,
  regionFromPercent,
  resizeRegion,
  uploadFile,
} from './media';

describe('choosing files', () => {
  it('takes JPEG, PNG, MP4 and MOV within their sizes and the count', () => {
    expect(checkFile({ type: 'image/jpeg', size: 1000 }, 0)).toBeNull();
    expect(checkFile({ type: 'video/quicktime', size: 20 * 1024 * 1024 }, 5)).toBeNull();
    expect(checkFile({ type: 'image/webp', size: 1000 }, 0)).toBe('type');
    expect(checkFile({ type: '', size: 1000 }, 0)).toBe('type');
    expect(checkFile({ type: 'image/png', size: MEDIA_LIMITS.photoBytes + 1 }, 0)).toBe('photoSize');
    expect(checkFile({ type: 'video/mp4', size: MEDIA_LIMITS.videoBytes + 1 }, 0)).toBe('videoSize');
    expect(checkFile({ type: 'image/jpeg', size: 1 }, MEDIA_LIMITS.perReport)).toBe('count');
    expect(fileKind('video/mp4')).toBe('video');
    expect(fileKind('image/png')).toBe('photo');
  });

  it('shows sizes in each language', () => {
    expect(formatBytes(500, 'en')).toBe('500 B');
    expect(formatBytes(2048, 'vi')).toBe('2 KB');
    expect(formatBytes(1.5 * 1024 * 1024, 'vi')).toBe('1,5 MB');
    expect(formatBytes(1.5 * 1024 * 1024, 'en')).toBe('1.5 MB');
  });
});

describe('uploading', () => {
  it('sends the file as multipart with the given headers, and turns problems into ApiErrors', async () => {
    let seen: RequestInit | undefined;
    const ok = (async (_url: string, init?: RequestInit) => {
      seen = init;
      return new Response(JSON.stringify({ id: 'm1', kind: 'photo' }), { status: 201, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const a = await uploadFile('/api/feedback/reports/X/media', new Blob(['abc'], { type: 'image/jpeg' }), 'a.jpg', { 'X-Upload-Token': 'cmu_1' }, {
      fetch: ok,
      credentials: 'omit',
    });
    expect(a.id).toBe('m1');
    expect((seen?.headers as Record<string, string>)['X-Upload-Token']).toBe('cmu_1');
    expect(seen?.credentials).toBe('omit');
    const body = seen?.body as FormData;
    expect((body.get('file') as File).name).toBe('a.jpg');
    expect(body.get('visibility')).toBeNull();

    const refused = (async () =>
      new Response(JSON.stringify({ type: 'about:blank', title: 'Unsupported file type', status: 415, code: 'unsupported_media_type' }), {
        status: 415,
        headers: { 'content-type': 'application/problem+json' },
      })) as typeof fetch;
    await expect(uploadFile('/x', new Blob(['x']), 'x.gif', {}, { fetch: refused })).rejects.toMatchObject({ status: 415, code: 'unsupported_media_type' });
    const offline = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    await expect(uploadFile('/x', new Blob(['x']), 'x.jpg', {}, { fetch: offline })).rejects.toBeInstanceOf(ApiError);
  });
});

describe('redaction regions', () => {
  it('are drawn between two points in any direction, kept on the photo', () => {
    const r = regionBetween({ x: 0.6, y: 0.5 }, { x: 0.2, y: 0.1 })!;
    expect([r.x, r.y, r.width, r.height].map((v) => Math.round(v * 1000) / 1000)).toEqual([0.2, 0.1, 0.4, 0.4]);
    expect(regionBetween({ x: -0.2, y: 0.5 }, { x: 0.2, y: 1.4 })).toEqual({ x: 0, y: 0.5, width: 0.2, height: 0.5 });
    expect(regionBetween({ x: 0.5, y: 0.5 }, { x: 0.501, y: 0.9 })).toBeNull();
  });

  it('can be typed as percentages', () => {
    expect(regionFromPercent(10, 20, 30, 40)).toEqual({ x: 0.1, y: 0.2, width: 0.3, height: 0.4 });
    expect(regionFromPercent(80, 0, 30, 10)).toBeNull();
    expect(regionFromPercent(0, 0, 0, 10)).toBeNull();
    expect(regionFromPercent(Number.NaN, 0, 10, 10)).toBeNull();
    expect(percent(0.125)).toBe(12.5);
  });

  it('move and resize with the keyboard without leaving the photo', () => {
    const r = { x: 0.8, y: 0.1, width: 0.15, height: 0.2 };
    expect(moveRegion(r, 0.1, 0)).toEqual({ ...r, x: 0.85 });
    expect(moveRegion(r, 0, -0.5).y).toBe(0);
    expect(resizeRegion(r, 0.1, 0).width).toBeCloseTo(0.2);
    expect(resizeRegion(r, -1, 0).width).toBe(0.01);
  });
});
