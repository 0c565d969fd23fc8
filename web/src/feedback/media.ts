/**
 * Photos and videos on reports: the wire types of `/api/feedback/.../media`,
 * checks made before a file is sent (the server checks again, from the
 * file's bytes), uploads, and the arithmetic of redaction regions (fractions
 * 0–1 of the photo as shown).
 */
import { ApiError, parseProblem } from '../api/client';
import { formatNumber } from '../i18n/format';

/** A photo or video attached to a report, as staff see it. */
export interface Attachment {
  id: string;
  report_id: string;
  kind: 'photo' | 'video';
  content_type: string;
  size_bytes: number;
  sha256: string;
  uploaded_by: 'citizen' | 'anonymous' | 'staff';
  visibility: 'internal' | 'public';
  redacted: boolean;
  regions: Region[];
  width: number | null;
  height: number | null;
  created_at: string;
  /** Staff: the original, without its metadata. */
  url: string;
  /** What the public is (or would be) served: the redacted copy, or the original. */
  public_url: string;
}

/** A published photo or video. */
export interface PublicMedia {
  id: string;
  kind: 'photo' | 'video';
  content_type: string;
  url: string;
}

/** The reporter's grant to attach files right after filing. */
export interface UploadGrant {
  token: string;
  expires_at: string;
}

/** A rectangle in fractions of the photo's width and height, from the top-left corner. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The server's default `[media]` limits; it enforces its own (the answer says which). */
export const MEDIA_LIMITS = { photoBytes: 10 * 1024 * 1024, videoBytes: 50 * 1024 * 1024, perReport: 6 } as const;

/** What the file picker offers (the server accepts JPEG, PNG, MP4 and QuickTime). */
export const ACCEPT = 'image/jpeg,image/png,video/mp4,video/quicktime,image/*,video/*';

const TYPES: Record<string, 'photo' | 'video'> = {
  'image/jpeg': 'photo',
  'image/png': 'photo',
  'video/mp4': 'video',
  'video/quicktime': 'video',
};

export type FileProblem = 'type' | 'photoSize' | 'videoSize' | 'count';

/** Whether a chosen file can be sent, judged by its declared type and size. */
export function checkFile(
  file: { type: string; size: number },
  alreadyChosen: number,
  limits: { photoBytes: number; videoBytes: number; perReport: number } = MEDIA_LIMITS,
): FileProblem | null {
  if (alreadyChosen >= limits.perReport) return 'count';
  const kind = TYPES[file.type.toLowerCase()];
  if (!kind) return 'type';
  if (kind === 'photo' && file.size > limits.photoBytes) return 'photoSize';
  if (kind === 'video' && file.size > limits.videoBytes) return 'videoSize';
  return null;
}

/** The kind of a chosen file, by its declared type. */
export function fileKind(type: string): 'photo' | 'video' {
  return type.toLowerCase().startsWith('video/') ? 'video' : 'photo';
}

/** A size for people: `850 KB`, `1,5 MB` (Vietnamese uses a decimal comma). */
export function formatBytes(bytes: number, locale: 'vi' | 'en'): string {
  if (bytes < 1024) return `${formatNumber(bytes, locale)} B`;
  if (bytes < 1024 * 1024) return `${formatNumber(Math.round(bytes / 1024), locale)} KB`;
  return `${formatNumber(Math.round((bytes / (1024 * 1024)) * 10) / 10, locale, 1)} MB`;
}

/**
 * Sends one file as `multipart/form-data` (field `file`, and `visibility`
 * for staff). Errors become `ApiError`s like every other call.
 */
export async function uploadFile(
  url: string,
  file: Blob,
  fileName: string,
  headers: Record<string, string>,
  options: { visibility?: 'internal' | 'public'; credentials?: RequestCredentials; fetch?: typeof fetch } = {},
): Promise<Attachment> {
  const form = new FormData();
  if (options.visibility) form.append('visibility', options.visibility);
  form.append('file', file, fileName);
  let response: Response;
  try {
    response = await (options.fetch ?? globalThis.fetch)(url, {
      method: 'POST',
      headers: { Accept: 'application/json, application/problem+json', ...headers },
      body: form,
      credentials: options.credentials ?? 'same-origin',
    });
  } catch (cause) {
    throw new ApiError(0, 'network', 'Network error', cause instanceof Error ? cause.message : String(cause), 'about:blank');
  }
  const text = await response.text();
  if (!response.ok) throw parseProblem(response.status, response.headers.get('content-type'), text, response.statusText);
  return JSON.parse(text) as Attachment;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** The smallest side a region may have (fraction), so a stray click draws nothing. */
export const MIN_SIDE = 0.01;

/** The region spanned by two points (fractions), or null when it is too small. */
export function regionBetween(a: { x: number; y: number }, b: { x: number; y: number }): Region | null {
  const x0 = clamp01(Math.min(a.x, b.x));
  const y0 = clamp01(Math.min(a.y, b.y));
  const x1 = clamp01(Math.max(a.x, b.x));
  const y1 = clamp01(Math.max(a.y, b.y));
  if (x1 - x0 < MIN_SIDE || y1 - y0 < MIN_SIDE) return null;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** A region from percentages typed in (left, top, width, height), or null when it does not fit the photo. */
export function regionFromPercent(left: number, top: number, width: number, height: number): Region | null {
  if (![left, top, width, height].every(Number.isFinite)) return null;
  if (left < 0 || top < 0 || width <= 0 || height <= 0 || left + width > 100 || top + height > 100) return null;
  if (width < MIN_SIDE * 100 || height < MIN_SIDE * 100) return null;
  return { x: left / 100, y: top / 100, width: width / 100, height: height / 100 };
}

/** The region moved by (dx, dy), kept on the photo. */
export function moveRegion(r: Region, dx: number, dy: number): Region {
  return { ...r, x: clamp01(Math.min(r.x + dx, 1 - r.width)), y: clamp01(Math.min(r.y + dy, 1 - r.height)) };
}

/** The region grown or shrunk by (dw, dh) from its top-left corner, kept on the photo and at least `MIN_SIDE`. */
export function resizeRegion(r: Region, dw: number, dh: number): Region {
  return {
    ...r,
    width: Math.min(Math.max(r.width + dw, MIN_SIDE), 1 - r.x),
    height: Math.min(Math.max(r.height + dh, MIN_SIDE), 1 - r.y),
  };
}

/** A fraction as a whole percentage for people (`0.125` → `13`). */
export function percent(v: number): number {
  return Math.round(v * 1000) / 10;
}
