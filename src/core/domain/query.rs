//! ServiceNow encoded queries (`sysparm_query`) and URL query-string encoding.
//!
//! Encoded queries have no escape character: `^` always separates terms, and `,` separates the
//! values of `IN`. A value holding either cannot be expressed, so the builder refuses it (the
//! error names the field) rather than silently building a different query; callers that take
//! free text from a person (search boxes) run it through [`sanitize_value`] first, which strips
//! what cannot be sent. Values starting with `javascript:` are evaluated by the instance, so the
//! builder refuses them too, except through the explicit [`EncodedQuery::eq_script`].
//!
//! Percent-encoding is hand-rolled (a few lines) instead of pulling the `url` crate, whose IDNA
//! tables cost far more wasm than everything here.

/// Why an encoded query could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("field name {0:?} is not a ServiceNow column name")]
    InvalidField(String),
    #[error("value for {field} contains '^', which encoded queries cannot escape")]
    Caret { field: String },
    #[error("a value of {field} IN … contains ',', which separates IN values")]
    CommaInList { field: String },
    #[error("value for {field} would run as server-side script")]
    Script { field: String },
    #[error("value for {field} contains a line break")]
    LineBreak { field: String },
    /// C0/C1 controls and the Unicode line separators: nothing a user means, and a way to
    /// hide `javascript:` from a prefix check.
    #[error("value for {field} contains a control character")]
    Control { field: String },
    #[error("{field} IN … needs at least one value")]
    EmptyList { field: String },
}

/// One term, kept structured until `build` so errors can be reported once, with the field.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Cond {
        or: bool,
        field: String,
        op: &'static str,
        value: String,
        script_ok: bool,
    },
    In {
        field: String,
        values: Vec<String>,
    },
    OrderBy {
        field: String,
        desc: bool,
    },
}

/// A builder for `sysparm_query` values. Terms are joined with `^` (and) in order; `or_*`
/// terms join with `^OR`, which ServiceNow binds tighter than `^`: `a^b^ORc` is a AND (b OR c).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncodedQuery {
    terms: Vec<Term>,
}

impl EncodedQuery {
    pub fn new() -> Self {
        EncodedQuery::default()
    }

    fn cond(mut self, or: bool, field: &str, op: &'static str, value: &str) -> Self {
        self.terms.push(Term::Cond {
            or,
            field: field.to_owned(),
            op,
            value: value.to_owned(),
            script_ok: false,
        });
        self
    }

    /// `field=value`
    pub fn eq(self, field: &str, value: &str) -> Self {
        self.cond(false, field, "=", value)
    }

    /// `field!=value`
    pub fn ne(self, field: &str, value: &str) -> Self {
        self.cond(false, field, "!=", value)
    }

    /// `fieldSTARTSWITHvalue`
    pub fn starts_with(self, field: &str, value: &str) -> Self {
        self.cond(false, field, "STARTSWITH", value)
    }

    /// `fieldLIKEvalue` (ServiceNow's "contains").
    pub fn like(self, field: &str, value: &str) -> Self {
        self.cond(false, field, "LIKE", value)
    }

    /// `fieldNOT LIKEvalue` (ServiceNow's "does not contain").
    pub fn not_like(self, field: &str, value: &str) -> Self {
        self.cond(false, field, "NOT LIKE", value)
    }

    /// `^ORfield=value`
    pub fn or_eq(self, field: &str, value: &str) -> Self {
        self.cond(true, field, "=", value)
    }

    /// `^ORfieldSTARTSWITHvalue`
    pub fn or_starts_with(self, field: &str, value: &str) -> Self {
        self.cond(true, field, "STARTSWITH", value)
    }

    /// `^ORfieldLIKEvalue`
    pub fn or_like(self, field: &str, value: &str) -> Self {
        self.cond(true, field, "LIKE", value)
    }

    /// `field=javascript:…`: the only way to put server-side script in a query (who-am-i uses
    /// `javascript:gs.getUserID()`); never call it with text that came from a person.
    pub fn eq_script(mut self, field: &str, script: &str) -> Self {
        self.terms.push(Term::Cond {
            or: false,
            field: field.to_owned(),
            op: "=",
            value: script.to_owned(),
            script_ok: true,
        });
        self
    }

    /// `fieldINa,b,c`
    pub fn in_<I, S>(mut self, field: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let values = values.into_iter().map(|v| v.as_ref().to_owned()).collect();
        self.terms.push(Term::In {
            field: field.to_owned(),
            values,
        });
        self
    }

    /// `ORDERBYfield`
    pub fn order_by(mut self, field: &str) -> Self {
        self.terms.push(Term::OrderBy {
            field: field.to_owned(),
            desc: false,
        });
        self
    }

