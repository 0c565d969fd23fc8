import { describe, expect, it } from 'vitest';
import { actionFor, nationalNumber, type CallSignal } from './calls';

function signal(overrides: Partial<CallSignal> = {}): CallSignal {
  return {
    id: 'c1',
    call_id: 'pbx-1',
    state: 'ringing',
    extension: '101',
    mine: true,
    ringing_at: '2026-11-28T02:15:00Z',
    answered_at: null,
    ended_at: null,
    report: null,
    ...overrides,
  };
}

describe('screen-pop', () => {
  it('pops a new call of mine when nothing live is on screen', () => {
    expect(actionFor(signal(), null)).toBe('pop');
    expect(actionFor(signal({ state: 'answered' }), null)).toBe('pop');
    expect(actionFor(signal({ id: 'c2' }), { id: 'c1', state: 'ended' })).toBe('pop');
  });

  it('leaves other operators’ calls, finished calls and calls already filed alone', () => {
    expect(actionFor(signal({ mine: false }), null)).toBe('ignore');
    expect(actionFor(signal({ state: 'ended' }), null)).toBe('ignore');
    expect(actionFor(signal({ report: { id: 'r', tracking_code: '261128-ABCDE' } }), null)).toBe('ignore');
  });

  it('never replaces a live call on screen with another one', () => {
    expect(actionFor(signal({ id: 'c2' }), { id: 'c1', state: 'answered' })).toBe('ignore');
  });

  it('updates the call on screen forwards only', () => {
    expect(actionFor(signal({ state: 'answered' }), { id: 'c1', state: 'ringing' })).toBe('update');
    expect(actionFor(signal({ state: 'ended', mine: false }), { id: 'c1', state: 'ringing' })).toBe('update');
    expect(actionFor(signal({ state: 'ringing' }), { id: 'c1', state: 'answered' })).toBe('ignore');
  });
});

describe('caller numbers', () => {
  it('are shown and filled in as operators write them', () => {
    expect(nationalNumber('+84903111222')).toBe('0903 111 222');
    expect(nationalNumber('+842838123456')).toBe('02838123456');
    expect(nationalNumber('+14155550100')).toBe('+14155550100');
  });
});
