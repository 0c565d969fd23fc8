import { describe, expect, it } from 'vitest';
import { checkGrant, checkService, exchanges, outcomeKey, outcomeTone, parseList, type GatewayLogEntry, type ServiceDraft } from './gateway-model';

const draft = (over: Partial<ServiceDraft> = {}): ServiceDraft => ({
  code: 'co-so-y-te',
  owner_agency: 'SO-YT',
  name_vi: 'Tra cứu cơ sở y tế',
  name_en: '',
  description_vi: '',
  kind: 'rest',
  base_url: 'https://api.soyt.hcm.gov.vn/v1',
  methods: ['GET'],
  operations: '',
  timeout_ms: '',
  rate_limit_per_minute: '',
  auth_header: '',
  auth_secret: '',
  ...over,
});

describe('service registration', () => {
  it('sends a REST service with the methods ticked, in the API order, and no defaults it was not given', () => {
    const { body, problems } = checkService(draft({ methods: ['POST', 'GET'], timeout_ms: ' 5000 ' }));
    expect(problems).toEqual({});
    expect(body).toEqual({
      code: 'co-so-y-te',
      owner_agency: 'SO-YT',
      name_vi: 'Tra cứu cơ sở y tế',
      name_en: '',
      description_vi: '',
      kind: 'rest',
      base_url: 'https://api.soyt.hcm.gov.vn/v1',
      methods: ['GET', 'POST'],
      operations: [],
      timeout_ms: 5000,
    });
  });

  it('sends a SOAP service as POST with its operations', () => {
    const { body } = checkService(draft({ kind: 'soap', methods: [], operations: 'TraCuuHoSo,\n CapNhatHoSo, TraCuuHoSo' }));
    expect(body?.methods).toEqual(['POST']);
    expect(body?.operations).toEqual(['TraCuuHoSo', 'CapNhatHoSo']);
  });

  it('names each field that needs fixing', () => {
    const { body, problems } = checkService(
      draft({
        code: 'Co So',
        owner_agency: '',
        name_vi: ' ',
        base_url: 'ftp://x/',
        methods: [],
        timeout_ms: '50',
        rate_limit_per_minute: 'nhiều',
        auth_secret: 'bí mật',
      }),
    );
    expect(body).toBeNull();
    expect(problems).toEqual({
      code: 'gateway.errCode',
      owner_agency: 'gateway.errOwner',
      name_vi: 'gateway.errName',
      base_url: 'gateway.errBaseUrl',
      methods: 'gateway.errMethods',
      timeout_ms: 'gateway.errTimeout',
      rate_limit_per_minute: 'gateway.errRate',
      auth_header: 'gateway.errHeaderForSecret',
    });
    expect(checkService(draft({ base_url: 'https://u:p@x/' })).problems.base_url).toBe('gateway.errBaseUrl');
    expect(checkService(draft({ base_url: 'https://x/?a=1' })).problems.base_url).toBe('gateway.errBaseUrl');
    expect(checkService(draft({ kind: 'soap', operations: 'Tra cứu' })).problems.operations).toBe('gateway.errOperations');
  });

  it('reads lists one per line or comma separated', () => {
    expect(parseList(' GET /a ,\n\nGET  /b,GET /a')).toEqual(['GET /a', 'GET /b']);
  });
});

describe('grants', () => {
  it('runs to the end of the last day in Ho Chi Minh City', () => {
    const { body } = checkGrant({ consumer_agency: 'SO-TC', operations: 'GET /facilities', purpose: ' Đối soát ', until: '2026-12-31' }, 'SO-YT', '2026-11-28');
    expect(body).toEqual({ consumer_agency: 'SO-TC', operations: ['GET /facilities'], purpose: 'Đối soát', expires_at: '2026-12-31T16:59:59.000Z' });
    expect(checkGrant({ consumer_agency: 'SO-TC', operations: '', purpose: 'x', until: '' }, 'SO-YT', '2026-11-28').body?.expires_at).toBeNull();
  });

  it('refuses the owner itself, no purpose and a past day', () => {
    const { body, problems } = checkGrant({ consumer_agency: 'SO-YT', operations: '', purpose: '', until: '2026-11-27' }, 'SO-YT', '2026-11-28');
    expect(body).toBeNull();
    expect(problems).toEqual({ consumer_agency: 'gateway.errConsumerOwner', purpose: 'gateway.errPurpose', until: 'gateway.errUntil' });
    expect(checkGrant({ consumer_agency: '', operations: '', purpose: 'x', until: '' }, 'SO-YT', '2026-11-28').problems.consumer_agency).toBe('gateway.errConsumer');
  });
});

describe('exchange log', () => {
  const entry = (seq: number, exchange: string, phase: GatewayLogEntry['phase'], over: Partial<GatewayLogEntry> = {}): GatewayLogEntry => ({
    seq,
    exchange_id: exchange,
    phase,
    at: `2026-11-28T02:00:0${seq}Z`,
    service_id: 's1',
    service_code: 'co-so-y-te',
    owner_agency: 'SO-YT',
    consumer_agency: 'SO-TC',
    actor: 'user:1',
    method: 'GET',
    path: '/facilities',
    operation: null,
    status: null,
    outcome: phase === 'request' ? 'forwarded' : 'success',
    duration_ms: null,
    request_id: null,
    prev_hash: '',
    hash: '',
    signature: '',
    ...over,
  });

  it('folds request and response into one row per exchange, newest first', () => {
    const rows = exchanges([
      entry(4, 'c', 'request'),
      entry(3, 'b', 'refused', { outcome: 'no_grant', status: 403 }),
      entry(2, 'a', 'response', { status: 200, duration_ms: 12 }),
      entry(1, 'a', 'request'),
    ]);
    expect(rows.map((r) => [r.exchange_id, r.seqs, r.status, r.outcome, r.pending, r.refused])).toEqual([
      ['c', [4], null, 'forwarded', true, false],
      ['b', [3], 403, 'no_grant', false, true],
      ['a', [1, 2], 200, 'success', false, false],
    ]);
    expect(rows.map(outcomeTone)).toEqual(['warn', 'bad', 'ok']);
    expect(rows.map(outcomeKey)).toEqual(['gateway.outPending', 'gateway.outNoGrant', 'gateway.outSuccess']);
    expect(rows[2]?.call).toBe('GET /facilities');
  });

  it('names SOAP operations and keeps unknown outcomes as codes', () => {
    const [row] = exchanges([entry(1, 'x', 'response', { method: 'POST', path: '/', operation: 'TraCuu', outcome: 'something_new' })]);
    expect(row?.call).toBe('POST / (TraCuu)');
    expect(row && outcomeKey(row)).toBeNull();
  });
});