    /// `ORDERBYDESCfield`
    pub fn order_by_desc(mut self, field: &str) -> Self {
        self.terms.push(Term::OrderBy {
            field: field.to_owned(),
            desc: true,
        });
        self
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The `sysparm_query` value (not yet percent-encoded for a URL).
    pub fn build(&self) -> Result<String, QueryError> {
        let mut out = String::new();
        for (i, term) in self.terms.iter().enumerate() {
            match term {
                Term::Cond {
                    or,
                    field,
                    op,
                    value,
                    script_ok,
                } => {
                    check_field(field)?;
                    check_value(field, value, *script_ok)?;
                    if i > 0 {
                        out.push_str(if *or { "^OR" } else { "^" });
                    }
                    out.push_str(field);
                    out.push_str(op);
                    out.push_str(value);
                }
                Term::In { field, values } => {
                    check_field(field)?;
                    if values.is_empty() {
                        return Err(QueryError::EmptyList {
                            field: field.clone(),
                        });
                    }
                    for v in values {
                        check_value(field, v, false)?;
                        if v.contains(',') {
                            return Err(QueryError::CommaInList {
                                field: field.clone(),
                            });
                        }
                    }
                    if i > 0 {
                        out.push('^');
                    }
                    out.push_str(field);
                    out.push_str("IN");
                    out.push_str(&values.join(","));
                }
                Term::OrderBy { field, desc } => {
                    check_field(field)?;
                    if i > 0 {
                        out.push('^');
                    }
                    out.push_str(if *desc { "ORDERBYDESC" } else { "ORDERBY" });
                    out.push_str(field);
                }
            }
        }
        Ok(out)
    }
}

/// Column names, including dot-walks (`assigned_to.name`); anything else could smuggle terms.
fn check_field(field: &str) -> Result<(), QueryError> {
    let ok = !field.is_empty()
        && field.len() <= 80
        && field
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        && !field.starts_with('.')
        && !field.ends_with('.');
    if ok {
        Ok(())
    } else {
        Err(QueryError::InvalidField(field.to_owned()))
    }
}

fn check_value(field: &str, value: &str, script_ok: bool) -> Result<(), QueryError> {
    if value.contains('^') {
        return Err(QueryError::Caret {
            field: field.to_owned(),
        });
    }
    if value.contains(['\n', '\r']) {
        return Err(QueryError::LineBreak {
            field: field.to_owned(),
        });
    }
    if value.chars().any(is_control) {
        return Err(QueryError::Control {
            field: field.to_owned(),
        });
    }
    if !script_ok && is_script(value) {
        return Err(QueryError::Script {
            field: field.to_owned(),
        });
    }
    Ok(())
}

/// Characters no query value keeps: controls, and U+2028/U+2029 (line breaks to a script).
fn is_control(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

fn is_script(value: &str) -> bool {
    value
        .trim_start_matches(|c: char| c.is_whitespace() || is_control(c))
        .get(..11)
        .is_some_and(|p| p.eq_ignore_ascii_case("javascript:"))
}

/// Makes free text (a search box) safe for a query value: drops `^`, line breaks become spaces,
/// a leading `javascript:` loses its colon, and the ends are trimmed.
pub fn sanitize_value(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .filter(|&c| c != '^')
        .map(|c| if is_control(c) { ' ' } else { c })
        .collect();
    let mut cleaned = cleaned.trim().to_owned();
    while is_script(&cleaned) {
        if let Some(pos) = cleaned.find(':') {
            cleaned.replace_range(pos..=pos, " ");
        }
        cleaned = cleaned.trim().to_owned();
    }
    cleaned
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so the result is safe as a
/// query value, a form value, or a path segment.
// Hand-written, like `percent_decode` and `parse_query_string`: the percent-encoding and
// form_urlencoded crates added 1.8 KB to the content script's wasm (bench of issue 14).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            crate::push_upper_hex(&mut out, &[b]);
        }
    }
    out
}

/// [`percent_decode`] without a copy when `text` has nothing to decode (no `%`, no `+`): every
/// row's link goes through it.
pub fn decoded(text: &str) -> std::borrow::Cow<'_, str> {
    if text.bytes().any(|b| matches!(b, b'%' | b'+')) {
        std::borrow::Cow::Owned(percent_decode(text))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Decodes `%XX` escapes and, for form/query values, `+` as space. Malformed escapes are kept
/// as written; invalid UTF-8 becomes U+FFFD (the result is shown or compared, never executed).
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => match (
                bytes.get(i + 1).and_then(|&h| crate::hex_value(h)),
                bytes.get(i + 2).and_then(|&l| crate::hex_value(l)),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    lossy_utf8(&out)
}

/// `bytes` as text, each invalid sequence as one U+FFFD: what `String::from_utf8_lossy` gives,
/// through `str::from_utf8`'s error alone (its chunk iterator is 0.5 KB of every wasm that
/// parses a URL: issue 17).
fn lossy_utf8(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(rest) => {
                out.push_str(rest);
                return out;
            }
            Err(e) => {
                let (valid, after) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                out.push('\u{FFFD}');
                bytes = after
                    .get(e.error_len().unwrap_or(after.len())..)
                    .unwrap_or_default();
            }
        }
    }
}

