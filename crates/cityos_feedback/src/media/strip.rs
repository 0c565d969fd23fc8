//! What an upload really is, and the same file without what it tells about
//! the person who made it: EXIF (GPS, camera, owner), XMP, IPTC, comments and
//! text chunks, and a video's user data (©xyz location, make, model, title).
//!
//! Nothing is re-encoded: JPEG and PNG are rewritten segment by segment, and
//! MP4/QuickTime metadata boxes are overwritten in place with `free` boxes of
//! the same size (zeroed), so no sample offset (`stco`/`co64`) moves.

use std::fmt;

/// A file format CityOS accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JPEG photo.
    Jpeg,
    /// PNG picture.
    Png,
    /// MP4 video (ISO base media file).
    Mp4,
    /// QuickTime video (`.mov`, what iPhones record).
    QuickTime,
}

impl Format {
    /// The MIME type served.
    #[must_use]
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Mp4 => "video/mp4",
            Self::QuickTime => "video/quicktime",
        }
    }

    /// Parses a stored MIME type.
    #[must_use]
    pub fn from_content_type(s: &str) -> Option<Self> {
        [Self::Jpeg, Self::Png, Self::Mp4, Self::QuickTime].into_iter().find(|f| f.content_type() == s)
    }

    /// File name extension.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Mp4 => "mp4",
            Self::QuickTime => "mov",
        }
    }

    /// Whether it is a photo (else a video).
    #[must_use]
    pub fn is_photo(self) -> bool {
        matches!(self, Self::Jpeg | Self::Png)
    }
}

/// What the first bytes of an upload say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// A format CityOS takes.
    Accepted(Format),
    /// A format recognised but not taken (named for the error message).
    Refused(&'static str),
    /// Not enough bytes yet to tell.
    NeedMore,
    /// Nothing recognised.
    Unknown,
}

/// Bytes needed to tell every format apart.
pub const SNIFF_LEN: usize = 12;

/// Tells the real type from magic bytes (never from the name or the declared type).
#[must_use]
pub fn sniff(head: &[u8]) -> Sniffed {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Accepted(Format::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Accepted(Format::Png);
    }
    if head.len() < SNIFF_LEN {
        return Sniffed::NeedMore;
    }
    if head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        return Sniffed::Refused("WebP");
    }
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Sniffed::Refused("WebM/Matroska");
    }
    if head.starts_with(b"GIF8") {
        return Sniffed::Refused("GIF");
    }
    if &head[4..8] == b"ftyp" {
        return match &head[8..12] {
            b"qt  " => Sniffed::Accepted(Format::QuickTime),
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"mif1" | b"msf1" => Sniffed::Refused("HEIF/HEIC"),
            b"avif" | b"avis" => Sniffed::Refused("AVIF"),
            _ => Sniffed::Accepted(Format::Mp4),
        };
    }
    Sniffed::Unknown
}

/// A file that is not what its magic bytes promise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Malformed {}

/// The file without its metadata.
///
/// # Errors
/// The file's structure is broken.
pub fn strip(format: Format, data: Vec<u8>) -> Result<Vec<u8>, Malformed> {
    match format {
        Format::Jpeg => strip_jpeg(&data),
        Format::Png => strip_png(&data),
        Format::Mp4 | Format::QuickTime => strip_isobmff(data),
    }
}

