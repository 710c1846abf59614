//! The Aggregate API: `GET /api/now/stats/{table}` (also `/api/now/v1/stats/{table}`).
//!
//! `sysparm_count=true` counts, `sysparm_{avg,min,max,sum}_fields` aggregate fields,
//! `sysparm_group_by` groups, `sysparm_query` (and name-value pairs such as `&active=true`)
//! filters, `sysparm_display_value` labels the group values, `sysparm_order_by` orders the
//! groups (a field, `COUNT` or `AVG^field`…, then `^DESC` for descending). Counts are exact whatever the
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
    admit, allowed, choices, display_of, field_at, invalid_table, matching, method_not_allowed,
    resolve, roles_of, row_readable, Access,
};

const AGGREGATES: [&str; 4] = ["avg", "min", "max", "sum"];

pub fn handle(s: &mut State, req: &Req, name: &str, info: &mut LogInfo) -> Response<Body> {
    let actor = match admit(s, req, info) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if req.method != Method::GET {
        return method_not_allowed();
    }
    let Some(table) = schema::table(name) else {
        return invalid_table(name);
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
    order_groups(req, table, store, &mut groups);
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

/// `sysparm_order_by`: a group-by field, `COUNT`, or `<AGG>^field`, each ascending unless
/// followed by `^DESC`; several separated by commas. Without it groups stay in ascending order
/// of their values.
fn order_groups(
    req: &Req,
    table: &'static Table,
    store: &crate::store::Store,
    groups: &mut [(Vec<String>, Vec<&Record>)],
) {
    let Some(spec) = req
        .param("sysparm_order_by")
        .filter(|o| !o.trim().is_empty())
    else {
        return;
    };
    // (key of a group, numeric, descending) per term.
    type Key<'a> = Box<dyn Fn(&(Vec<String>, Vec<&Record>)) -> String + 'a>;
    let group_by = list_param(req, "sysparm_group_by");
    let mut terms: Vec<(Key, bool, bool)> = Vec::new();
    for term in spec.split(',') {
        let mut parts: Vec<&str> = term.split('^').map(str::trim).collect();
        let desc = parts.last().is_some_and(|p| p.eq_ignore_ascii_case("DESC"));
        if desc {
            parts.pop();
        }
        match parts.as_slice() {
            [c] if c.eq_ignore_ascii_case("COUNT") => {
                terms.push((Box::new(|g| g.1.len().to_string()), true, desc));
            }
            [agg, field] if AGGREGATES.contains(&agg.to_ascii_lowercase().as_str()) => {
                let agg = agg.to_ascii_lowercase();
                let field = field.to_string();
                let numeric_agg = agg == "avg" || agg == "sum" || numeric(table, &field);
                terms.push((
                    Box::new(move |g| {
                        let values: Vec<String> =
                            g.1.iter()
                                .map(|r| resolve(store, table, r, &field))
                                .collect();
                        aggregate(&agg, table, &field, &values)
                    }),
                    numeric_agg,
                    desc,
                ));
            }
            [field] => {
                if let Some(i) = group_by.iter().position(|f| f == field) {
                    terms.push((
                        Box::new(move |g| g.0[i].clone()),
                        numeric(table, field),
                        desc,
                    ));
                }
            }
            _ => {}
        }
    }
    groups.sort_by(|a, b| {
        terms
            .iter()
            .map(|(key, numeric, desc)| {
                let o = compare(&key(a), &key(b), *numeric);
                if *desc {
                    o.reverse()
                } else {
                    o
                }
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
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
            if agg == "avg" {
                if numbers.is_empty() {
                    return String::new();
                }
                // Averages always carry four decimals ("1.0000"), as in the documentation.
                return format!("{:.4}", sum / numbers.len() as f64);
            }
            format_number(sum)
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
