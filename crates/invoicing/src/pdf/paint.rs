//! A [`Flow`] onto krilla's pages: fonts subset and embedded, images placed.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};

use super::fonts::Fonts;
use super::layout::{Flow, Op, Rgb};
use super::{Paper, PdfError};

fn fill(color: Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(color.0, color.1, color.2).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

/// The flow as PDF bytes titled `title`.
pub(super) fn paint(
    flow: &Flow,
    fonts: &Fonts,
    paper: Paper,
    title: &str,
) -> Result<Vec<u8>, PdfError> {
    let (width, height) = paper.size();
    let settings =
        || PageSettings::from_wh(width, height).ok_or(PdfError::Write("page size".into()));
    let mut document = krilla::Document::new();
    document.set_metadata(Metadata::new().title(title.to_owned()).creator("Paybell".to_owned()));
    for ops in &flow.pages {
        let mut page = document.start_page_with(settings()?);
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text { x, y, text, size, weight, color } => {
                    surface.set_fill(Some(fill(*color)));
                    let mut at = *x;
                    for (face, run) in fonts.runs(text, *weight) {
                        let glyphs = face.glyphs(run);
                        let start = Point::from_xy(at, *y);
                        surface.draw_glyphs(start, &glyphs, face.font.clone(), run, *size, false);
                        at += face.width(run, *size);
                    }
                }
                Op::Rect { x, y, width, height, color } => {
                    let Some(rect) = Rect::from_xywh(*x, *y, *width, *height) else { continue };
                    let mut builder = PathBuilder::new();
                    builder.push_rect(rect);
                    let Some(path) = builder.finish() else { continue };
                    surface.set_fill(Some(fill(*color)));
                    surface.draw_path(&path);
                }
                Op::Image { image, x, y, width, height } => {
                    let Some(size) = Size::from_wh(*width, *height) else { continue };
                    surface.push_transform(&Transform::from_translate(*x, *y));
                    surface.draw_image(image.clone(), size);
                    surface.pop();
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|error| PdfError::Write(format!("{error:?}")))
}
