//! The Aggregate API: `GET /api/now/stats/{table}` (also `/api/now/v1/stats/{table}`).
//!
//! `sysparm_count=true` counts, `sysparm_{avg,min,max,sum}_fields` aggregate fields,
//! `sysparm_group_by` groups, `sysparm_query` (and name-value pairs such as `&active=true`)
//! filters, `sysparm_display_value` labels the group values. Counts are exact whatever the
//! number of records. Without `sysparm_group_by` the result is one object
//! `{"stats":{"count":"N"}}`; with it, one `{"stats":…,"groupby_fields":[{"field","value"}]}`
//! per group, in ascending order of the group values. As the documentation says, the API needs
//! read access to every record of the table: a table the user cannot read, or whose rows a row
//! ACL hides from them, answers 403.

use std::collections::BTreeMap;

use hyper::{Method, Response, StatusCode};
use serde_json::{json, Map, Value};

use crate::app::{envelope, json_response, LogInfo, Req, State};
use crate::net::Body;
use crate::query::compare;
use crate::schema::{self, Kind, Table};
use crate::store::Record;
use crate::table::{
    admit, allowed, choices, display_of, field_at, matching, resolve, roles_of, row_readable,
    Access,
};

const AGGREGATES: [&str; 4] = ["avg", "min", "max", "sum"];

pub fn handle(s: &mut State, req: &Req, name: &str, info: &mut LogInfo) -> Response<Body> {
    let actor = match admit(s, req, info) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if req.method != Method::GET {
        return envelope(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not Supported",
            Some("Method not supported for the requested resource"),
        );
    }
    let Some(table) = schema::table(name) else {
        return envelope(
            StatusCode::BAD_REQUEST,
            &format!("Invalid table {name}"),
            None,
        );
    };
    let roles = roles_of(&s.store, &actor.user_name);
    if !allowed(&s.settings, &roles, table.name, Access::Read)
        || !row_readable(&s.settings, &roles, table)
    {
        return envelope(
            StatusCode::FORBIDDEN,
            "Insufficient rights to query records",
            Some(&format!(
                "Aggregates need read access to every record of {name}"
            )),
        );
    }
    let store = &s.store;
    let query = full_query(store, table, req);
    let rows = matching(store, table, &query, &actor);
    let flag = |k: &str| {
        req.param(k)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    };
    let count = flag("sysparm_count");
    let aggregates: Vec<(&str, Vec<String>)> = AGGREGATES
        .iter()
        .filter_map(|agg| {
            let fields = list_param(req, &format!("sysparm_{agg}_fields"))
                .into_iter()
                .filter(|f| field_at(table, f).is_some())
                .collect::<Vec<_>>();
            (!fields.is_empty()).then_some((*agg, fields))
        })
        .collect();
    let stats = |rows: &[&Record]| -> Value {
        let mut out = Map::new();
        if count {
            out.insert("count".into(), json!(rows.len().to_string()));
        }
        for (agg, fields) in &aggregates {
            let mut per_field = Map::new();
            for f in fields {
                let values: Vec<String> =
                    rows.iter().map(|r| resolve(store, table, r, f)).collect();
                per_field.insert(f.clone(), json!(aggregate(agg, table, f, &values)));
            }
            out.insert((*agg).to_string(), Value::Object(per_field));
        }
        Value::Object(out)
    };
    let group_by: Vec<String> = list_param(req, "sysparm_group_by")
        .into_iter()
        .filter(|f| field_at(table, f).is_some())
        .collect();
    if group_by.is_empty() {
        return json_response(StatusCode::OK, &json!({"result": {"stats": stats(&rows)}}));
    }
    let mut groups: BTreeMap<Vec<String>, Vec<&Record>> = BTreeMap::new();
    for r in &rows {
        let key = group_by
            .iter()
            .map(|f| resolve(store, table, r, f))
            .collect();
        groups.entry(key).or_default().push(r);
    }
    let mut groups: Vec<(Vec<String>, Vec<&Record>)> = groups.into_iter().collect();
    groups.sort_by(|(a, _), (b, _)| {
        group_by
            .iter()
            .zip(a.iter().zip(b))
            .map(|(f, (x, y))| compare(x, y, numeric(table, f)))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let display = req
        .param("sysparm_display_value")
        .map(str::to_ascii_lowercase);
    let result: Vec<Value> = groups
        .iter()
        .map(|(key, members)| {
            let fields: Vec<Value> = group_by
                .iter()
                .zip(key)
                .map(|(f, value)| {
                    let label = || match field_at(table, f) {
                        Some((ft, field)) => display_of(store, ft, field, value),
                        None => value.clone(),
                    };
                    match display.as_deref() {
                        Some("true") => json!({"field": f, "value": label()}),
                        Some("all") => {
                            json!({"field": f, "value": value, "display_value": label()})
                        }
                        _ => json!({"field": f, "value": value}),
                    }
                })
                .collect();
            json!({"stats": stats(members), "groupby_fields": fields})
        })
        .collect();
    json_response(StatusCode::OK, &json!({ "result": result }))
}

fn list_param(req: &Req, name: &str) -> Vec<String> {
    req.param(name)
        .unwrap_or("")
        .split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

fn numeric(table: &'static Table, path: &str) -> bool {
    field_at(table, path).is_some_and(|(_, f)| f.kind.numeric())
}

/// `sysparm_query` and the name-value pairs (`&state=7`, or by label `&state=Closed` for a
/// choice field) that the Aggregate API takes in its place, as one encoded query.
fn full_query(store: &crate::store::Store, table: &'static Table, req: &Req) -> String {
    let mut terms: Vec<String> = req
        .param("sysparm_query")
        .filter(|q| !q.is_empty())
        .map(|q| vec![q.to_string()])
        .unwrap_or_default();
    for (k, v) in &req.query {
        if k.starts_with("sysparm_") {
            continue;
        }
        let Some((_, field)) = field_at(table, k) else {
            continue;
        };
        let value = match field.kind {
            Kind::IntChoice | Kind::TextChoice => choices(store, table.name, k)
                .into_iter()
                .find(|(value, label)| value == v || label.eq_ignore_ascii_case(v))
                .map(|(value, _)| value.to_string())
                .unwrap_or_else(|| v.clone()),
            _ => v.clone(),
        };
        terms.push(format!("{k}={value}"));
    }
    terms.join("^")
}

/// One aggregate of a field's values: numbers for avg and sum (empty values left out), the
/// smallest or largest value for min and max.
fn aggregate(agg: &str, table: &'static Table, field: &str, values: &[String]) -> String {
    let present = values.iter().filter(|v| !v.is_empty());
    match agg {
        "min" => present
            .min_by(|a, b| compare(a, b, numeric(table, field)))
            .cloned()
            .unwrap_or_default(),
        "max" => present
            .max_by(|a, b| compare(a, b, numeric(table, field)))
            .cloned()
            .unwrap_or_default(),
        _ => {
            let numbers: Vec<f64> = present.filter_map(|v| v.trim().parse().ok()).collect();
            let sum: f64 = numbers.iter().sum();
            let value = if agg == "avg" {
                if numbers.is_empty() {
                    return String::new();
                }
                sum / numbers.len() as f64
            } else {
                sum
            };
            format_number(value)
        }
    }
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.4}")
    }
}