/// `key=value&…` with both sides percent-encoded: the query string of a URL, or an
/// `application/x-www-form-urlencoded` body (ServiceNow's token endpoint takes only that).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryString {
    out: String,
}

impl QueryString {
    pub fn new() -> Self {
        QueryString::default()
    }

    pub fn param(mut self, key: &str, value: &str) -> Self {
        self.push(key, value);
        self
    }

    /// Adds the pair only when there is a value.
    pub fn opt_param(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.param(key, v),
            None => self,
        }
    }

    pub fn push(&mut self, key: &str, value: &str) {
        if !self.out.is_empty() {
            self.out.push('&');
        }
        self.out.push_str(&percent_encode(key));
        self.out.push('=');
        self.out.push_str(&percent_encode(value));
    }

    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// Splits `a=1&b=2` (no leading `?`) into decoded pairs, keeping order and duplicates.
pub fn parse_query_string(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(pair), String::new()),
        })
        .collect()
}

/// The first value of `key` in a decoded query.
pub fn query_param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_borrows_what_has_nothing_to_decode_and_decodes_the_rest() {
        for text in [
            "AdminMFAV2",
            "",
            "a.b-c_d~e",
            "Δ ü",
            "100%",
            "a+b",
            "%41%zz",
            "x%2Bx",
        ] {
            let d = decoded(text);
            assert_eq!(d, percent_decode(text), "{text:?}");
            let borrowed = matches!(d, std::borrow::Cow::Borrowed(_));
            assert_eq!(borrowed, !text.contains(['%', '+']), "{text:?}");
        }
    }

    #[test]
    fn builds_the_ticket_list_query() {
        let q = EncodedQuery::new()
            .starts_with("correlation_id", "snshare:")
            .order_by_desc("sys_updated_on")
            .build()
            .unwrap();
        assert_eq!(
            q,
            "correlation_idSTARTSWITHsnshare:^ORDERBYDESCsys_updated_on"
        );
    }

    #[test]
    fn builds_and_or_in_like_terms() {
        let q = EncodedQuery::new()
            .eq("active", "true")
            .in_("state", ["1", "2", "-5"])
            .like("short_description", "MFA")
            .or_like("number", "MFA")
            .ne("priority", "5")
            .or_eq("priority", "")
            .order_by("number")
            .build()
            .unwrap();
        assert_eq!(
            q,
            "active=true^stateIN1,2,-5^short_descriptionLIKEMFA^ORnumberLIKEMFA^priority!=5^ORpriority=^ORDERBYnumber"
        );
    }

    #[test]
    fn an_empty_query_builds_to_nothing() {
        assert_eq!(EncodedQuery::new().build().unwrap(), "");
        assert!(EncodedQuery::new().is_empty());
    }

    #[test]
    fn refuses_what_cannot_be_escaped() {
        assert_eq!(
            EncodedQuery::new()
                .eq("short_description", "a^ORactive=false")
                .build(),
            Err(QueryError::Caret {
                field: "short_description".into()
            })
        );
        assert_eq!(
            EncodedQuery::new().in_("state", ["1,2"]).build(),
            Err(QueryError::CommaInList {
                field: "state".into()
            })
        );
        assert_eq!(
            EncodedQuery::new()
                .in_("state", Vec::<String>::new())
                .build(),
            Err(QueryError::EmptyList {
                field: "state".into()
            })
        );
        assert_eq!(
            EncodedQuery::new().eq("state^active", "1").build(),
            Err(QueryError::InvalidField("state^active".into()))
        );
        assert_eq!(
            EncodedQuery::new().eq("", "1").build(),
            Err(QueryError::InvalidField(String::new()))
        );
        assert_eq!(
            EncodedQuery::new().like("number", "x\ny").build(),
            Err(QueryError::LineBreak {
                field: "number".into()
            })
        );
    }

    #[test]
    fn script_values_need_the_explicit_method() {
        assert_eq!(
            EncodedQuery::new()
                .eq("sys_id", "JavaScript:gs.getUserID()")
                .build(),
            Err(QueryError::Script {
                field: "sys_id".into()
            })
        );
        assert_eq!(
            EncodedQuery::new()
                .eq_script("sys_id", "javascript:gs.getUserID()")
                .build()
                .unwrap(),
            "sys_id=javascript:gs.getUserID()"
        );
    }

    #[test]
    fn dot_walked_fields_are_allowed() {
        assert_eq!(
            EncodedQuery::new()
                .eq("assigned_to.name", "Beth")
                .build()
                .unwrap(),
            "assigned_to.name=Beth"
        );
    }

    #[test]
    fn sanitize_makes_free_text_buildable() {
        assert_eq!(sanitize_value("  a^ORb\nc "), "aORb c");
        assert_eq!(sanitize_value("javascript:alert(1)"), "javascript alert(1)");
        assert_eq!(sanitize_value("  JAVASCRIPT:x"), "JAVASCRIPT x");
        let s = sanitize_value("^^x^^");
        assert_eq!(s, "x");
        assert!(EncodedQuery::new()
            .like("number", &sanitize_value("javascript:x^y"))
            .build()
            .is_ok());
    }

    #[test]
    fn control_characters_neither_pass_nor_hide_a_script() {
        for value in [
            "\u{1}javascript:gs.getUserID()",
            "\u{1f}\u{7f}JavaScript:x",
            "\u{2028}javascript:x",
        ] {
            let built = EncodedQuery::new().like("short_description", value).build();
            assert!(built.is_err(), "{value:?}: {built:?}");
            let clean = sanitize_value(value);
            assert!(!clean.chars().any(char::is_control), "{clean:?}");
            assert!(
                !clean.to_ascii_lowercase().contains("javascript:"),
                "{clean:?}"
            );
            assert!(EncodedQuery::new()
                .like("short_description", &clean)
                .build()
                .is_ok());
        }
        assert_eq!(
            EncodedQuery::new().eq("number", "INC\u{0}1").build(),
            Err(QueryError::Control {
                field: "number".into()
            })
        );
    }

    #[test]
    fn percent_encoding_round_trips() {
        assert_eq!(percent_encode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
        assert_eq!(percent_encode("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(percent_decode("a%20b%26c%3Dd%2F%C3%A9~"), "a b&c=d/é~");
        assert_eq!(percent_decode("a+b"), "a b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
    }

    /// The hand-written decoding gives what `from_utf8_lossy` does, sequence by sequence, and
    /// reads an escape only as two hex digits (`u8::from_str_radix` took "%+F" for 0x0F).
    #[test]
    fn percent_decoding_replaces_invalid_utf8_as_std_does() {
        let cases: [&[u8]; 9] = [
            b"",
            b"plain",
            "é🙂€".as_bytes(),
            b"\xFF",
            b"a\xC3",
            b"\xC3(b",
            b"\xE2\x82",
            b"\xF0\x9F\x99x\xFF\xFEok",
            b"\xED\xA0\x80z",
        ];
        for bytes in cases {
            let escaped: String = bytes
                .iter()
                .map(|b| ["%", &format!("{b:02x}")].concat())
                .collect();
            assert_eq!(
                percent_decode(&escaped),
                String::from_utf8_lossy(bytes),
                "{bytes:?}"
            );
        }
        // The "+" after a "%" that starts no escape is a space, as everywhere in a query.
        assert_eq!(percent_decode("%+F%-1%4g%4G"), "% F%-1%4g%4G");
        assert_eq!(percent_decode("%c3%A9%2b"), "é+");
    }

    #[test]
    fn query_strings_encode_both_sides() {
        let qs = QueryString::new()
            .param(
                "sysparm_query",
                "correlation_idSTARTSWITHsnshare:^ORDERBYDESCsys_updated_on",
            )
            .param("sysparm_fields", "sys_id,number")
            .opt_param("sysparm_limit", None)
            .opt_param("sysparm_offset", Some("20"))
            .finish();
        assert_eq!(
            qs,
            "sysparm_query=correlation_idSTARTSWITHsnshare%3A%5EORDERBYDESCsys_updated_on&sysparm_fields=sys_id%2Cnumber&sysparm_offset=20"
        );
        let pairs = parse_query_string(&qs);
        assert_eq!(
            query_param(&pairs, "sysparm_query"),
            Some("correlation_idSTARTSWITHsnshare:^ORDERBYDESCsys_updated_on")
        );
        assert_eq!(query_param(&pairs, "sysparm_limit"), None);
        assert_eq!(
            parse_query_string("a&b=&&c=1"),
            vec![
                ("a".into(), String::new()),
                ("b".into(), String::new()),
                ("c".into(), "1".into())
            ]
        );
    }
}
