//! A page flow: positioned text, filled rectangles and images per page, with a cursor that
//! moves down and starts a new page when the next block does not fit. Coordinates are points
//! from the page's top left; text `y` is its baseline.

use krilla::image::Image;

use super::Paper;
use super::fonts::{Fonts, Weight};

/// Page margin on every side, in points.
pub(super) const MARGIN: f32 = 48.0;
/// Room kept at the bottom for the page footer.
const FOOTER: f32 = 28.0;

pub(super) type Rgb = (u8, u8, u8);
pub(super) const INK: Rgb = (0x1f, 0x29, 0x37);
pub(super) const MUTED: Rgb = (0x6b, 0x72, 0x80);
pub(super) const RULE: Rgb = (0xd1, 0xd5, 0xdb);
pub(super) const SHADE: Rgb = (0xf3, 0xf4, 0xf6);
pub(super) const STAMP: Rgb = (0xb9, 0x1c, 0x1c);

/// Something drawn.
pub(super) enum Op {
    Text { x: f32, y: f32, text: String, size: f32, weight: Weight, color: Rgb },
    Rect { x: f32, y: f32, width: f32, height: f32, color: Rgb },
    Image { image: Image, x: f32, y: f32, width: f32, height: f32 },
}

/// Pages of [`Op`]s and the cursor.
pub(super) struct Flow {
    pub(super) pages: Vec<Vec<Op>>,
    /// The cursor: the top of the next block.
    pub(super) y: f32,
    pub(super) width: f32,
    height: f32,
    margin: f32,
    pub(super) fonts: &'static Fonts,
}

impl Flow {
    pub(super) fn new(paper: Paper, fonts: &'static Fonts) -> Self {
        let (width, height) = paper.size();
        Self { pages: vec![Vec::new()], y: MARGIN, width, height, margin: MARGIN, fonts }
    }

    pub(super) fn left(&self) -> f32 {
        self.margin
    }

    pub(super) fn right(&self) -> f32 {
        self.width - self.margin
    }

    /// Whether `height` more points fit on this page.
    pub(super) fn fits(&self, height: f32) -> bool {
        self.y + height <= self.height - self.margin - FOOTER
    }

    /// Starts a new page with the cursor at its top.
    pub(super) fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.margin;
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    /// `text` with its left edge at `x`, baseline at `y`.
    pub(super) fn text(
        &mut self,
        x: f32,
        y: f32,
        text: &str,
        size: f32,
        weight: Weight,
        color: Rgb,
    ) {
        if !text.is_empty() {
            self.push(Op::Text { x, y, text: text.to_owned(), size, weight, color });
        }
    }

    /// `text` with its right edge at `right`.
    pub(super) fn text_right(
        &mut self,
        right: f32,
        y: f32,
        text: &str,
        size: f32,
        weight: Weight,
        color: Rgb,
    ) {
        let width = self.fonts.width(text, weight, size);
        self.text(right - width, y, text, size, weight, color);
    }

    pub(super) fn rect(&mut self, x: f32, y: f32, width: f32, height: f32, color: Rgb) {
        self.push(Op::Rect { x, y, width, height, color });
    }

    pub(super) fn image(&mut self, image: Image, x: f32, y: f32, width: f32, height: f32) {
        self.push(Op::Image { image, x, y, width, height });
    }

    /// Wrapped text from `x`, `width` wide, from the cursor down; lines that do not fit go
    /// onto a new page. Moves the cursor below it.
    pub(super) fn paragraph(&mut self, x: f32, width: f32, text: &str, size: f32, weight: Weight) {
        let leading = size * 1.4;
        for line in self.fonts.wrap(text, weight, size, width) {
            if !self.fits(leading) {
                self.new_page();
            }
            self.text(x, self.y + size, &line, size, weight, INK);
            self.y += leading;
        }
    }

    /// Draws "Page n of N" and `label` at the foot of every page.
    pub(super) fn footers(&mut self, label: &str) {
        let count = self.pages.len();
        let y = self.height - self.margin + 8.0;
        let (left, right) = (self.left(), self.right());
        let label = self.fonts.truncate(label, Weight::Regular, 8.0, (right - left) * 0.7);
        for index in 0..count {
            let page = format!("Page {} of {count}", index + 1);
            let page_width = self.fonts.width(&page, Weight::Regular, 8.0);
            let label_op = Op::Text {
                x: left,
                y,
                text: label.clone(),
                size: 8.0,
                weight: Weight::Regular,
                color: MUTED,
            };
            let page_op = Op::Text {
                x: right - page_width,
                y,
                text: page,
                size: 8.0,
                weight: Weight::Regular,
                color: MUTED,
            };
            if let Some(ops) = self.pages.get_mut(index) {
                ops.push(label_op);
                ops.push(page_op);
            }
        }
    }
}
