//! The XLSX report (rust_xlsxwriter): one sheet per section with the header on top, a bold
//! frozen table header, money in the currency with thousands separators, percentages as
//! percentages, dates as dates, and native charts for the trends and the payment methods.

use super::labels::{self, Kind};
use super::report::{self, Report};
use crate::catalog;
use chrono::{DateTime, Utc};
use rust_xlsxwriter::{Chart, ChartType, Format, FormatBorder, Workbook, Worksheet, XlsxError};
use serde_json::{Map, Value};

struct Formats {
    title: Format,
    bold: Format,
    head: Format,
    money: Format,
    percent: Format,
    count: Format,
    hours: Format,
    rating: Format,
    date: Format,
    datetime: Format,
    text: Format,
    left_datetime: Format,
}

impl Formats {
    fn new(report: &Report) -> Formats {
        let currency = labels::currency_symbol(&report.header.currency);
        let (date, datetime) = if report.header.french() {
            ("dd/mm/yyyy", "dd/mm/yyyy hh:mm")
        } else {
            ("yyyy-mm-dd", "yyyy-mm-dd hh:mm")
        };
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            bold: Format::new().set_bold(),
            head: Format::new()
                .set_bold()
                .set_background_color("#DCE6F1")
                .set_border_bottom(FormatBorder::Thin),
            money: Format::new().set_num_format(format!("#,##0.00 \"{currency}\"")),
            percent: Format::new().set_num_format("0.0%"),
            count: Format::new().set_num_format("#,##0"),
            hours: Format::new().set_num_format("0.0 \"h\""),
            rating: Format::new().set_num_format("0.00"),
            date: Format::new().set_num_format(date),
            datetime: Format::new().set_num_format(datetime),
            text: Format::new(),
            left_datetime: Format::new()
                .set_num_format(datetime)
                .set_align(rust_xlsxwriter::FormatAlign::Left),
        }
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn instant(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Writes one cell of a kind; instants in the report's zone.
fn cell(
    ws: &mut Worksheet,
    f: &Formats,
    tz: chrono_tz::Tz,
    row: u32,
    col: u16,
    kind: Kind,
    v: &Value,
) -> Result<(), XlsxError> {
    match kind {
        Kind::Text => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            ws.write_string_with_format(row, col, s, &f.text)?;
        }
        Kind::Date | Kind::DateTime => {
            if let Some(t) = instant(v) {
                let local = t.with_timezone(&tz).naive_local();
                let format = if kind == Kind::Date {
                    &f.date
                } else {
                    &f.datetime
                };
                ws.write_datetime_with_format(row, col, local, format)?;
            }
        }
        _ => {
            if let Some(n) = number(v) {
                let (n, format) = match kind {
                    Kind::Money => (n, &f.money),
                    Kind::Percent => (n / 100.0, &f.percent),
                    Kind::Hours => (n, &f.hours),
                    Kind::Rating => (n, &f.rating),
                    _ => (n, &f.count),
                };
                ws.write_number_with_format(row, col, n, format)?;
            }
        }
    }
    Ok(())
}

/// The header block; returns the next free row.
fn header(ws: &mut Worksheet, f: &Formats, report: &Report, title: &str) -> Result<u32, XlsxError> {
    let h = &report.header;
    let fr = h.french();
    ws.write_string_with_format(0, 0, format!("{} — {title}", h.platform), &f.title)?;
    let tz: chrono_tz::Tz = h.timezone.parse().unwrap_or(chrono_tz::UTC);
    let mut lines: Vec<(String, Value, Kind)> = vec![
        (
            labels::word("period", fr).into(),
            Value::String(labels::period(&h.period, fr)),
            Kind::Text,
        ),
        (
            labels::word("asOf", fr).into(),
            serde_json::json!(h.as_of),
            Kind::DateTime,
        ),
        (
            labels::word("timezone", fr).into(),
            Value::String(h.timezone.clone()),
            Kind::Text,
        ),
        (
            labels::word("currency", fr).into(),
            Value::String(h.currency.clone()),
            Kind::Text,
        ),
        (
            labels::word("generatedAt", fr).into(),
            serde_json::json!(h.generated_at),
            Kind::DateTime,
        ),
    ];
    if let Some(city) = &h.city {
        lines.push((
            labels::word("city", fr).into(),
            Value::String(city.clone()),
            Kind::Text,
        ));
    }
    if let Some(s) = &h.specialty {
        lines.push((
            labels::word("specialty", fr).into(),
            Value::String(s.clone()),
            Kind::Text,
        ));
    }
    let mut row = 1;
    for (label, value, kind) in lines {
        ws.write_string_with_format(row, 0, label, &f.bold)?;
        match (kind, instant(&value)) {
            // the header reads as one column of text: its instants aligned left too
            (Kind::DateTime, Some(t)) => {
                ws.write_datetime_with_format(
                    row,
                    1,
                    t.with_timezone(&tz).naive_local(),
                    &f.left_datetime,
                )?;
            }
            _ => cell(ws, f, tz, row, 1, kind, &value)?,
        }
        row += 1;
    }
    Ok(row + 1)
}

/// A list as a table; returns `(first data row, last data row, next free row)`.
#[allow(clippy::too_many_arguments)]
fn table(
    ws: &mut Worksheet,
    f: &Formats,
    tz: chrono_tz::Tz,
    fr: bool,
    mut row: u32,
    list: &str,
    items: &[Value],
) -> Result<(u32, u32, u32), XlsxError> {
    let columns = labels::columns(list);
    ws.write_string_with_format(row, 0, labels::list_title(list, fr), &f.bold)?;
    row += 1;
    for (c, (name, _)) in columns.iter().enumerate() {
        let name = match (*name, list) {
            ("key", "requests.bySpecialty") => "specialty",
            ("key", "requests.byCity") => "city",
            (name, _) => name,
        };
        ws.write_string_with_format(row, c as u16, labels::column(name, fr), &f.head)?;
    }
    row += 1;
    let first = row;
    for item in items {
        for (c, (name, kind)) in columns.iter().enumerate() {
            cell(ws, f, tz, row, c as u16, *kind, &item[*name])?;
        }
        row += 1;
    }
    Ok((first, row.saturating_sub(1).max(first), row + 1))
}

/// The XLSX file of a report.
pub fn write(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::new(report);
    let fr = report.header.french();
    let tz: chrono_tz::Tz = report.header.timezone.parse().unwrap_or(chrono_tz::UTC);
    let date_format = if fr { "dd/mm/yyyy" } else { "yyyy-mm-dd" };
    let mut workbook = Workbook::new();
    let sections: Map<String, Value> = report
        .sections
        .iter()
        .map(|(s, v)| ((*s).to_string(), v.clone()))
        .collect();
    // overview and advanced share the first sheet
    for (sheet, parts) in report::CHAPTERS {
        if !parts.iter().any(|p| sections.contains_key(*p)) {
            continue;
        }
        let name = labels::sheet(sheet, fr);
        let ws = workbook.add_worksheet();
        ws.set_name(name)?;
        let mut row = header(ws, &f, report, name)?;
        // the scalars: one table, its header frozen
        let scalars: Vec<(String, Value)> = parts
            .iter()
            .filter_map(|p| sections.get(*p).map(|v| (*p, v)))
            .flat_map(|(p, v)| {
                v.as_object()
                    .into_iter()
                    .flat_map(move |o| o.iter().map(move |(k, v)| (format!("{p}.{k}"), v.clone())))
            })
            .filter(|(_, v)| !v.is_array() && !v.is_object())
            .collect();
        if !scalars.is_empty() {
            ws.write_string_with_format(row, 0, labels::column("metric", fr), &f.head)?;
            ws.write_string_with_format(row, 1, labels::column("value", fr), &f.head)?;
            ws.set_freeze_panes(row + 1, 0)?;
            row += 1;
            // in the catalog's order
            for metric in catalog::CATALOG {
                let Some((_, value)) = scalars.iter().find(|(p, _)| p == metric.path) else {
                    continue;
                };
                let label = if fr {
                    metric.description
                } else {
                    metric.description_en
                };
                ws.write_string(row, 0, label)?;
                cell(ws, &f, tz, row, 1, labels::kind_of_unit(metric.unit), value)?;
                row += 1;
            }
            row += 1;
        } else {
            ws.set_freeze_panes(row, 0)?;
        }
        // the lists
        for part in parts {
            let Some(object) = sections.get(*part).and_then(Value::as_object) else {
                continue;
            };
            for (list, items) in report::lists(object) {
                let key = format!("{part}.{list}");
                let (first, last, next) = table(ws, &f, tz, fr, row, &key, items)?;
                if !items.is_empty() {
                    if key.starts_with("trends.") {
                        let mut chart = Chart::new(ChartType::Line);
                        for (c, series) in [(1u16, "requests"), (2, "completed"), (4, "newUsers")] {
                            chart
                                .add_series()
                                .set_categories((name, first, 0, last, 0))
                                .set_values((name, first, c, last, c))
                                .set_name(labels::column(series, fr).as_str());
                        }
                        chart.title().set_name(&labels::list_title(&key, fr));
                        chart.x_axis().set_num_format(date_format);
                        chart.set_width(720).set_height(320);
                        ws.insert_chart(row, 7, &chart)?;
                        let mut revenue = Chart::new(ChartType::Column);
                        revenue
                            .add_series()
                            .set_categories((name, first, 0, last, 0))
                            .set_values((name, first, 3, last, 3))
                            .set_name(labels::column("revenue", fr).as_str());
                        revenue.title().set_name(&format!(
                            "{} — {}",
                            labels::list_title(&key, fr),
                            labels::column("revenue", fr)
                        ));
                        revenue.x_axis().set_num_format(date_format);
                        revenue.y_axis().set_num_format("#,##0");
                        revenue.set_width(720).set_height(320);
                        ws.insert_chart(row + 17, 7, &revenue)?;
                    } else if key == "financial.paymentMethods" {
                        let mut pie = Chart::new(ChartType::Pie);
                        pie.add_series()
                            .set_categories((name, first, 0, last, 0))
                            .set_values((name, first, 2, last, 2))
                            .set_name(labels::column("total", fr).as_str());
                        pie.title().set_name(&labels::list_title(&key, fr));
                        ws.insert_chart(row, 5, &pie)?;
                    }
                }
                // a chart needs rows of its own beside a short table
                row = if key.starts_with("trends.") {
                    next.max(row + 34)
                } else {
                    next
                };
            }
        }
        ws.autofit();
        // autofit does not see number formats: money and dates get room of their own
        ws.set_column_width(0, 42)?;
        ws.set_column_width(1, 24)?;
        for col in 2..8 {
            ws.set_column_width(col, 20)?;
        }
        ws.set_landscape();
        ws.set_print_fit_to_pages(1, 0);
        ws.set_paper_size(9); // A4
    }
    workbook.save_to_buffer()
}
