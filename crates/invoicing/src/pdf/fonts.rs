//! The embedded fonts (licences in `assets/fonts/`): DejaVu Sans regular and bold, and Droid
//! Sans Fallback for what DejaVu lacks (Chinese, Japanese, Korean), loaded once. Text is cut
//! into runs by the font that has each character; one glyph per character, no shaping, which
//! suits Latin, Greek, Cyrillic and CJK. A character no font has is drawn as an empty box.

use std::ops::Range;
use std::sync::LazyLock;

use krilla::Data;
use krilla::text::{Font, GlyphId, KrillaGlyph};

use super::PdfError;

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
static FALLBACK: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallback.ttf");

static FONTS: LazyLock<Option<Fonts>> = LazyLock::new(|| {
    Some(Fonts {
        regular: Face::load(REGULAR)?,
        bold: Face::load(BOLD)?,
        fallback: Face::load(FALLBACK)?,
    })
});

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Weight {
    Regular,
    Bold,
}

/// One font: krilla's handle for drawing and ttf-parser's for measuring.
pub(super) struct Face {
    pub(super) font: Font,
    face: ttf_parser::Face<'static>,
    units_per_em: f32,
}

impl Face {
    fn load(bytes: &'static [u8]) -> Option<Self> {
        let face = ttf_parser::Face::parse(bytes, 0).ok()?;
        let units_per_em = f32::from(face.units_per_em());
        let font = Font::new(Data::from(bytes), 0)?;
        Some(Self { font, face, units_per_em })
    }

    fn has(&self, c: char) -> bool {
        c.is_whitespace() || self.face.glyph_index(c).is_some()
    }

    /// `c`'s glyph and advance in ems.
    fn glyph(&self, c: char) -> (ttf_parser::GlyphId, f32) {
        let id = self.face.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
        let advance = self.face.glyph_hor_advance(id).map_or(0.0, f32::from);
        (id, advance / self.units_per_em)
    }

    /// `text`'s glyphs, advances in ems.
    pub(super) fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(at, c)| {
                let (id, advance) = self.glyph(c);
                let range: Range<usize> = at..at + c.len_utf8();
                KrillaGlyph::new(GlyphId::new(u32::from(id.0)), advance, 0.0, 0.0, 0.0, range, None)
            })
            .collect()
    }

    /// `text`'s width at `size` points.
    pub(super) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }
}

/// The fonts of every weight and the fallback.
pub(super) struct Fonts {
    regular: Face,
    bold: Face,
    fallback: Face,
}

impl Fonts {
    /// The fonts, loaded on first use.
    pub(super) fn get() -> Result<&'static Self, PdfError> {
        FONTS.as_ref().ok_or(PdfError::Font)
    }

    fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    /// `text` cut into runs, each with the face that draws it.
    pub(super) fn runs<'t>(&self, text: &'t str, weight: Weight) -> Vec<(&Face, &'t str)> {
        let primary = self.face(weight);
        let pick = |c: char| {
            if primary.has(c) || !self.fallback.has(c) { primary } else { &self.fallback }
        };
        let mut runs: Vec<(&Face, &str)> = Vec::new();
        let mut start = 0;
        let mut current: Option<&Face> = None;
        for (at, c) in text.char_indices() {
            let face = pick(c);
            match current {
                Some(open) if std::ptr::eq(open, face) => {}
                Some(open) => {
                    runs.push((open, &text[start..at]));
                    start = at;
                    current = Some(face);
                }
                None => current = Some(face),
            }
        }
        if let Some(open) = current {
            runs.push((open, &text[start..]));
        }
        runs
    }

    /// `text`'s width at `size` points.
    pub(super) fn width(&self, text: &str, weight: Weight, size: f32) -> f32 {
        self.runs(text, weight).into_iter().map(|(face, run)| face.width(run, size)).sum()
    }

    /// `text` cut into lines no wider than `width` points, at spaces where it can, inside
    /// words where one word is too long; explicit newlines kept.
    pub(super) fn wrap(&self, text: &str, weight: Weight, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.lines() {
            let mut line = String::new();
            for word in paragraph.split(' ') {
                let candidate =
                    if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
                if self.width(&candidate, weight, size) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // The word alone: cut it by characters where it is still too wide.
                let mut used = 0.0;
                for c in word.chars() {
                    let advance = self.width(c.encode_utf8(&mut [0; 4]), weight, size);
                    if used + advance > width && !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        used = 0.0;
                    }
                    line.push(c);
                    used += advance;
                }
            }
            lines.push(line);
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        lines
    }

    /// `text` cut short with `…` to fit `width` points.
    pub(super) fn truncate(&self, text: &str, weight: Weight, size: f32, width: f32) -> String {
        if self.width(text, weight, size) <= width {
            return text.to_owned();
        }
        let room = width - self.width("…", weight, size);
        let mut out = String::new();
        let mut used = 0.0;
        for c in text.chars() {
            used += self.width(c.encode_utf8(&mut [0; 4]), weight, size);
            if used > room {
                break;
            }
            out.push(c);
        }
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_character_and_the_width() {
        let fonts = Fonts::get().unwrap();
        let text = "Consulting for the quarter ending in March, including travel and a \
                    verylongwordwithoutanyspacesthatmustbecutsomewherealongtheway 山田太郎";
        let lines = fonts.wrap(text, Weight::Regular, 10.0, 120.0);
        assert!(lines.len() > 2);
        for line in &lines {
            assert!(fonts.width(line, Weight::Regular, 10.0) <= 120.0, "{line}");
        }
        let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
        let original: String = text.chars().filter(|c| *c != ' ').collect();
        assert_eq!(joined, original);
    }

    #[test]
    fn widths_grow_with_text_and_size() {
        let fonts = Fonts::get().unwrap();
        let width = |text: &str, size| fonts.width(text, Weight::Regular, size);
        assert!(width("MMMM", 10.0) > width("iiii", 10.0));
        let (small, large) = (width("€", 10.0), width("€", 20.0));
        assert!((large / small - 2.0).abs() < 0.01);
        assert!(width("山田", 10.0) > 15.0, "CJK from the fallback, not empty boxes");
    }

    #[test]
    fn runs_switch_to_the_fallback_for_cjk_only() {
        let fonts = Fonts::get().unwrap();
        let runs = fonts.runs("Zoë 山田 Ł", Weight::Bold);
        let texts: Vec<&str> = runs.iter().map(|(_, text)| *text).collect();
        assert_eq!(texts, ["Zoë ", "山田", " Ł"]);
        assert!(std::ptr::eq(runs[1].0, &fonts.fallback));
        assert!(std::ptr::eq(runs[0].0, &fonts.bold));
    }

    #[test]
    fn truncation_fits() {
        let fonts = Fonts::get().unwrap();
        let cut = fonts.truncate(&"W".repeat(200), Weight::Bold, 9.5, 100.0);
        assert!(cut.ends_with('…'));
        assert!(fonts.width(&cut, Weight::Bold, 9.5) <= 100.0);
    }
}
