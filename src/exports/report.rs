//! The content every export format writes: the header and the sections of
//! `globalStatistics` for one filter, read once through the engine, as JSON in the GraphQL
//! shape (the same numbers the API gives).

use crate::dashboards::figures;
use crate::error::AppResult;
use crate::stats::{Group, Statistics};
use crate::window::{Period, Span, Window};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The sections of `globalStatistics`, in report order.
pub const SECTIONS: [&str; 8] = [
    "overview",
    "advanced",
    "requests",
    "financial",
    "satisfaction",
    "technicians",
    "security",
    "trends",
];

/// The sheets (XLSX) and chapters (PDF) of a report, each with the sections it shows:
/// overview and advanced share the first.
pub const CHAPTERS: [(&str, &[&str]); 7] = [
    ("overview", &["overview", "advanced"]),
    ("requests", &["requests"]),
    ("financial", &["financial"]),
    ("satisfaction", &["satisfaction"]),
    ("technicians", &["technicians"]),
    ("security", &["security"]),
    ("trends", &["trends"]),
];

/// The lists of a section object, in the order they are written.
pub fn lists(object: &Map<String, Value>) -> Vec<(&String, &Vec<Value>)> {
    let mut lists: Vec<(&String, &Vec<Value>)> = object
        .iter()
        .filter_map(|(k, v)| v.as_array().map(|a| (k, a)))
        .collect();
    lists.sort_by_key(|(k, _)| super::labels::list_order(k));
    lists
}

/// What a report says about itself.
#[derive(Clone, Debug)]
pub struct Header {
    /// Platform name.
    pub platform: String,
    /// The period as asked (`LAST_30D`, `ALL`, or `from..to`).
    pub period: String,
    /// The instant the data was read at.
    pub as_of: DateTime<Utc>,
    /// Period start, if any.
    pub from: Option<DateTime<Utc>>,
    /// Period end.
    pub to: DateTime<Utc>,
    /// City slice.
    pub city: Option<String>,
    /// Specialty slice.
    pub specialty: Option<String>,
    /// Reporting zone.
    pub timezone: String,
    /// Currency code.
    pub currency: String,
    /// When the file was made.
    pub generated_at: DateTime<Utc>,
    /// `fr` or `en`.
    pub lang: String,
}

impl Header {
    /// As JSON.
    pub fn json(&self) -> Value {
        json!({
            "platform": self.platform,
            "period": self.period,
            "asOf": self.as_of,
            "from": self.from,
            "to": self.to,
            "city": self.city,
            "specialty": self.specialty,
            "timezone": self.timezone,
            "currency": self.currency,
            "generatedAt": self.generated_at,
            "lang": self.lang,
        })
    }

    /// Whether labels are French.
    pub fn french(&self) -> bool {
        self.lang != "en"
    }
}

