//! The PDF report (printpdf): A4 portrait, a title block, a table of figures per section, the
//! lists as tables, the trends drawn as vector charts with axes and labels, page numbers; a
//! table row is never cut by a page break. DejaVu Sans is embedded (subset), so accented
//! French and the narrow no-break space of `1 250 000 FCFA` render as they are.

use super::labels::{self, Kind};
use super::report::{self, Report};
use crate::catalog;
use chrono::{DateTime, Utc};
use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, ParsedFont, PdfDocument, PdfPage, PdfSaveOptions,
    Point, Polygon, PolygonRing, Pt, Rgb, TextItem,
};
use serde_json::Value;

const REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

const WIDTH: f32 = 210.0;
const HEIGHT: f32 = 297.0;
const MARGIN: f32 = 18.0;
const BOTTOM: f32 = 20.0;
const ROW: f32 = 6.0;

struct Font {
    id: FontId,
    parsed: ParsedFont,
}

impl Font {
    /// Width of `text` at `size` points, in millimetres.
    fn width(&self, text: &str, size: f32) -> f32 {
        let upm = f32::from(self.parsed.font_metrics.units_per_em.max(1));
        let units: u32 = text
            .chars()
            .map(|c| {
                self.parsed
                    .lookup_glyph_index(c as u32)
                    .map(|g| u32::from(self.parsed.get_horizontal_advance(g)))
                    .unwrap_or(0)
            })
            .sum();
        units as f32 / upm * size * 25.4 / 72.0
    }
}

fn rgb(r: f32, g: f32, b: f32) -> Color {
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

/// Pages being written, top to bottom.
struct Writer {
    regular: Font,
    bold: Font,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Writer {
    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = HEIGHT - MARGIN;
    }

    /// Room for `height` mm, on a new page when this one has not.
    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, y: f32, text: &str, size: f32, bold: bool, color: Color) {
        let font = if bold {
            self.bold.id.clone()
        } else {
            self.regular.id.clone()
        };
        self.ops().extend([
            Op::StartTextSection,
            Op::SetFillColor { col: color },
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(y)),
            },
            Op::SetFontSize {
                size: Pt(size),
                font: font.clone(),
            },
            Op::WriteText {
                items: vec![TextItem::Text(text.to_string())],
                font,
            },
            Op::EndTextSection,
        ]);
    }

    fn right(&mut self, x_right: f32, y: f32, text: &str, size: f32, bold: bool) {
        let w = if bold {
            self.bold.width(text, size)
        } else {
            self.regular.width(text, size)
        };
        self.text(x_right - w, y, text, size, bold, rgb(0.0, 0.0, 0.0));
    }

    fn line(&mut self, points: &[(f32, f32)], color: Color, thickness: f32) {
        self.ops().extend([
            Op::SetOutlineColor { col: color },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: points
                        .iter()
                        .map(|(x, y)| LinePoint {
                            p: Point::new(Mm(*x), Mm(*y)),
                            bezier: false,
                        })
                        .collect(),
                    is_closed: false,
                },
            },
        ]);
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Color) {
        let p = |x: f32, y: f32| LinePoint {
            p: Point::new(Mm(x), Mm(y)),
            bezier: false,
        };
        self.ops().extend([
            Op::SetFillColor { col: color },
            Op::DrawPolygon {
                polygon: Polygon {
                    rings: vec![PolygonRing {
                        points: vec![p(x, y), p(x + w, y), p(x + w, y + h), p(x, y + h)],
                    }],
                    mode: printpdf::PaintMode::Fill,
                    winding_order: printpdf::WindingOrder::NonZero,
                },
            },
        ]);
    }
}

/// A number the French way (`1 250 000,50`, narrow no-break spaces) or the English way.
pub fn number(v: f64, decimals: usize, fr: bool) -> String {
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let sep = if fr { '\u{202f}' } else { ',' };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(sep);
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{}{frac}", if fr { ',' } else { '.' })
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A value as the report writes it.
fn shown(v: &Value, kind: Kind, fr: bool, currency: &str, tz: chrono_tz::Tz) -> String {
    let instant = || {
        v.as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc).with_timezone(&tz))
    };
    match kind {
        Kind::Text => match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        },
        Kind::Date => instant()
            .map(|t| {
                t.format(if fr { "%d/%m/%Y" } else { "%Y-%m-%d" })
                    .to_string()
            })
            .unwrap_or_default(),
        Kind::DateTime => instant()
            .map(|t| {
                t.format(if fr {
                    "%d/%m/%Y %H:%M"
                } else {
                    "%Y-%m-%d %H:%M"
                })
                .to_string()
            })
            .unwrap_or_default(),
        _ => {
            let Some(n) = as_f64(v) else {
                return String::new();
            };
            let space = if fr { "\u{202f}" } else { " " };
            match kind {
                Kind::Money => format!("{}{space}{currency}", number(n, 2, fr)),
                Kind::Percent => {
                    format!("{}{}%", number(n, 1, fr), if fr { "\u{202f}" } else { "" })
                }
                Kind::Hours => format!("{}{space}h", number(n, 1, fr)),
                Kind::Rating => number(n, 2, fr),
                _ => number(n, 0, fr),
            }
        }
    }
}

