//! Which engine entries a selection needs, read from the operation before it runs, so the
//! groups of one answer are read concurrently and nothing unasked is computed.

use crate::metrics::{security, technicians};
use crate::stats::Group;
use async_graphql::{SelectionField, Value};
use std::collections::BTreeSet;

/// The entries under the fields of a `GlobalStatistics` selection.
pub fn global(field: SelectionField<'_>) -> BTreeSet<Group> {
    let mut groups = BTreeSet::new();
    for child in included(field) {
        group_fields(child.name(), child, &mut groups);
    }
    groups
}

/// The entries a group field (`overview`, `technicians`, ... at the root or under
/// `globalStatistics`) needs for its selection.
pub fn group_fields(name: &str, field: SelectionField<'_>, groups: &mut BTreeSet<Group>) {
    match name {
        "overview" => {
            for child in included(field) {
                match child.name() {
                    "totalUsers" | "activeUsers30d" | "newUsers30d" => groups.insert(Group::Users),
                    "totalRequests" => groups.insert(Group::Requests),
                    "totalRevenue" => groups.insert(Group::Financial),
                    "avgRating" => groups.insert(Group::Satisfaction),
                    _ => false,
                };
            }
        }
        "advanced" => {
            for child in included(field) {
                match child.name() {
                    "conversionRate" => groups.insert(Group::Requests),
                    "retentionRate" | "churnRate" => groups.insert(Group::Users),
                    _ => false,
                };
            }
        }
        "requests" => {
            groups.insert(Group::Requests);
        }
        "financial" => {
            groups.insert(Group::Financial);
        }
        "satisfaction" => {
            groups.insert(Group::Satisfaction);
        }
        "trends" => {
            groups.insert(Group::Trends);
        }
        "technicians" => {
            for child in included(field) {
                match child.name() {
                    "__typename" => {}
                    "topTechnicians" => {
                        let limit = int_argument(&child, "limit", technicians::TOP_LIMIT as i64);
                        let min = int_argument(&child, "minReviews", technicians::TOP_MIN_REVIEWS);
                        if let (Some(limit @ 1..=100), Some(min @ 1..=1_000_000)) = (limit, min) {
                            groups.insert(Group::top_technicians(limit as u32, min as u32));
                        }
                    }
                    _ => {
                        groups.insert(Group::Technicians);
                    }
                }
            }
        }
        "security" => {
            for child in included(field) {
                match child.name() {
                    "__typename" => {}
                    "suspiciousIps" => {
                        let default = security::SUSPICIOUS_LIMIT as i64;
                        if let Some(limit @ 1..=100) = int_argument(&child, "limit", default) {
                            groups.insert(Group::suspicious_ips(limit as u32));
                        }
                    }
                    _ => {
                        groups.insert(Group::Security);
                    }
                }
            }
        }
        _ => {}
    }
}

/// The subfields that run: those not skipped by `@skip(if: true)` or `@include(if: false)`.
fn included<'a>(field: SelectionField<'a>) -> Vec<SelectionField<'a>> {
    let children: Vec<SelectionField<'a>> = field.selection_set().collect();
    children
        .into_iter()
        .filter(|child| {
            let Ok(directives) = child.directives() else {
                return true;
            };
            !directives.iter().any(|d| {
                let flag = d
                    .arguments
                    .iter()
                    .find(|(name, _)| name.node.as_str() == "if")
                    .map(|(_, v)| v.node == Value::Boolean(true));
                match d.name.node.as_str() {
                    "skip" => flag == Some(true),
                    "include" => flag == Some(false),
                    _ => false,
                }
            })
        })
        .collect()
}

/// An integer argument with variables resolved; `default` when absent; `None` when it is
/// not an integer (the field itself then reports the error).
fn int_argument(field: &SelectionField<'_>, name: &str, default: i64) -> Option<i64> {
    let arguments = field.arguments().ok()?;
    match arguments.iter().find(|(n, _)| n.as_str() == name) {
        None | Some((_, Value::Null)) => Some(default),
        Some((_, Value::Number(n))) => n.as_i64(),
        Some(_) => None,
    }
}