/// A report: its header and its sections, each the JSON of the GraphQL object.
#[derive(Clone, Debug)]
pub struct Report {
    /// The header.
    pub header: Header,
    /// `(section, object)` in report order.
    pub sections: Vec<(&'static str, Value)>,
    /// `meta` of `globalStatistics`.
    pub meta: Value,
}

/// The period's name as asked.
pub fn period_name(window: &Window) -> String {
    match window.span {
        Span::Period(Period::Last24h) => "LAST_24H".into(),
        Span::Period(Period::Last7d) => "LAST_7D".into(),
        Span::Period(Period::Last30d) => "LAST_30D".into(),
        Span::Period(Period::All) => "ALL".into(),
        Span::Range(from, to) => format!(
            "{}..{}",
            from.map(|t| t.to_rfc3339()).unwrap_or_default(),
            to.map(|t| t.to_rfc3339()).unwrap_or_default()
        ),
    }
}

/// Reads `sections` under `window` through the engine (each group once) and builds the report.
pub async fn build(
    engine: Arc<crate::stats::Engine>,
    window: Window,
    sections: &[&'static str],
    mut header: Header,
) -> AppResult<Report> {
    let stats = Statistics::fetch(engine, window.clone(), Group::GLOBAL, None).await?;
    let mut out = Vec::new();
    for &section in sections {
        let Some(value) = figures::section(&stats, section).await? else {
            continue;
        };
        out.push((section, value));
    }
    let meta = stats.meta();
    header.as_of = meta.as_of;
    header.from = meta.start;
    header.to = meta.end;
    let meta = json!({
        "asOf": meta.as_of,
        "from": meta.start,
        "to": meta.end,
        "computedAt": meta.computed_at,
        "calculationMs": meta.calculation_ms,
        "cacheHit": meta.cache_hit,
        "stale": meta.stale,
    });
    Ok(Report {
        header,
        sections: out,
        meta,
    })
}

impl Report {
    /// The JSON file: the header and the `globalStatistics` payload.
    pub fn json(&self) -> Value {
        let mut stats = Map::new();
        for (section, value) in &self.sections {
            stats.insert((*section).to_string(), value.clone());
        }
        stats.insert("meta".into(), self.meta.clone());
        json!({ "header": self.header.json(), "globalStatistics": Value::Object(stats) })
    }

    /// The long table `(section, metric, key, value)`: a scalar as one row with no key; a
    /// list's items by their key (`key`, `method`, `rating`, `technicianId`, `ipAddress`,
    /// `bucketStart`), one row per other field (`byCity.total`).
    pub fn rows(&self) -> Vec<[String; 4]> {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let mut rows = Vec::new();
        for (section, value) in &self.sections {
            let Some(object) = value.as_object() else {
                continue;
            };
            for (field, v) in object {
                match v {
                    Value::Array(items) => {
                        for item in items {
                            let Some(item) = item.as_object() else {
                                continue;
                            };
                            let key_field = item_key(item);
                            let key = key_field.map(|k| text(&item[k])).unwrap_or_default();
                            for (name, value) in item {
                                if Some(name.as_str()) == key_field {
                                    continue;
                                }
                                rows.push([
                                    section.to_string(),
                                    format!("{field}.{name}"),
                                    key.clone(),
                                    text(value),
                                ]);
                            }
                        }
                    }
                    other => rows.push([
                        section.to_string(),
                        field.clone(),
                        String::new(),
                        text(other),
                    ]),
                }
            }
        }
        rows
    }
}

/// The field naming an item of a list.
pub fn item_key(item: &Map<String, Value>) -> Option<&'static str> {
    [
        "key",
        "method",
        "rating",
        "technicianId",
        "ipAddress",
        "bucketStart",
    ]
    .into_iter()
    .find(|k| item.contains_key(*k))
}

/// RFC 4180 CSV, UTF-8 with a byte-order mark (Excel then reads accents right).
pub fn csv(report: &Report) -> Vec<u8> {
    fn field(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }
    let mut out = String::from("\u{feff}section,metric,key,value\r\n");
    for row in report.rows() {
        out.push_str(&row.iter().map(|s| field(s)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_as_rfc_4180_says() {
        let report = Report {
            header: Header {
                platform: "Teliman".into(),
                period: "ALL".into(),
                as_of: Utc::now(),
                from: None,
                to: Utc::now(),
                city: None,
                specialty: None,
                timezone: "UTC".into(),
                currency: "XOF".into(),
                generated_at: Utc::now(),
                lang: "fr".into(),
            },
            sections: vec![(
                "requests",
                json!({"total": 3, "byCity": [{"key": "Ségou, \"centre\"", "total": 2}]}),
            )],
            meta: json!({}),
        };
        let text = String::from_utf8(csv(&report)).unwrap();
        assert_eq!(
            text,
            "\u{feff}section,metric,key,value\r\nrequests,byCity.total,\"Ségou, \"\"centre\"\"\",2\r\nrequests,total,,3\r\n"
        );
    }
}
