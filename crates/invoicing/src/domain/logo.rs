//! The business logo: a PNG or JPEG up to [`MAX_LOGO_BYTES`], recognised by its content
//! (signature, then a decode of the header and its dimensions), never by what the client
//! says it is. It is served back with the type found here.

/// Largest logo accepted: 1 MiB.
pub const MAX_LOGO_BYTES: usize = 1024 * 1024;
/// Largest width or height in pixels.
pub const MAX_LOGO_SIDE: u32 = 8192;

/// A checked logo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    /// `image/png` or `image/jpeg`.
    pub content_type: &'static str,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
}

/// Why an upload is not a logo.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    /// Over [`MAX_LOGO_BYTES`] (413).
    #[error("the logo is over 1 MiB")]
    TooLarge,
    /// Neither a PNG nor a JPEG signature (415).
    #[error("the logo must be a PNG or JPEG image")]
    UnsupportedType,
    /// The signature says PNG or JPEG but the header does not decode (422).
    #[error("the image is damaged: {0}")]
    Damaged(&'static str),
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const PNG_END: &[u8] = b"\0\0\0\0IEND\xaeB`\x82";

/// Recognises `bytes` as a PNG or JPEG and reads its dimensions.
///
/// # Errors
/// [`LogoError`] for anything else, a damaged header or dimensions out of range.
pub fn check(bytes: &[u8]) -> Result<Logo, LogoError> {
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(LogoError::TooLarge);
    }
    let (content_type, (width, height)) = if bytes.starts_with(PNG_SIGNATURE) {
        ("image/png", png(bytes)?)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        ("image/jpeg", jpeg(bytes)?)
    } else {
        return Err(LogoError::UnsupportedType);
    };
    let side = 1..=MAX_LOGO_SIDE;
    if !side.contains(&width) || !side.contains(&height) {
        return Err(LogoError::Damaged("width and height must be between 1 and 8192 pixels"));
    }
    Ok(Logo { content_type, width, height })
}

fn be32(bytes: &[u8]) -> u32 {
    bytes.iter().take(4).fold(0, |acc, &b| (acc << 8) | u32::from(b))
}

fn be16(bytes: &[u8]) -> u32 {
    bytes.iter().take(2).fold(0, |acc, &b| (acc << 8) | u32::from(b))
}

/// The IHDR chunk right after the signature, its CRC, and the IEND chunk at the end.
fn png(bytes: &[u8]) -> Result<(u32, u32), LogoError> {
    let ihdr = bytes.get(8..33).ok_or(LogoError::Damaged("no PNG header"))?;
    if be32(&ihdr[0..4]) != 13 || &ihdr[4..8] != b"IHDR" {
        return Err(LogoError::Damaged("the PNG does not start with its header"));
    }
    if crc32(&ihdr[4..21]) != be32(&ihdr[21..25]) {
        return Err(LogoError::Damaged("the PNG header's checksum is wrong"));
    }
    let (depth, colour) = (ihdr[16], ihdr[17]);
    let valid_depth = match colour {
        0 => [1, 2, 4, 8, 16].contains(&depth),
        3 => [1, 2, 4, 8].contains(&depth),
        2 | 4 | 6 => [8, 16].contains(&depth),
        _ => false,
    };
    if !valid_depth || ihdr[18] != 0 || ihdr[19] != 0 || ihdr[20] > 1 {
        return Err(LogoError::Damaged("the PNG header's format fields are invalid"));
    }
    if !bytes.ends_with(PNG_END) {
        return Err(LogoError::Damaged("the PNG is truncated"));
    }
    Ok((be32(&ihdr[8..12]), be32(&ihdr[12..16])))
}

