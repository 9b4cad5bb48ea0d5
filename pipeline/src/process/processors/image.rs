//! `image`: PNG and JPEG through the `image` crate, with decoding limits
//! (a header that asks for more than [`MAX_ALLOC`] is refused before any
//! pixel buffer is allocated). Settings: `max_size` (the longest side, kept
//! aspect), `format` (`png` or `jpeg`; default: the source's), `quality`
//! (JPEG, 1–100, default 90).

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

use super::{Input, Problem};

/// Largest decoded image: 256 MiB (an 8k×8k RGBA image).
const MAX_ALLOC: u64 = 256 << 20;
const MAX_SIDE: u32 = 16384;

pub(super) fn output_extension(settings: &toml::Table) -> Result<Option<String>, Problem> {
    match settings.get("format") {
        None => Ok(None),
        Some(toml::Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "png" => Ok(Some("png".to_owned())),
            "jpeg" | "jpg" => Ok(Some("jpg".to_owned())),
            other => Err(Problem::new(format!("image setting `format = \"{other}\"`: expected \"png\" or \"jpeg\""))),
        },
        Some(v) => Err(Problem::new(format!("image setting `format = {v}`: expected \"png\" or \"jpeg\""))),
    }
}

fn integer(settings: &toml::Table, key: &str, range: std::ops::RangeInclusive<i64>) -> Result<Option<u32>, Problem> {
    match settings.get(key) {
        None => Ok(None),
        Some(toml::Value::Integer(v)) if range.contains(v) => Ok(Some(*v as u32)),
        Some(v) => Err(Problem::new(format!(
            "image setting `{key} = {v}`: expected an integer from {} to {}",
            range.start(),
            range.end()
        ))),
    }
}

pub(super) fn process(input: &Input<'_>) -> Result<Vec<u8>, Problem> {
    let max_size = integer(input.settings, "max_size", 1..=i64::from(MAX_SIDE))?;
    let quality = integer(input.settings, "quality", 1..=100)?.unwrap_or(90) as u8;
    // The header first: a size too large to decode is named as such.
    let header =
        ImageReader::new(Cursor::new(&input.bytes)).with_guessed_format().ok().and_then(|r| r.into_dimensions().ok());
    if let Some((w, h)) = header {
        let need = u64::from(w) * u64::from(h) * 4;
        if need > MAX_ALLOC || w > MAX_SIDE || h > MAX_SIDE {
            return Err(Problem::new(format!(
                "the image is {w}×{h}: decoding it would take {} MiB, more than the {} MiB allowed",
                need >> 20,
                MAX_ALLOC >> 20
            )));
        }
    }
    let mut reader = ImageReader::new(Cursor::new(&input.bytes))
        .with_guessed_format()
        .map_err(|e| Problem::new(format!("cannot read the image: {e}")))?;
    let source_format = reader.format();
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut img = reader.decode().map_err(|e| Problem::new(format!("cannot decode the image: {e}")))?;
    if let Some(max) = max_size
        && (img.width() > max || img.height() > max)
    {
        img = img.resize(max, max, image::imageops::FilterType::Triangle);
    }
    let jpeg = match output_extension(input.settings)?.as_deref() {
        Some("jpg") => true,
        Some(_) => false,
        None => source_format == Some(ImageFormat::Jpeg),
    };
    let mut out = Vec::new();
    let encoded = if jpeg {
        let rgb = image::DynamicImage::ImageRgb8(img.to_rgb8());
        rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality))
    } else {
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
    };
    encoded.map_err(|e| Problem::new(format!("cannot encode the image: {e}")))?;
    Ok(out)
}