/// The PDF file of a report.
pub fn write(report: &Report) -> Result<Vec<u8>, String> {
    let mut warnings = Vec::new();
    let regular =
        ParsedFont::from_bytes(REGULAR, 0, &mut warnings).ok_or("the font cannot be read")?;
    let bold = ParsedFont::from_bytes(BOLD, 0, &mut warnings).ok_or("the font cannot be read")?;
    let h = &report.header;
    let fr = h.french();
    let tz: chrono_tz::Tz = h.timezone.parse().unwrap_or(chrono_tz::UTC);
    let currency = labels::currency_symbol(&h.currency);
    let title = if fr {
        "Rapport statistique"
    } else {
        "Statistics report"
    };
    // the document's info dictionary takes plain text only
    let mut doc = PdfDocument::new(&format!("{} - {title}", h.platform));
    let mut w = Writer {
        regular: Font {
            id: doc.add_font(&regular),
            parsed: regular,
        },
        bold: Font {
            id: doc.add_font(&bold),
            parsed: bold,
        },
        pages: Vec::new(),
        y: 0.0,
    };
    w.new_page();
    let black = || rgb(0.0, 0.0, 0.0);
    let grey = || rgb(0.4, 0.4, 0.4);
    // the title block
    w.rect(
        MARGIN,
        w.y - 16.0,
        WIDTH - 2.0 * MARGIN,
        16.0,
        rgb(0.12, 0.30, 0.55),
    );
    let y = w.y - 10.5;
    w.text(
        MARGIN + 4.0,
        y,
        &format!("{} — {title}", h.platform),
        16.0,
        true,
        rgb(1.0, 1.0, 1.0),
    );
    w.y -= 22.0;
    let mut lines = vec![
        (labels::word("period", fr), labels::period(&h.period, fr)),
        (
            labels::word("asOf", fr),
            shown(
                &serde_json::json!(h.as_of),
                Kind::DateTime,
                fr,
                &currency,
                tz,
            ),
        ),
        (labels::word("timezone", fr), h.timezone.clone()),
        (labels::word("currency", fr), h.currency.clone()),
        (
            labels::word("generatedAt", fr),
            shown(
                &serde_json::json!(h.generated_at),
                Kind::DateTime,
                fr,
                &currency,
                tz,
            ),
        ),
    ];
    if let Some(c) = &h.city {
        lines.push((labels::word("city", fr), c.clone()));
    }
    if let Some(s) = &h.specialty {
        lines.push((labels::word("specialty", fr), s.clone()));
    }
    for (label, value) in lines {
        let y = w.y;
        w.text(MARGIN, y, label, 9.5, true, black());
        w.text(MARGIN + 40.0, y, &value, 9.5, false, black());
        w.y -= 5.0;
    }
    w.y -= 4.0;
    let sections: std::collections::BTreeMap<&str, &Value> =
        report.sections.iter().map(|(s, v)| (*s, v)).collect();
    let right = WIDTH - MARGIN;
    for (sheet, parts) in report::CHAPTERS {
        if !parts.iter().any(|p| sections.contains_key(p)) {
            continue;
        }
        // a section title never ends a page
        w.room(14.0 + 2.0 * ROW);
        let y = w.y - 6.0;
        w.text(
            MARGIN,
            y,
            labels::sheet(sheet, fr),
            13.0,
            true,
            rgb(0.12, 0.30, 0.55),
        );
        w.y -= 9.0;
        // the figures, in the catalog's order
        for metric in catalog::CATALOG {
            let Some((part, field)) = metric.path.split_once('.') else {
                continue;
            };
            if !parts.contains(&part) {
                continue;
            }
            let Some(value) = sections.get(part).and_then(|v| v.get(field)) else {
                continue;
            };
            if value.is_array() || value.is_object() {
                continue;
            }
            w.room(ROW);
            let y = w.y - 4.2;
            let label = if fr {
                metric.description
            } else {
                metric.description_en
            };
            w.text(MARGIN + 1.0, y, label, 9.5, false, black());
            let text = shown(value, labels::kind_of_unit(metric.unit), fr, &currency, tz);
            w.right(right - 1.0, y, &text, 9.5, false);
            let y = w.y - ROW;
            w.line(&[(MARGIN, y), (right, y)], rgb(0.85, 0.85, 0.85), 0.5);
            w.y -= ROW;
        }
        w.y -= 4.0;
        // the lists
        for part in parts {
            let Some(object) = sections.get(part).and_then(|v| v.as_object()) else {
                continue;
            };
            for (list, items) in report::lists(object) {
                let key = format!("{part}.{list}");
                if key.starts_with("trends.") {
                    let counts = [
                        ("requests", rgb(0.12, 0.47, 0.71)),
                        ("completed", rgb(0.17, 0.63, 0.17)),
                        ("newUsers", rgb(0.84, 0.37, 0.0)),
                    ];
                    let title = labels::list_title(&key, fr);
                    chart(&mut w, &title, items, &counts, None, fr, tz);
                    let revenue = format!("{title} — {}", labels::column("revenue", fr));
                    let money = [("revenue", rgb(0.55, 0.25, 0.60))];
                    chart(&mut w, &revenue, items, &money, Some(&currency), fr, tz);
                    continue;
                }
                let columns: Vec<(&str, Kind)> = labels::columns(&key)
                    .iter()
                    .copied()
                    .filter(|(c, _)| !matches!(*c, "technicianId"))
                    .collect();
                let span = (right - MARGIN) / columns.len() as f32;
                // title and header stay with the first row
                w.room(8.0 + 2.0 * ROW);
                let y = w.y - 5.0;
                w.text(
                    MARGIN,
                    y,
                    &labels::list_title(&key, fr),
                    10.5,
                    true,
                    black(),
                );
                w.y -= 7.0;
                let header = |w: &mut Writer| {
                    w.rect(
                        MARGIN,
                        w.y - ROW,
                        right - MARGIN,
                        ROW,
                        rgb(0.86, 0.90, 0.95),
                    );
                    let y = w.y - 4.2;
                    for (i, (name, kind)) in columns.iter().enumerate() {
                        let name = match (*name, key.as_str()) {
                            ("key", "requests.bySpecialty") => "specialty",
                            ("key", "requests.byCity") => "city",
                            (n, _) => n,
                        };
                        let label = labels::column(name, fr);
                        if *kind == Kind::Text || *kind == Kind::DateTime && i == 0 {
                            w.text(
                                MARGIN + 1.0 + i as f32 * span,
                                y,
                                &label,
                                8.5,
                                true,
                                black(),
                            );
                        } else {
                            w.right(MARGIN + (i + 1) as f32 * span - 1.0, y, &label, 8.5, true);
                        }
                    }
                    w.y -= ROW;
                };
                header(&mut w);
                if items.is_empty() {
                    let y = w.y - 4.2;
                    w.text(
                        MARGIN + 1.0,
                        y,
                        if fr { "(aucune ligne)" } else { "(no rows)" },
                        8.5,
                        false,
                        grey(),
                    );
                    w.y -= ROW;
                }
                for item in items {
                    if w.y - ROW < BOTTOM {
                        w.new_page();
                        header(&mut w);
                    }
                    let y = w.y - 4.2;
                    for (i, (name, kind)) in columns.iter().enumerate() {
                        let text = shown(&item[*name], *kind, fr, &currency, tz);
                        if *kind == Kind::Text {
                            w.text(
                                MARGIN + 1.0 + i as f32 * span,
                                y,
                                &text,
                                8.5,
                                false,
                                black(),
                            );
                        } else {
                            w.right(MARGIN + (i + 1) as f32 * span - 1.0, y, &text, 8.5, false);
                        }
                    }
                    let y = w.y - ROW;
                    w.line(&[(MARGIN, y), (right, y)], rgb(0.9, 0.9, 0.9), 0.4);
                    w.y -= ROW;
                }
                w.y -= 5.0;
            }
        }
    }
    // page numbers, now that the count is known
    let total = w.pages.len();
    let mut pages = Vec::with_capacity(total);
    for (i, mut ops) in std::mem::take(&mut w.pages).into_iter().enumerate() {
        let label = format!("Page {} / {total}", i + 1);
        let width = w.regular.width(&label, 8.0);
        let font = w.regular.id.clone();
        ops.extend([
            Op::StartTextSection,
            Op::SetFillColor { col: grey() },
            Op::SetTextCursor {
                pos: Point::new(Mm((WIDTH - width) / 2.0), Mm(10.0)),
            },
            Op::SetFontSize {
                size: Pt(8.0),
                font: font.clone(),
            },
            Op::WriteText {
                items: vec![TextItem::Text(label)],
                font,
            },
            Op::EndTextSection,
        ]);
        pages.push(PdfPage::new(Mm(WIDTH), Mm(HEIGHT), ops));
    }
    Ok(doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut warnings))
}

