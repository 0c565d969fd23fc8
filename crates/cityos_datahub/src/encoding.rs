//! Text encodings of uploaded files. Agencies' exports come as UTF-8 (with
//! or without a byte-order mark), UTF-16 (Excel's "Unicode text") or
//! Windows-1258, the legacy Vietnamese code page, which writes tones as
//! combining marks after the vowel. Everything is turned into UTF-8 here and
//! normalised to NFC cell by cell ([`cityos_text::nfc`]) by the readers, so
//! "Bệnh viện" compares equal whichever way it came.
//!
//! Detection ([`Detector`]) runs over the bytes as they are stored, so it
//! sees the whole file without a second read: a byte-order mark decides;
//! without one, NUL bytes in the first 4 KiB mean UTF-16 (their side tells
//! the byte order); otherwise the file is UTF-8 if every byte sequence is
//! valid UTF-8, and Windows-1258 if not (its accented bytes are almost never
//! valid UTF-8, while UTF-8 text is never misread as Windows-1258).

use encoding_rs::{Decoder, Encoding, UTF_16BE, UTF_16LE, WINDOWS_1258};
use std::io::{self, Read};

/// The encoding a file was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceEncoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 starting with EF BB BF.
    Utf8Bom,
    /// UTF-16, little-endian (with or without FF FE).
    Utf16Le,
    /// UTF-16, big-endian (with or without FE FF).
    Utf16Be,
    /// Windows-1258 (Vietnamese).
    Windows1258,
}

impl SourceEncoding {
    /// The name recorded with a version (`resource_versions.source_encoding`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Utf8Bom => "utf-8-bom",
            Self::Utf16Le => "utf-16le",
            Self::Utf16Be => "utf-16be",
            Self::Windows1258 => "windows-1258",
        }
    }

    fn decoder(self) -> Option<Decoder> {
        let enc: &'static Encoding = match self {
            Self::Utf8 | Self::Utf8Bom => return None,
            Self::Utf16Le => UTF_16LE,
            Self::Utf16Be => UTF_16BE,
            Self::Windows1258 => WINDOWS_1258,
        };
        // Removes a leading BOM of this encoding, if there is one.
        Some(enc.new_decoder_with_bom_removal())
    }
}

/// How many leading bytes the UTF-16 heuristic looks at.
const SAMPLE: usize = 4096;

/// Watches a file's bytes go by, chunk after chunk, and names its encoding.
#[derive(Debug, Default)]
pub struct Detector {
    head: Vec<u8>,
    /// Bytes of a UTF-8 sequence cut by the chunk boundary.
    carry: Vec<u8>,
    valid_utf8: bool,
    started: bool,
}

impl Detector {
    /// A detector that has seen nothing.
    #[must_use]
    pub fn new() -> Self {
        Self { head: Vec::new(), carry: Vec::new(), valid_utf8: true, started: false }
    }

