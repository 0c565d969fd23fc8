import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '../i18n';
import { frequencyName, indicatorName, jurisdictionName, modelName, modelTitle } from './labels';

describe('forecast labels', () => {
  afterEach(() => setLocale('vi'));

  it('name models, frequencies and areas in Vietnamese first, then English', () => {
    setLocale('vi');
    expect(modelName('ets')).toBe('San bằng mũ (ETS)');
    expect(modelName('seasonal_naive')).toBe('Naive theo mùa vụ');
    expect(modelName('prophet')).toBe('prophet');
    expect(modelTitle('ets', 'ETS(M,A,M)')).toBe('San bằng mũ (ETS) — ETS(M,A,M)');
    // A label that only repeats the name adds nothing.
    expect(modelTitle('arima', 'ARIMA')).toBe('ARIMA');
    expect(modelTitle('theta', null)).toBe('Theta');
    expect(frequencyName('quarterly')).toBe('Hằng quý');
    expect(jurisdictionName('79')).toBe('Toàn Thành phố');
    expect(jurisdictionName('26743')).toBe('Mã địa bàn 26743');
    expect(jurisdictionName('26743', { '26743': 'Phường Bến Thành' })).toBe('Phường Bến Thành');
    expect(indicatorName({ name_vi: 'Chỉ số giá tiêu dùng', name_en: 'Consumer price index' }, 'vi')).toBe('Chỉ số giá tiêu dùng');
    setLocale('en');
    expect(modelName('ets')).toBe('Exponential smoothing (ETS)');
    expect(frequencyName('quarterly')).toBe('Quarterly');
    expect(jurisdictionName('79')).toBe('Whole city');
    expect(indicatorName({ name_vi: 'Chỉ số giá tiêu dùng', name_en: 'Consumer price index' }, 'en')).toBe('Consumer price index');
    expect(indicatorName({ name_vi: 'Chỉ số giá tiêu dùng', name_en: '' }, 'en')).toBe('Chỉ số giá tiêu dùng');
  });
});