/// The smallest of 1, 2, 2.5, 5 times a power of ten at or above `v`: a scale of round steps.
fn nice(v: f64) -> f64 {
    let power = 10f64.powf(v.max(1.0).log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|n| *n >= v)
        .unwrap_or(10.0 * power)
}

/// A trend as a chart: `series` as lines over the buckets, with axes, a scale of round steps
/// (in `money` when given), dates under the first, middle and last buckets, and a legend.
fn chart(
    w: &mut Writer,
    title: &str,
    items: &[Value],
    series: &[(&str, Color)],
    money: Option<&str>,
    fr: bool,
    tz: chrono_tz::Tz,
) {
    let height = 62.0;
    w.room(height + 14.0);
    let y = w.y - 5.0;
    w.text(MARGIN, y, title, 10.5, true, rgb(0.0, 0.0, 0.0));
    w.y -= 8.0;
    let (left, right) = (MARGIN + 24.0, WIDTH - MARGIN - 32.0);
    let (top, bottom) = (w.y - 2.0, w.y - height + 10.0);
    let max = nice(
        items
            .iter()
            .flat_map(|i| {
                series
                    .iter()
                    .map(move |(s, _)| as_f64(&i[*s]).unwrap_or(0.0))
            })
            .fold(0.0_f64, f64::max),
    );
    // axes and a scale of four steps
    let axis = rgb(0.3, 0.3, 0.3);
    w.line(&[(left, top), (left, bottom), (right, bottom)], axis, 0.8);
    for step in 0..=4 {
        let v = max * f64::from(step) / 4.0;
        let y = bottom + (top - bottom) * step as f32 / 4.0;
        if step > 0 {
            w.line(&[(left, y), (right, y)], rgb(0.88, 0.88, 0.88), 0.4);
        }
        let label = match money {
            Some(currency) => format!(
                "{}{}{currency}",
                number(v, 0, fr),
                if fr { "\u{202f}" } else { " " }
            ),
            None => number(v, 0, fr),
        };
        w.right(left - 1.5, y - 1.2, &label, 7.0, false);
    }
    let n = items.len().max(1);
    let x_of = |i: usize| {
        if n == 1 {
            (left + right) / 2.0
        } else {
            left + (right - left) * i as f32 / (n - 1) as f32
        }
    };
    for (name, color) in series {
        let points: Vec<(f32, f32)> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let v = as_f64(&item[*name]).unwrap_or(0.0);
                (x_of(i), bottom + (top - bottom) * (v / max) as f32)
            })
            .collect();
        if points.len() > 1 {
            w.line(&points, color.clone(), 1.4);
        }
    }
    // dates under the first, middle and last buckets
    for i in [0, n / 2, n - 1] {
        if let Some(item) = items.get(i) {
            let date = shown(&item["bucketStart"], Kind::Date, fr, "", tz);
            let width = w.regular.width(&date, 7.0);
            w.text(
                x_of(i) - width / 2.0,
                bottom - 4.5,
                &date,
                7.0,
                false,
                rgb(0.2, 0.2, 0.2),
            );
        }
    }
    // the legend
    for (k, (name, color)) in series.iter().enumerate() {
        let y = top - 3.0 - k as f32 * 5.0;
        w.line(
            &[(right + 3.0, y + 1.0), (right + 8.0, y + 1.0)],
            color.clone(),
            1.6,
        );
        w.text(
            right + 9.5,
            y,
            &labels::column(name, fr),
            7.0,
            false,
            rgb(0.0, 0.0, 0.0),
        );
    }
    w.y -= height + 4.0;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_end_on_round_numbers() {
        assert_eq!(nice(641.0), 1000.0);
        assert_eq!(nice(2400.0), 2500.0);
        assert_eq!(nice(2513.0), 5000.0);
        assert_eq!(nice(180.0), 200.0);
        assert_eq!(nice(0.0), 1.0);
    }

    #[test]
    fn numbers_the_french_and_the_english_way() {
        assert_eq!(number(1_250_000.0, 0, true), "1\u{202f}250\u{202f}000");
        assert_eq!(number(1_250_000.5, 2, true), "1\u{202f}250\u{202f}000,50");
        assert_eq!(number(1_250_000.5, 2, false), "1,250,000.50");
        assert_eq!(number(999.0, 0, true), "999");
        assert_eq!(number(-1234.5, 1, false), "-1,234.5");
        assert_eq!(number(-0.01, 1, false), "0.0");
    }
}