    /// Looks at the next chunk of the file.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.started = true;
        if self.head.len() < SAMPLE {
            let take = (SAMPLE - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if !self.valid_utf8 {
            return;
        }
        let mut buf;
        let bytes = if self.carry.is_empty() {
            chunk
        } else {
            buf = std::mem::take(&mut self.carry);
            buf.extend_from_slice(chunk);
            &buf[..]
        };
        match std::str::from_utf8(bytes) {
            Ok(_) => {}
            // A sequence cut at the end of the chunk: keep it for the next one.
            Err(e) if e.error_len().is_none() => self.carry = bytes[e.valid_up_to()..].to_vec(),
            Err(_) => self.valid_utf8 = false,
        }
    }

    /// The encoding of everything fed so far (the whole file once it is stored).
    #[must_use]
    pub fn finish(&self) -> SourceEncoding {
        let h = &self.head;
        if h.starts_with(&[0xEF, 0xBB, 0xBF]) {
            return SourceEncoding::Utf8Bom;
        }
        if h.starts_with(&[0xFF, 0xFE]) {
            return SourceEncoding::Utf16Le;
        }
        if h.starts_with(&[0xFE, 0xFF]) {
            return SourceEncoding::Utf16Be;
        }
        if let Some(e) = utf16_without_bom(h) {
            return e;
        }
        if self.valid_utf8 && self.carry.is_empty() {
            SourceEncoding::Utf8
        } else {
            SourceEncoding::Windows1258
        }
    }
}

/// UTF-16 text without a byte-order mark has NULs in the high byte of every
/// ASCII character (digits, separators, spaces): on odd positions for
/// little-endian, even for big-endian. Text in any 8-bit encoding has none.
fn utf16_without_bom(h: &[u8]) -> Option<SourceEncoding> {
    let pairs = h.len() / 2;
    if pairs < 2 || !h.contains(&0) {
        return None;
    }
    let zero_even = h.iter().step_by(2).filter(|b| **b == 0).count();
    let zero_odd = h.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
    if zero_odd * 5 >= pairs && zero_even * 20 < pairs {
        Some(SourceEncoding::Utf16Le)
    } else if zero_even * 5 >= pairs && zero_odd * 20 < pairs {
        Some(SourceEncoding::Utf16Be)
    } else {
        None
    }
}

/// Reads a file in `encoding` as UTF-8 bytes, without its byte-order mark
/// (not yet NFC: the readers normalise each cell).
#[derive(Debug)]
pub struct DecodingReader<R> {
    inner: R,
    decoder: Option<Decoder>,
    /// UTF-8 BOM bytes still to drop (pass-through mode).
    skip: usize,
    input: Vec<u8>,
    in_start: usize,
    in_end: usize,
    output: Vec<u8>,
    out_start: usize,
    out_end: usize,
    eof: bool,
    done: bool,
}

impl<R: Read> DecodingReader<R> {
    /// Wraps `inner`, whose bytes are in `encoding`.
    pub fn new(inner: R, encoding: SourceEncoding) -> Self {
        Self {
            inner,
            decoder: encoding.decoder(),
            skip: if encoding == SourceEncoding::Utf8Bom { 3 } else { 0 },
            input: vec![0; 64 * 1024],
            in_start: 0,
            in_end: 0,
            output: vec![0; 3 * 64 * 1024 + 16],
            out_start: 0,
            out_end: 0,
            eof: false,
            done: false,
        }
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.skip > 0 {
            let mut bom = [0u8; 3];
            let n = self.inner.read(&mut bom[..self.skip])?;
            if n == 0 {
                self.skip = 0;
                break;
            }
            self.skip -= n;
        }
        let Some(decoder) = self.decoder.as_mut() else {
            return self.inner.read(buf);
        };
        loop {
            if self.out_start < self.out_end {
                let n = buf.len().min(self.out_end - self.out_start);
                buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
                self.out_start += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            if self.in_start == self.in_end && !self.eof {
                let n = self.inner.read(&mut self.input)?;
                self.in_start = 0;
                self.in_end = n;
                self.eof = n == 0;
            }
            let (result, read, written, _) = decoder.decode_to_utf8(&self.input[self.in_start..self.in_end], &mut self.output, self.eof);
            self.in_start += read;
            self.out_start = 0;
            self.out_end = written;
            // With `last` set and the input used up, decoding is complete (the
            // decoder must not be called again).
            if self.eof && result == encoding_rs::CoderResult::InputEmpty {
                self.done = true;
            }
        }
    }
}

/// Decodes a whole small input (tests, samples): its encoding and its text in NFC.
#[must_use]
pub fn decode_all(bytes: &[u8]) -> (SourceEncoding, String) {
    let mut d = Detector::new();
    d.feed(bytes);
    let enc = d.finish();
    let mut out = String::new();
    // Reading from a slice cannot fail, and the decoder always yields UTF-8.
    let _ = DecodingReader::new(bytes, enc).read_to_string(&mut out);
    (enc, cityos_text::nfc(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "Bệnh viện Chợ Rẫy";

    /// "Bệnh viện Chợ Rẫy" as Windows-1258 writes it: ê (EA) + combining dot
    /// below (F2), ơ (F5) + dot below, â (E2) + combining tilde (DE).
    const CP1258: &[u8] = b"B\xEA\xF2nh vi\xEA\xF2n Ch\xF5\xF2 R\xE2\xDEy";

    fn utf16(text: &str, le: bool) -> Vec<u8> {
        text.encode_utf16().flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() }).collect()
    }

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode_all(TEXT.as_bytes()), (SourceEncoding::Utf8, TEXT.to_string()));
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(TEXT.as_bytes());
        assert_eq!(decode_all(&bom), (SourceEncoding::Utf8Bom, TEXT.to_string()));
    }

