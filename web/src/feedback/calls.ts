/**
 * The call centre's screen-pop: the wire types of `/api/feedback/calls*` and
 * the pure rules the phone page follows when its stream reports a call.
 */
import type { ReportStatus } from '../api/types';
import type { MessageKey } from '../i18n';

export type CallState = 'ringing' | 'answered' | 'ended';

export interface LinkedReport {
  id: string;
  tracking_code: string;
}

/** A `call` event on `GET /api/feedback/calls/stream` (no caller number). */
export interface CallSignal {
  id: string;
  call_id: string;
  state: CallState;
  extension: string;
  /** False when the call was answered at another operator's extension. */
  mine: boolean;
  ringing_at: string | null;
  answered_at: string | null;
  ended_at: string | null;
  report: LinkedReport | null;
}

/** `GET /api/feedback/calls/{id}`'s `call`. */
export interface CallView {
  id: string;
  call_id: string;
  state: CallState;
  caller: string | null;
  called: string | null;
  extension: string;
  operator_user_id: string | null;
  ringing_at: string | null;
  answered_at: string | null;
  ended_at: string | null;
  received_at: string;
  report: LinkedReport | null;
}

export interface EarlierReport {
  id: string;
  tracking_code: string;
  status: ReportStatus;
  status_vi: string;
  status_en: string;
  category_code: string | null;
  received_at: string;
  description: string;
}

export interface CallDetail {
  call: CallView;
  earlier_reports: EarlierReport[];
}

export interface ExtensionRegistration {
  extension: string | null;
  registered_at: string | null;
  expires_at: string | null;
}

export const CALL_STATE_LABEL: Record<CallState, MessageKey> = {
  ringing: 'calls.stateRinging',
  answered: 'calls.stateAnswered',
  ended: 'calls.stateEnded',
};

const ORDER: Record<CallState, number> = { ringing: 0, answered: 1, ended: 2 };

/** What the page does with a signal, given the call on screen (if any). */
export type CallAction =
  /** A new call of mine: open a fresh form for it. */
  | 'pop'
  /** News about the call on screen: update its state. */
  | 'update'
  /** Nothing to do (another call while one is on screen, or an old state). */
  | 'ignore';

/**
 * Decides what a signal means for the screen. A new ringing or answered call
 * of the operator's pops up unless another live call is already on screen;
 * signals about the call on screen update it but never move it backwards.
 */
export function actionFor(signal: CallSignal, current: { id: string; state: CallState } | null): CallAction {
  if (current && current.id === signal.id) {
    return ORDER[signal.state] >= ORDER[current.state] ? 'update' : 'ignore';
  }
  if (!signal.mine || signal.state === 'ended' || signal.report) return 'ignore';
  if (current && current.state !== 'ended') return 'ignore';
  return 'pop';
}

/** A Vietnamese number in E.164 (`+84903123456`) as operators write it (`0903 123 456`); others unchanged. */
export function nationalNumber(e164: string): string {
  const match = /^\+84(\d{9,10})$/.exec(e164);
  if (!match) return e164;
  const national = `0${match[1]}`;
  return national.length === 10 ? `${national.slice(0, 4)} ${national.slice(4, 7)} ${national.slice(7)}` : national;
}
