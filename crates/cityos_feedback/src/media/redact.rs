//! The public copy of a photo with regions (faces, number plates, house
//! numbers) blacked out: decoded, turned upright, painted, re-encoded. The
//! result carries no metadata at all.

use super::strip::{exif_orientation, Format};
use image::{DynamicImage, ImageFormat, ImageReader, Limits, Rgba};
use serde::{Deserialize, Serialize};
use std::io::Cursor;
use utoipa::ToSchema;

/// A rectangle on the photo as shown (upright), in fractions of its width and
/// height from the top-left corner: `{x: 0.5, y: 0, width: 0.5, height: 0.25}`
/// is the top quarter of the right half.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Region {
    /// Left edge, 0–1.
    pub x: f64,
    /// Top edge, 0–1.
    pub y: f64,
    /// Width, more than 0, at most 1 − x.
    pub width: f64,
    /// Height, more than 0, at most 1 − y.
    pub height: f64,
}

/// Most regions on one photo.
pub const MAX_REGIONS: usize = 50;

impl Region {
    /// Whether the rectangle lies on the photo and has an area.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        const SLACK: f64 = 1e-6;
        [self.x, self.y, self.width, self.height].iter().all(|v| v.is_finite())
            && self.x >= 0.0
            && self.y >= 0.0
            && self.width > 0.0
            && self.height > 0.0
            && self.x + self.width <= 1.0 + SLACK
            && self.y + self.height <= 1.0 + SLACK
    }

    /// The pixel rectangle `(x0, y0, x1, y1)` it covers on a `w`×`h` image,
    /// rounded outwards so that nothing it touches is left visible.
    #[must_use]
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "clamped to the image before casting")]
    pub fn pixels(&self, w: u32, h: u32) -> (u32, u32, u32, u32) {
        let (fw, fh) = (f64::from(w), f64::from(h));
        let x0 = (self.x * fw).floor().clamp(0.0, fw) as u32;
        let y0 = (self.y * fh).floor().clamp(0.0, fh) as u32;
        let x1 = ((self.x + self.width) * fw).ceil().clamp(0.0, fw) as u32;
        let y1 = ((self.y + self.height) * fh).ceil().clamp(0.0, fh) as u32;
        (x0, y0, x1, y1)
    }
}

/// Why a photo could not be redacted.
#[derive(Debug, thiserror::Error)]
pub enum RedactError {
    /// Not a photo format that can be painted.
    #[error("only JPEG and PNG photos can be redacted")]
    NotAPhoto,
    /// The stored photo does not decode (or is too large to).
    #[error("the photo cannot be decoded: {0}")]
    Decode(String),
    /// Encoding failed.
    #[error("the redacted photo cannot be encoded: {0}")]
    Encode(String),
}

/// Largest photo side decoded (pixels), and memory a decode may take.
const MAX_SIDE: u32 = 16_384;
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

fn reader(data: &[u8], format: ImageFormat) -> ImageReader<Cursor<&[u8]>> {
    let mut r = ImageReader::with_format(Cursor::new(data), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    r.limits(limits);
    r
}

fn image_format(format: Format) -> Result<ImageFormat, RedactError> {
    match format {
        Format::Jpeg => Ok(ImageFormat::Jpeg),
        Format::Png => Ok(ImageFormat::Png),
        Format::Mp4 | Format::QuickTime => Err(RedactError::NotAPhoto),
    }
}

/// The photo's size as shown (after its EXIF orientation), without decoding pixels.
///
/// # Errors
/// Not a readable photo.
pub fn dimensions(data: &[u8], format: Format) -> Result<(u32, u32), RedactError> {
    let (w, h) = reader(data, image_format(format)?).into_dimensions().map_err(|e| RedactError::Decode(e.to_string()))?;
    Ok(if orientation(data, format).is_some_and(|o| o >= 5) { (h, w) } else { (w, h) })
}

/// The EXIF orientation a stripped JPEG kept.
fn orientation(data: &[u8], format: Format) -> Option<u16> {
    if format != Format::Jpeg {
        return None;
    }
    let at = data.windows(6).take(64 * 1024).position(|w| w == b"Exif\0\0")?;
    exif_orientation(&data[at + 6..])
}

/// Paints `regions` black on the upright photo and encodes it again in its
/// own format (JPEG at quality 85). Returns the bytes and the size.
///
/// # Errors
/// Not a photo, or it does not decode.
pub fn redact(data: &[u8], format: Format, regions: &[Region]) -> Result<(Vec<u8>, u32, u32), RedactError> {
    let fmt = image_format(format)?;
    let mut img = reader(data, fmt).decode().map_err(|e| RedactError::Decode(e.to_string()))?;
    if let Some(o) = orientation(data, format).and_then(|o| u8::try_from(o).ok()).and_then(image::metadata::Orientation::from_exif) {
        img.apply_orientation(o);
    }
    let (w, h) = (img.width(), img.height());
    let mut out = Vec::new();
    match format {
        Format::Png => {
            let mut rgba = img.to_rgba8();
            for r in regions {
                let (x0, y0, x1, y1) = r.pixels(w, h);
                for y in y0..y1 {
                    for x in x0..x1 {
                        rgba.put_pixel(x, y, Rgba([0, 0, 0, 255]));
                    }
                }
            }
            DynamicImage::ImageRgba8(rgba)
                .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
                .map_err(|e| RedactError::Encode(e.to_string()))?;
        }
        _ => {
            let mut rgb = img.to_rgb8();
            for r in regions {
                let (x0, y0, x1, y1) = r.pixels(w, h);
                for y in y0..y1 {
                    for x in x0..x1 {
                        rgb.put_pixel(x, y, image::Rgb([0, 0, 0]));
                    }
                }
            }
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
            rgb.write_with_encoder(encoder).map_err(|e| RedactError::Encode(e.to_string()))?;
        }
    }
    Ok((out, w, h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::strip::strip_jpeg;

    #[test]
    fn regions_cover_every_pixel_they_touch() {
        let r = Region { x: 0.1, y: 0.0, width: 0.25, height: 1.0 };
        assert!(r.is_valid());
        assert_eq!(r.pixels(10, 4), (1, 0, 4, 4));
        assert!(!Region { x: 0.9, y: 0.0, width: 0.2, height: 0.1 }.is_valid());
        assert!(!Region { x: 0.0, y: 0.0, width: 0.0, height: 0.1 }.is_valid());
        assert!(!Region { x: f64::NAN, y: 0.0, width: 0.1, height: 0.1 }.is_valid());
    }

    #[test]
    fn a_redacted_jpeg_is_black_where_asked_and_upright() {
        let photo = strip_jpeg(include_bytes!("../../tests/fixtures/gps-rotated.jpg")).unwrap();
        // Stored 96×64 with orientation 6 (rotate 90° clockwise): shown 64×96.
        assert_eq!(dimensions(&photo, Format::Jpeg).unwrap(), (64, 96));
        let (out, w, h) = redact(&photo, Format::Jpeg, &[Region { x: 0.0, y: 0.0, width: 0.5, height: 0.5 }]).unwrap();
        assert_eq!((w, h), (64, 96));
        let img = image::load_from_memory_with_format(&out, ImageFormat::Jpeg).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (64, 96));
        let p = img.get_pixel(10, 10);
        assert!(p.0.iter().all(|c| *c < 16), "blacked out: {p:?}");
        let q = img.get_pixel(50, 80);
        assert!(q.0.iter().any(|c| *c > 100), "left alone: {q:?}");
        assert!(!out.windows(4).any(|w| w == b"Exif"), "no metadata in the public copy");
    }
}
