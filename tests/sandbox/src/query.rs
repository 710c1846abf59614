//! Encoded queries (`sysparm_query`): `^` and, `^OR` or, `^NQ` new query, the usual operators,
//! `ORDERBY`/`ORDERBYDESC`, and `javascript:gs.getUserID()`. As on an instance, a term naming an
//! unknown field is ignored rather than refused.

use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Like,
    NotLike,
    StartsWith,
    EndsWith,
    IsEmpty,
    IsNotEmpty,
}

/// Longest first, so that `NOT IN` is not read as `IN` and `<=` not as `<`.
const OPERATORS: &[(&str, Op)] = &[
    ("ISNOTEMPTY", Op::IsNotEmpty),
    ("STARTSWITH", Op::StartsWith),
    ("NOT LIKE", Op::NotLike),
    ("ENDSWITH", Op::EndsWith),
    ("NOTLIKE", Op::NotLike),
    ("ISEMPTY", Op::IsEmpty),
    ("NOT IN", Op::NotIn),
    ("LIKE", Op::Like),
    ("!=", Op::Ne),
    ("<=", Op::Le),
    (">=", Op::Ge),
    ("IN", Op::In),
    ("=", Op::Eq),
    ("<", Op::Lt),
    (">", Op::Gt),
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cond {
    pub field: String,
    pub op: Op,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub field: String,
    pub desc: bool,
}

/// A parsed query: alternatives (`^NQ`) of conjunctions of terms, each term a disjunction (`^OR`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    groups: Vec<Vec<Vec<Cond>>>,
    pub order: Vec<Order>,
}

/// What the parser needs to know of the table queried.
pub trait Schema {
    /// Whether `path` (a field, or `reference.field`) exists.
    fn known(&self, path: &str) -> bool;
    /// Whether `path` compares as a number.
    fn numeric(&self, path: &str) -> bool;
}

/// Values of the `javascript:` functions an encoded query may use.
pub struct Vars<'a> {
    pub user_sys_id: &'a str,
    pub user_name: &'a str,
}

impl Query {
    pub fn parse(q: &str, schema: &dyn Schema, vars: &Vars<'_>) -> Query {
        let mut query = Query::default();
        for group in q.split("^NQ") {
            let mut terms: Vec<Vec<Cond>> = Vec::new();
            // A term whose field is unknown is dropped; an `^OR` after it joins nothing.
            let mut last_dropped = false;
            for raw in group.split('^') {
                let raw = raw.trim();
                if raw.is_empty() || raw == "EQ" {
                    continue;
                }
                if let Some(field) = raw.strip_prefix("ORDERBYDESC") {
                    if schema.known(field) {
                        query.order.push(Order {
                            field: field.to_string(),
                            desc: true,
                        });
                    }
                    continue;
                }
                if let Some(field) = raw.strip_prefix("ORDERBY") {
                    if schema.known(field) {
                        query.order.push(Order {
                            field: field.to_string(),
                            desc: false,
                        });
                    }
                    continue;
                }
                if raw.starts_with("GROUPBY") {
                    continue;
                }
                let (alternative, text) = match raw.strip_prefix("OR") {
                    Some(rest) => (true, rest),
                    None => (false, raw),
                };
                let cond = parse_cond(text, vars).filter(|c| schema.known(&c.field));
                match (alternative, cond) {
                    (true, Some(c)) => match terms.last_mut() {
                        Some(last) if !last_dropped => last.push(c),
                        _ => {
                            terms.push(vec![c]);
                            last_dropped = false;
                        }
                    },
                    (true, None) => {}
                    (false, Some(c)) => {
                        terms.push(vec![c]);
                        last_dropped = false;
                    }
                    (false, None) => last_dropped = true,
                }
            }
            query.groups.push(terms);
        }
        query
    }

    /// Whether a record matches; `get` gives a field's raw value ("" when empty).
    pub fn matches(&self, schema: &dyn Schema, get: &dyn Fn(&str) -> String) -> bool {
        self.groups.is_empty()
            || self.groups.iter().any(|terms| {
                terms.iter().all(|alternatives| {
                    alternatives
                        .iter()
                        .any(|c| eval(c, schema.numeric(&c.field), &get(&c.field)))
                })
            })
    }

