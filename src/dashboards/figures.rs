//! A metric path's figure as JSON in the GraphQL shape (camelCase keys, money as decimal
//! strings, instants in RFC 3339), read through the engine: what a widget's `data` holds.

use crate::catalog;
use crate::error::{AppError, AppResult};
use crate::stats::Statistics;
use serde::Serialize;
use serde_json::{Map, Value};

/// `snake_case` to `camelCase` (`active_users_30d` to `activeUsers30d`, `last_24h` to
/// `last24h`).
fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A value serialized with its keys in camelCase, at every depth.
pub fn camel_json(value: &impl Serialize) -> AppResult<Value> {
    fn walk(v: Value) -> Value {
        match v {
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (camel(&k), walk(v)))
                    .collect::<Map<String, Value>>(),
            ),
            Value::Array(items) => Value::Array(items.into_iter().map(walk).collect()),
            other => other,
        }
    }
    Ok(walk(
        serde_json::to_value(value).map_err(|_| AppError::Internal)?,
    ))
}

fn unknown(path: &str) -> AppError {
    AppError::bad_input(format!("`{path}` is not a path of metricCatalog"))
}

/// A group object of `globalStatistics` (`overview`, `technicians`, ...) as JSON in the
/// GraphQL shape, read through the engine; `None` for a name that is not one.
pub async fn section(stats: &Statistics, name: &str) -> AppResult<Option<Value>> {
    Ok(Some(match name {
        "overview" => camel_json(&stats.overview().await?)?,
        "requests" => camel_json(&stats.requests().await?)?,
        "financial" => camel_json(&stats.financial().await?)?,
        "satisfaction" => camel_json(&stats.satisfaction().await?)?,
        "advanced" => camel_json(&stats.advanced().await?)?,
        "trends" => camel_json(&stats.trends().await?)?,
        "technicians" => {
            let t = stats.technicians().await?;
            let mut o = camel_json(&t.counts)?;
            o["topTechnicians"] = camel_json(&t.top)?;
            o
        }
        "security" => {
            let s = stats.security().await?;
            let mut o = camel_json(&s.counts)?;
            o["suspiciousIps"] = camel_json(&s.suspicious)?;
            o
        }
        _ => return Ok(None),
    }))
}

/// The figure of a windowed path (`requests.byCity`, `trends.daily`, `overview.totalUsers`)
/// under the statistics' window.
pub async fn figure(stats: &Statistics, path: &str) -> AppResult<Value> {
    let (group, field) = path.split_once('.').ok_or_else(|| unknown(path))?;
    let object = section(stats, group).await?.ok_or_else(|| unknown(path))?;
    if catalog::find(path).is_none() {
        return Err(unknown(path));
    }
    object.get(field).cloned().ok_or_else(|| unknown(path))
}

/// The figure of a real-time path (`realtime.last24h.revenue`) in the real-time figures.
pub fn realtime_figure(live: &Value, path: &str) -> AppResult<Value> {
    let rest = path
        .strip_prefix("realtime.")
        .ok_or_else(|| unknown(path))?;
    rest.split('.')
        .try_fold(live, |v, key| v.get(key))
        .cloned()
        .ok_or_else(|| unknown(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_names_become_the_graphql_names() {
        assert_eq!(camel("active_users_30d"), "activeUsers30d");
        assert_eq!(camel("last_24h"), "last24h");
        assert_eq!(camel("avg_response_time_hours"), "avgResponseTimeHours");
        assert_eq!(camel("total"), "total");
    }
}