    #[test]
    fn utf16_both_byte_orders_with_and_without_bom() {
        for le in [true, false] {
            let plain = utf16(&format!("Tên,Địa chỉ\n{TEXT},Quận 5\n"), le);
            let expect = if le { SourceEncoding::Utf16Le } else { SourceEncoding::Utf16Be };
            let (enc, text) = decode_all(&plain);
            assert_eq!(enc, expect);
            assert_eq!(text, format!("Tên,Địa chỉ\n{TEXT},Quận 5\n"));
            let mut with_bom = utf16("\u{feff}", le);
            with_bom.extend_from_slice(&plain);
            assert_eq!(decode_all(&with_bom), (expect, format!("Tên,Địa chỉ\n{TEXT},Quận 5\n")));
        }
    }

    #[test]
    fn windows_1258_is_decoded_and_composed_to_nfc() {
        let (enc, text) = decode_all(CP1258);
        assert_eq!(enc, SourceEncoding::Windows1258);
        assert_eq!(text, TEXT);
        // Precomposed, as typed on a modern keyboard, not e + U+0323.
        assert!(text.contains('\u{1EC7}'));
    }

    #[test]
    fn decomposed_utf8_is_composed() {
        let nfd = "Bê\u{323}nh viê\u{323}n Chơ\u{323} Râ\u{303}y";
        assert_eq!(decode_all(nfd.as_bytes()), (SourceEncoding::Utf8, TEXT.to_string()));
    }

    #[test]
    fn detection_survives_sequences_split_between_chunks() {
        let bytes = TEXT.as_bytes();
        for cut in 1..bytes.len() {
            let mut d = Detector::new();
            d.feed(&bytes[..cut]);
            d.feed(&bytes[cut..]);
            assert_eq!(d.finish(), SourceEncoding::Utf8, "cut at {cut}");
        }
        // A file that ends in the middle of a sequence is not UTF-8.
        let mut d = Detector::new();
        d.feed(&bytes[..2]);
        assert_eq!(d.finish(), SourceEncoding::Windows1258);
        // Invalid UTF-8 late in a long file still decides.
        let mut d = Detector::new();
        d.feed("Tên,Số\n".repeat(10_000).as_bytes());
        d.feed(CP1258);
        assert_eq!(d.finish(), SourceEncoding::Windows1258);
    }

    #[test]
    fn the_reader_decodes_across_its_buffer_boundaries() {
        let line = format!("{TEXT};Quận 5;0901234567\n");
        let big = line.repeat(20_000);
        for le in [true, false] {
            let bytes = utf16(&big, le);
            let enc = if le { SourceEncoding::Utf16Le } else { SourceEncoding::Utf16Be };
            let mut out = String::new();
            DecodingReader::new(&bytes[..], enc).read_to_string(&mut out).unwrap();
            assert_eq!(out, big);
        }
        let mut cp = Vec::new();
        for _ in 0..30_000 {
            cp.extend_from_slice(CP1258);
            cp.push(b'\n');
        }
        let mut out = String::new();
        DecodingReader::new(&cp[..], SourceEncoding::Windows1258).read_to_string(&mut out).unwrap();
        assert_eq!(out.lines().count(), 30_000);
        assert_eq!(cityos_text::nfc(out.lines().next().unwrap()), TEXT);
    }
}