    /// Sorts rows by the query's `ORDERBY` terms (stable: insertion order breaks ties).
    pub fn sort<T>(&self, schema: &dyn Schema, rows: &mut [T], get: &dyn Fn(&T, &str) -> String) {
        if self.order.is_empty() {
            return;
        }
        rows.sort_by(|a, b| {
            for o in &self.order {
                let ord = compare(
                    &get(a, &o.field),
                    &get(b, &o.field),
                    schema.numeric(&o.field),
                );
                let ord = if o.desc { ord.reverse() } else { ord };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        });
    }
}

fn parse_cond(text: &str, vars: &Vars<'_>) -> Option<Cond> {
    let end = text
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'))
        .unwrap_or(text.len());
    let (field, rest) = text.split_at(end);
    if field.is_empty() {
        return None;
    }
    let (op, value) = OPERATORS
        .iter()
        .find_map(|(s, op)| rest.strip_prefix(s).map(|v| (*op, v)))?;
    let value = value
        .split(',')
        .map(|v| substitute(v, vars))
        .collect::<Vec<_>>()
        .join(",");
    Some(Cond {
        field: field.to_string(),
        op,
        value,
    })
}

fn substitute(v: &str, vars: &Vars<'_>) -> String {
    match v.trim() {
        "javascript:gs.getUserID()" | "javascript:gs.getUserID();" => vars.user_sys_id.to_string(),
        "javascript:gs.getUserName()" | "javascript:gs.getUserName();" => {
            vars.user_name.to_string()
        }
        _ => v.to_string(),
    }
}

pub fn compare(a: &str, b: &str, numeric: bool) -> Ordering {
    if numeric {
        if let (Ok(x), Ok(y)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
            return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
        }
        // Empty sorts first, as NULL does.
        match (a.is_empty(), b.is_empty()) {
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
    }
    a.to_lowercase().cmp(&b.to_lowercase())
}

fn eval(c: &Cond, numeric: bool, actual: &str) -> bool {
    let a = actual.to_lowercase();
    let v = c.value.to_lowercase();
    let list = || v.split(',').map(str::trim).any(|x| x == a);
    match c.op {
        Op::Eq => compare(actual, &c.value, numeric) == Ordering::Equal,
        Op::Ne => compare(actual, &c.value, numeric) != Ordering::Equal,
        Op::Lt => !actual.is_empty() && compare(actual, &c.value, numeric) == Ordering::Less,
        Op::Le => !actual.is_empty() && compare(actual, &c.value, numeric) != Ordering::Greater,
        Op::Gt => !actual.is_empty() && compare(actual, &c.value, numeric) == Ordering::Greater,
        Op::Ge => !actual.is_empty() && compare(actual, &c.value, numeric) != Ordering::Less,
        Op::In => list(),
        Op::NotIn => !list(),
        Op::Like => a.contains(&v),
        Op::NotLike => !a.contains(&v),
        Op::StartsWith => a.starts_with(&v),
        Op::EndsWith => a.ends_with(&v),
        Op::IsEmpty => actual.trim().is_empty(),
        Op::IsNotEmpty => !actual.trim().is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct S;
    impl Schema for S {
        fn known(&self, p: &str) -> bool {
            [
                "state",
                "short_description",
                "number",
                "caller_id",
                "caller_id.user_name",
                "priority",
            ]
            .contains(&p)
        }
        fn numeric(&self, p: &str) -> bool {
            p == "state" || p == "priority"
        }
    }
    const VARS: Vars<'static> = Vars {
        user_sys_id: "u1",
        user_name: "abel.tuter",
    };

    fn rec(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
    fn hit(q: &str, r: &HashMap<String, String>) -> bool {
        Query::parse(q, &S, &VARS).matches(&S, &|f| r.get(f).cloned().unwrap_or_default())
    }

    #[test]
    fn operators() {
        let r = rec(&[
            ("state", "2"),
            ("short_description", "Enable MFA for admins"),
            ("caller_id", "u1"),
        ]);
        assert!(hit("state=2", &r));
        assert!(!hit("state!=2", &r));
        assert!(hit("stateIN1,2,3", &r));
        assert!(!hit("stateNOT IN1,2,3", &r));
        assert!(hit("short_descriptionLIKEmfa", &r));
        assert!(hit("short_descriptionSTARTSWITHenable", &r));
        assert!(!hit("short_descriptionSTARTSWITHmfa", &r));
        assert!(hit("short_descriptionENDSWITHadmins", &r));
        assert!(hit("state<3^state>=2", &r));
        assert!(hit("caller_id=javascript:gs.getUserID()", &r));
        assert!(hit("numberISEMPTY", &r));
        assert!(!hit("numberISNOTEMPTY", &r));
    }

    #[test]
    fn and_or_and_new_query() {
        let r = rec(&[("state", "2"), ("priority", "4")]);
        assert!(hit("state=1^ORstate=2", &r));
        assert!(!hit("state=1^ORstate=3", &r));
        assert!(!hit("state=2^priority=1", &r));
        assert!(hit("state=2^priority=1^ORpriority=4", &r));
        assert!(hit("state=9^NQpriority=4", &r));
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let r = rec(&[("state", "2")]);
        assert!(hit("no_such_field=1", &r));
        assert!(hit("no_such_field=1^state=2", &r));
        assert!(!hit("no_such_field=1^state=3", &r));
        assert!(hit("", &r));
    }

    #[test]
    fn orderby_numeric_and_desc() {
        let q = Query::parse("ORDERBYDESCstate^ORDERBYnumber", &S, &VARS);
        let mut rows = vec![
            rec(&[("state", "10"), ("number", "b")]),
            rec(&[("state", "9"), ("number", "a")]),
            rec(&[("state", "10"), ("number", "a")]),
        ];
        q.sort(&S, &mut rows, &|r, f| r.get(f).cloned().unwrap_or_default());
        let got: Vec<_> = rows
            .iter()
            .map(|r| format!("{}{}", r["state"], r["number"]))
            .collect();
        assert_eq!(got, ["10a", "10b", "9a"]);
    }
}
