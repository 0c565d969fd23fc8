/**
 * How the data pages reach the API.
 *
 * - `openData`: the public portal's client. It never sends cookies, so the
 *   portal shows every visitor — a signed-in official included — exactly what
 *   the public sees, and the API examples it prints give the same answers.
 * - `uploadVersion`: a file upload with progress (fetch cannot report upload
 *   progress, so it uses XMLHttpRequest), with the session's CSRF token.
 * - Reference data (vocabulary, agency names) read once per page load.
 */
import { ApiClient, ApiError, parseProblem } from '../api/client';
import { session } from '../session';
import type { Organization, VersionReport, Vocabulary } from './types';

export const openData = new ApiClient({
  credentials: 'omit',
  getCsrfToken: () => null,
  // Nobody is signed in on this client, so a 401 has no session to end.
  onUnauthorized: () => undefined,
});

function cached<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | null = null;
  return () => {
    if (!promise) {
      promise = load().catch((error: unknown) => {
        promise = null;
        throw error;
      });
    }
    return promise;
  };
}

/** Licences, themes, update frequencies and sharing levels (public). */
export const loadVocabulary = cached(() => openData.get<Vocabulary>('/api/datahub/vocabulary'));

interface CkanEnvelope<T> {
  success: boolean;
  result: T;
}

/** Agencies with their Vietnamese and English names, from CKAN's public organization list. */
export const loadOrganizations = cached(async () => {
  const response = await openData.get<CkanEnvelope<Organization[]>>('/api/3/action/organization_list', {
    query: { all_fields: 'true', limit: 1000 },
  });
  return response.result;
});

/** Records one view of a dataset page or one download (public; counted once a day per visitor). */
export function recordUsage(dataset: string, kind: 'view' | 'download'): void {
  void openData.post<void>(`/api/datahub/datasets/${encodeURIComponent(dataset)}/usage`, { kind }).catch(() => undefined);
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface UploadHandle {
  done: Promise<VersionReport>;
  abort: () => void;
}

/**
 * Uploads `file` as a new version of resource `resourceId` (multipart, field
 * `file`). Rejects with an `ApiError` (problem+json) when the server refuses,
 * with `status` 0 when it cannot be reached, and with an AbortError when aborted.
 */
export function uploadVersion(resourceId: string, file: File, onProgress: (p: UploadProgress) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const done = new Promise<VersionReport>((resolve, reject) => {
    xhr.open('POST', `/api/datahub/resources/${encodeURIComponent(resourceId)}/versions`);
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
    const csrf = session.csrfToken;
    if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.withCredentials = true;
    xhr.upload.onprogress = (event) => onProgress({ loaded: event.loaded, total: event.lengthComputable ? event.total : file.size });
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as VersionReport);
        } catch {
          reject(new ApiError(xhr.status, 'invalid_response', 'Invalid response', xhr.responseText.slice(0, 200), 'about:blank'));
        }
        return;
      }
      const error = parseProblem(xhr.status, xhr.getResponseHeader('content-type'), xhr.responseText, xhr.statusText);
      if (xhr.status === 401) session.expire(error);
      reject(error);
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'Network error', null, 'about:blank'));
    xhr.onabort = () => reject(new DOMException('The upload was cancelled', 'AbortError'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}