/// Walks the segments to the first start-of-frame, whose header holds the dimensions.
fn jpeg(bytes: &[u8]) -> Result<(u32, u32), LogoError> {
    if !bytes.ends_with(&[0xFF, 0xD9]) {
        return Err(LogoError::Damaged("the JPEG is truncated"));
    }
    let mut at = 2;
    loop {
        let marker = bytes.get(at..at + 2).ok_or(LogoError::Damaged("no JPEG frame header"))?;
        if marker[0] != 0xFF {
            return Err(LogoError::Damaged("the JPEG's segments are damaged"));
        }
        let kind = marker[1];
        if kind == 0xFF {
            at += 1; // fill byte
            continue;
        }
        if (0xD0..=0xD9).contains(&kind) || kind == 0x01 {
            at += 2;
            continue;
        }
        let length = bytes.get(at + 2..at + 4).map(be16).ok_or(LogoError::Damaged("short"))?;
        let length = usize::try_from(length).unwrap_or(0);
        if length < 2 {
            return Err(LogoError::Damaged("the JPEG's segments are damaged"));
        }
        let is_frame = (0xC0..=0xCF).contains(&kind) && ![0xC4, 0xC8, 0xCC].contains(&kind);
        if is_frame {
            let frame = bytes.get(at + 4..at + 10).ok_or(LogoError::Damaged("short frame"))?;
            if ![8, 12, 16].contains(&frame[0]) || ![1, 3, 4].contains(&frame[5]) {
                return Err(LogoError::Damaged("the JPEG frame header is invalid"));
            }
            return Ok((be16(&frame[3..5]), be16(&frame[1..3])));
        }
        if kind == 0xDA {
            return Err(LogoError::Damaged("the JPEG has no frame header before its data"));
        }
        at += 2 + length;
    }
}

/// CRC-32 (ISO 3309, as PNG uses), bit by bit: a logo header is 17 bytes.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// A valid PNG of `width` × `height` (one IHDR, an empty IDAT, IEND): for tests.
#[doc(hidden)]
pub fn tiny_png(width: u32, height: u32) -> Vec<u8> {
    let mut out = PNG_SIGNATURE.to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        let len = u32::try_from(data.len()).unwrap_or(0);
        out.extend_from_slice(&len.to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    // zlib stream of one stored empty block per row would be a real image; a header check
    // does not read IDAT, so an empty one is enough here.
    chunk(b"IDAT", &[]);
    chunk(b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_is_read_by_its_header() {
        let png = tiny_png(120, 40);
        assert!(png.ends_with(PNG_END), "the IEND CRC is the well-known one");
        let logo = check(&png).unwrap();
        assert_eq!((logo.content_type, logo.width, logo.height), ("image/png", 120, 40));
    }

    #[test]
    fn lying_and_damaged_pngs_are_refused() {
        let mut wrong_crc = tiny_png(10, 10);
        wrong_crc[20] ^= 1; // the height, under the header's CRC
        assert!(matches!(check(&wrong_crc), Err(LogoError::Damaged(_))));
        let truncated = &tiny_png(10, 10)[..40];
        assert!(matches!(check(truncated), Err(LogoError::Damaged(_))));
        let mut only_signature = PNG_SIGNATURE.to_vec();
        only_signature.extend_from_slice(b"<svg onload=alert(1)>");
        assert!(matches!(check(&only_signature), Err(LogoError::Damaged(_))));
        assert!(matches!(check(&tiny_png(0, 10)), Err(LogoError::Damaged(_))));
        assert!(matches!(check(&tiny_png(10_000, 10)), Err(LogoError::Damaged(_))));
        assert_eq!(check(b"GIF89a...."), Err(LogoError::UnsupportedType));
        assert_eq!(check(b"<svg/>"), Err(LogoError::UnsupportedType));
        assert_eq!(check(&vec![0; MAX_LOGO_BYTES + 1]), Err(LogoError::TooLarge));
    }

    #[test]
    fn a_jpeg_is_read_by_its_frame_header() {
        // SOI, APP0 (length 4), SOF0 (height 30, width 50, 3 components), SOS, EOI.
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 30,
            0x00, 50, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9,
        ];
        let logo = check(&jpeg).unwrap();
        assert_eq!((logo.content_type, logo.width, logo.height), ("image/jpeg", 50, 30));
        let no_frame = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9];
        assert!(matches!(check(&no_frame), Err(LogoError::Damaged(_))));
        let broken = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00, 0xFF, 0xD9];
        assert!(matches!(check(&broken), Err(LogoError::Damaged(_))));
    }
}