fn u16_be(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32_be(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

/// JPEG: drops APP1 (Exif, XMP), APP13 (IPTC), COM and every other
/// application segment except APP0 (JFIF), APP2 ICC profiles and APP14
/// (Adobe colour transform, needed to decode CMYK), anywhere in the file, and
/// whatever follows the end-of-image marker (multi-picture thumbnails carry
/// their own EXIF). The EXIF orientation is kept, alone in a minimal EXIF
/// segment, so upright photos stay upright.
///
/// # Errors
/// Not a JPEG, or a segment runs past the end.
pub fn strip_jpeg(data: &[u8]) -> Result<Vec<u8>, Malformed> {
    if !data.starts_with(&[0xFF, 0xD8]) {
        return Err(Malformed("not a JPEG"));
    }
    let mut head: Vec<u8> = vec![0xFF, 0xD8];
    let mut body: Vec<u8> = Vec::with_capacity(data.len());
    let mut orientation: Option<u16> = None;
    let mut leading_app0 = true;
    let mut pos = 2;
    loop {
        // Markers may be preceded by fill bytes (0xFF).
        if data.get(pos) != Some(&0xFF) {
            return Err(Malformed("JPEG marker expected"));
        }
        while data.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = data.get(pos + 1) else { return Err(Malformed("JPEG ends without an end-of-image marker")) };
        match marker {
            0xD9 => {
                body.extend_from_slice(&[0xFF, 0xD9]);
                break;
            }
            0x01 | 0xD0..=0xD7 => {
                body.extend_from_slice(&[0xFF, marker]);
                pos += 2;
                continue;
            }
            _ => {}
        }
        let len = usize::from(u16_be(data, pos + 2).ok_or(Malformed("JPEG segment cut short"))?);
        let end = pos + 2 + len;
        if len < 2 || end > data.len() {
            return Err(Malformed("JPEG segment runs past the end of the file"));
        }
        let segment = &data[pos..end];
        let payload = &segment[4..];
        let keep = match marker {
            0xE0 => true,
            0xE1 => {
                if payload.starts_with(b"Exif\0\0") {
                    orientation = orientation.or_else(|| exif_orientation(&payload[6..]));
                }
                false
            }
            0xE2 => payload.starts_with(b"ICC_PROFILE\0"),
            0xEE => payload.starts_with(b"Adobe"),
            0xE3..=0xEF | 0xFE => false,
            _ => true,
        };
        if keep {
            if marker == 0xE0 && leading_app0 {
                head.extend_from_slice(segment);
            } else {
                body.extend_from_slice(segment);
            }
        }
        leading_app0 = false;
        pos = end;
        if marker == 0xDA {
            // Entropy-coded data up to the next real marker (not stuffing, not a restart marker).
            let start = pos;
            while pos < data.len() {
                if data[pos] == 0xFF {
                    match data.get(pos + 1) {
                        Some(0x00 | 0xD0..=0xD7) => pos += 2,
                        Some(0xFF) => pos += 1,
                        Some(_) => break,
                        None => pos += 1,
                    }
                } else {
                    pos += 1;
                }
            }
            body.extend_from_slice(&data[start..pos]);
            if pos >= data.len() {
                // Cut off after the image data: keep what there is, end it properly.
                body.extend_from_slice(&[0xFF, 0xD9]);
                break;
            }
        }
    }
    if let Some(o) = orientation.filter(|o| (2..=8).contains(o)) {
        head.extend_from_slice(&orientation_segment(o));
    }
    head.extend_from_slice(&body);
    Ok(head)
}

/// The orientation (tag 0x0112) in IFD0 of a TIFF structure (EXIF's payload).
#[must_use]
pub fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let big = match tiff.get(..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let r16 = |at: usize| -> Option<u16> {
        let b = [*tiff.get(at)?, *tiff.get(at + 1)?];
        Some(if big { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })
    };
    let r32 = |at: usize| -> Option<u32> {
        let b = [*tiff.get(at)?, *tiff.get(at + 1)?, *tiff.get(at + 2)?, *tiff.get(at + 3)?];
        Some(if big { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    };
    let ifd = usize::try_from(r32(4)?).ok()?;
    let n = usize::from(r16(ifd)?);
    (0..n.min(512)).find_map(|i| {
        let e = ifd + 2 + 12 * i;
        (r16(e)? == 0x0112 && r16(e + 2)? == 3).then(|| r16(e + 8)).flatten()
    })
}

/// An APP1 segment holding nothing but the orientation.
fn orientation_segment(o: u16) -> Vec<u8> {
    let mut s = vec![0xFF, 0xE1, 0x00, 0x22];
    s.extend_from_slice(b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01");
    s.extend_from_slice(&o.to_be_bytes());
    s.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    s
}

/// PNG chunks that carry text, EXIF or a time stamp.
const PNG_DROPPED: [&[u8; 4]; 5] = [b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"];

/// PNG: drops the `eXIf`, `tEXt`, `zTXt`, `iTXt` and `tIME` chunks, and
/// anything after `IEND`.
///
/// # Errors
/// Not a PNG, a chunk runs past the end, or no `IEND`.
pub fn strip_png(data: &[u8]) -> Result<Vec<u8>, Malformed> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !data.starts_with(SIGNATURE) {
        return Err(Malformed("not a PNG"));
    }
    let mut out = SIGNATURE.to_vec();
    let mut pos = SIGNATURE.len();
    loop {
        let len =
            usize::try_from(u32_be(data, pos).ok_or(Malformed("PNG ends without IEND"))?).map_err(|_| Malformed("PNG chunk too long"))?;
        let end = pos.checked_add(12).and_then(|x| x.checked_add(len)).ok_or(Malformed("PNG chunk too long"))?;
        if end > data.len() {
            return Err(Malformed("PNG chunk runs past the end of the file"));
        }
        let kind = &data[pos + 4..pos + 8];
        if !PNG_DROPPED.iter().any(|d| &d[..] == kind) {
            out.extend_from_slice(&data[pos..end]);
        }
        pos = end;
        if kind == b"IEND" {
            return Ok(out);
        }
    }
}

/// Boxes that hold user data: titles, locations (`©xyz`, `loci`), makes,
/// models, software, Apple's `mdta` keys (location, device).
fn is_metadata_box(kind: &[u8], payload: &[u8]) -> bool {
    const XMP_UUID: [u8; 16] = [0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC];
    matches!(kind, b"udta" | b"meta" | b"XMP_") || (kind == b"uuid" && payload.starts_with(&XMP_UUID))
}

/// MP4/QuickTime: every `udta`, `meta` and XMP box at the top level, in
/// `moov` and in each `trak` becomes a zeroed `free` box of the same size.
///
/// # Errors
/// Not an ISO base media file, or a box runs past its parent.
pub fn strip_isobmff(mut data: Vec<u8>) -> Result<Vec<u8>, Malformed> {
    if data.get(4..8) != Some(b"ftyp") {
        return Err(Malformed("not an MP4/QuickTime file"));
    }
    let len = data.len();
    blank_metadata(&mut data, 0, len, 0)?;
    Ok(data)
}

fn blank_metadata(data: &mut [u8], start: usize, end: usize, depth: u8) -> Result<(), Malformed> {
    let mut pos = start;
    while pos + 8 <= end {
        let size32 = u32_be(data, pos).ok_or(Malformed("box header cut short"))?;
        let (header, size) = match size32 {
            0 => (8, end - pos),
            1 => {
                let hi = u32_be(data, pos + 8).ok_or(Malformed("box header cut short"))?;
                let lo = u32_be(data, pos + 12).ok_or(Malformed("box header cut short"))?;
                let big = (u64::from(hi) << 32) | u64::from(lo);
                (16, usize::try_from(big).map_err(|_| Malformed("box too large"))?)
            }
            n => (8, usize::try_from(n).map_err(|_| Malformed("box too large"))?),
        };
        let box_end = pos.checked_add(size).ok_or(Malformed("box too large"))?;
        if size < header || box_end > end {
            return Err(Malformed("a box runs past the end of its parent"));
        }
        let kind: [u8; 4] = [data[pos + 4], data[pos + 5], data[pos + 6], data[pos + 7]];
        if is_metadata_box(&kind, &data[pos + header..box_end]) {
            data[pos + 4..pos + 8].copy_from_slice(b"free");
            data[pos + header..box_end].fill(0);
        } else if depth < 2 && matches!(&kind, b"moov" | b"trak") {
            blank_metadata(data, pos + header, box_end, depth + 1)?;
        }
        pos = box_end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GPS_JPG: &[u8] = include_bytes!("../../tests/fixtures/gps.jpg");
    const GPS_ROTATED_JPG: &[u8] = include_bytes!("../../tests/fixtures/gps-rotated.jpg");
    const TEXT_PNG: &[u8] = include_bytes!("../../tests/fixtures/text.png");
    const GPS_MP4: &[u8] = include_bytes!("../../tests/fixtures/gps.mp4");
    const GPS_MOV: &[u8] = include_bytes!("../../tests/fixtures/gps.mov");

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    fn decode(data: &[u8], format: image::ImageFormat) -> image::DynamicImage {
        image::load_from_memory_with_format(data, format).expect("still decodes")
    }

    #[test]
    fn sniffs_by_content_not_by_name() {
        assert_eq!(sniff(GPS_JPG), Sniffed::Accepted(Format::Jpeg));
        assert_eq!(sniff(TEXT_PNG), Sniffed::Accepted(Format::Png));
        assert_eq!(sniff(GPS_MP4), Sniffed::Accepted(Format::Mp4));
        assert_eq!(sniff(GPS_MOV), Sniffed::Accepted(Format::QuickTime));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Sniffed::Refused("WebP"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Sniffed::Refused("HEIF/HEIC"));
        assert_eq!(sniff(&[0x1A, 0x45, 0xDF, 0xA3, 0, 0, 0, 0, 0, 0, 0, 0]), Sniffed::Refused("WebM/Matroska"));
        assert_eq!(sniff(b"%PDF-1.7\n%abc"), Sniffed::Unknown);
        assert_eq!(sniff(b"<svg"), Sniffed::NeedMore);
    }

    #[test]
    fn jpeg_loses_exif_gps_xmp_and_comments_but_still_decodes() {
        assert!(contains(GPS_JPG, b"PhoneModel X") && contains(GPS_JPG, b"0901234567") && contains(GPS_JPG, b"GPSLatitude"));
        let before = decode(GPS_JPG, image::ImageFormat::Jpeg);
        let out = strip_jpeg(GPS_JPG).unwrap();
        for needle in [&b"Exif"[..], b"PhoneMaker", b"PhoneModel X", b"Nguyen Van A", b"0901234567", b"GPSLatitude", b"xmpmeta"] {
            assert!(!contains(&out, needle), "{} left in the file", String::from_utf8_lossy(needle));
        }
        assert!(contains(&out, b"JFIF"), "APP0 stays");
        let after = decode(&out, image::ImageFormat::Jpeg);
        assert_eq!((after.width(), after.height()), (96, 64));
        assert_eq!(before.to_rgb8(), after.to_rgb8(), "pixels are untouched: nothing re-encoded");
        assert_eq!(strip_jpeg(&out).unwrap(), out, "stripping is idempotent");
    }

    #[test]
    fn jpeg_keeps_only_the_orientation() {
        let out = strip_jpeg(GPS_ROTATED_JPG).unwrap();
        assert!(!contains(&out, b"PhoneMaker") && !contains(&out, b"Nguyen Van A"));
        let pos = out.windows(6).position(|w| w == b"Exif\0\0").expect("a minimal EXIF segment");
        assert_eq!(exif_orientation(&out[pos + 6..]), Some(6), "rotated photos stay upright");
        assert_eq!(out[pos - 4..pos - 2], [0xFF, 0xE1]);
        assert!(out.len() < GPS_ROTATED_JPG.len());
        decode(&out, image::ImageFormat::Jpeg);
    }

    #[test]
    fn jpeg_drops_what_follows_the_image_and_refuses_broken_segments() {
        let mut with_trailer = GPS_JPG.to_vec();
        with_trailer.extend_from_slice(b"\xFF\xD8\xFF\xE1\x00\x10Exif\0\0trailer!");
        let out = strip_jpeg(&with_trailer).unwrap();
        assert!(out.ends_with(&[0xFF, 0xD9]) && !contains(&out, b"trailer!"));
        assert!(strip_jpeg(&GPS_JPG[..40]).is_err(), "a segment cut short");
        assert!(strip_jpeg(b"\xFF\xD8garbage").is_err());
    }

    #[test]
    fn png_loses_text_exif_and_time_chunks_but_still_decodes() {
        assert!(contains(TEXT_PNG, b"tEXt") && contains(TEXT_PNG, b"zTXt") && contains(TEXT_PNG, b"iTXt") && contains(TEXT_PNG, b"eXIf"));
        let out = strip_png(TEXT_PNG).unwrap();
        for needle in [&b"tEXt"[..], b"zTXt", b"iTXt", b"eXIf", b"Nguyen Van A", b"GPS 10.7805"] {
            assert!(!contains(&out, needle), "{} left in the file", String::from_utf8_lossy(needle));
        }
        assert_eq!(decode(TEXT_PNG, image::ImageFormat::Png).to_rgba8(), decode(&out, image::ImageFormat::Png).to_rgba8());
        assert!(strip_png(&TEXT_PNG[..TEXT_PNG.len() - 12]).is_err(), "no IEND");
    }

    #[test]
    fn mp4_and_mov_lose_location_and_device_without_moving_samples() {
        for (name, file) in [("mp4", GPS_MP4), ("mov", GPS_MOV)] {
            assert!(contains(file, b"+10.7805+106.7040/") && contains(file, b"Nguyen Van A"), "{name} fixture");
            let out = strip_isobmff(file.to_vec()).unwrap();
            assert_eq!(out.len(), file.len(), "{name}: same size, so chunk offsets stay valid");
            for needle in [&b"+10.7805"[..], b"Nguyen Van A", b"PhoneMaker", b"PhoneModel X", b"\xa9xyz", b"udta"] {
                assert!(!contains(&out, needle), "{name}: {} left in the file", String::from_utf8_lossy(needle));
            }
            let mdat = file.windows(4).position(|w| w == b"mdat").unwrap();
            assert_eq!(out[..mdat + 1000], file[..mdat + 1000], "{name}: media data untouched");
            assert_eq!(strip_isobmff(out.clone()).unwrap(), out);
        }
        assert!(strip_isobmff(b"\0\0\0\x10ftypisom\0\0\0\x01\0\0\x00\x30moov".to_vec()).is_err(), "box past its parent");
    }
}
