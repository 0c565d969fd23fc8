import { describe, expect, it } from 'vitest';
import { base64UrlToBytes, parseFollowed, withCode, withoutCode } from './push';

describe('base64UrlToBytes', () => {
  it('decodes a VAPID public key into the 65-byte uncompressed point', () => {
    // RFC 8291 Appendix A's application server key.
    const key = base64UrlToBytes('BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8');
    expect(key.length).toBe(65);
    expect(key[0]).toBe(4);
    expect(key[64]).toBe(0x0f);
    expect(Array.from(key.slice(1, 4))).toEqual([0xfe, 0x33, 0xf4]);
  });

  it('accepts padding and both alphabets, refuses garbage', () => {
    expect(Array.from(base64UrlToBytes('-_8='))).toEqual([0xfb, 0xff]);
    expect(Array.from(base64UrlToBytes('+/8'))).toEqual([0xfb, 0xff]);
    expect(base64UrlToBytes('').length).toBe(0);
    expect(() => base64UrlToBytes('ab!d')).toThrow();
    expect(() => base64UrlToBytes('abcde')).toThrow();
  });
});

describe('followed codes', () => {
  it('adds each code once, upper-cased, and removes it whatever its case', () => {
    const one = withCode([], ' 261128-f8yga ');
    expect(one).toEqual(['261128-F8YGA']);
    expect(withCode(one, '261128-F8YGA')).toEqual(one);
    const two = withCode(one, '261129-ABCDE');
    expect(two).toEqual(['261128-F8YGA', '261129-ABCDE']);
    expect(withoutCode(two, '261128-f8yga')).toEqual(['261129-ABCDE']);
    expect(withoutCode([], 'X')).toEqual([]);
  });

  it('reads whatever was stored without failing', () => {
    expect(parseFollowed('["261128-F8YGA", 3, "", null]')).toEqual(['261128-F8YGA']);
    expect(parseFollowed('{"a":1}')).toEqual([]);
    expect(parseFollowed('not json')).toEqual([]);
    expect(parseFollowed(null)).toEqual([]);
  });
});
