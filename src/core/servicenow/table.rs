//! The Table API, generic: `/api/now/table/{table}` with its `sysparm_*`
//! parameters, `{"result": …}` answers, `X-Total-Count` and `Link` paging headers.

use serde::Serialize;

use crate::domain::instance::InstanceUrl;
use crate::domain::query::{percent_encode, QueryString};
use crate::domain::token::Secret;

use super::client::{api_headers, Client, Record};
use super::error::{ClientError, DecodeKind, Endpoint};
use super::transport::{HttpRequest, HttpResponse, Method, Transport};

/// `sysparm_display_value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayValue {
    False,
    True,
    /// Each field becomes `{"display_value":…,"value":…}`.
    All,
}

impl DisplayValue {
    fn as_str(self) -> &'static str {
        match self {
            DisplayValue::False => "false",
            DisplayValue::True => "true",
            DisplayValue::All => "all",
        }
    }
}

/// `sysparm_*` parameters. `query`, `limit`, `offset` and `no_count` apply to lists; the
/// others to every call (a create returns the record shaped by them too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableParams {
    /// A built encoded query (`EncodedQuery::build`).
    pub query: Option<String>,
    /// Empty: every field (avoid; list only what is shown).
    pub fields: Vec<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    pub display_value: Option<DisplayValue>,
    pub exclude_reference_link: bool,
    /// Skip the count query (no X-Total-Count) when the total is not shown.
    pub no_count: bool,
}

impl TableParams {
    fn query_string(&self) -> String {
        let mut qs = QueryString::new();
        if let Some(q) = self.query.as_deref().filter(|q| !q.is_empty()) {
            qs.push("sysparm_query", q);
        }
        if !self.fields.is_empty() {
            qs.push("sysparm_fields", &self.fields.join(","));
        }
        if let Some(l) = self.limit {
            qs.push("sysparm_limit", &l.to_string());
        }
        if let Some(o) = self.offset {
            qs.push("sysparm_offset", &o.to_string());
        }
        if let Some(d) = self.display_value {
            qs.push("sysparm_display_value", d.as_str());
        }
        if self.exclude_reference_link {
            qs.push("sysparm_exclude_reference_link", "true");
        }
        if self.no_count {
            qs.push("sysparm_no_count", "true");
        }
        qs.finish()
    }
}

/// The `Link` header's relations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    pub first: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub last: Option<String>,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub records: Vec<Record>,
    /// `X-Total-Count`: matching records, all pages.
    pub total: Option<u32>,
    pub links: Links,
}

fn url(instance: &InstanceUrl, table: &str, params: &TableParams) -> String {
    let mut u = instance.url(&format!("/api/now/table/{}", percent_encode(table)));
    let qs = params.query_string();
    if !qs.is_empty() {
        u.push('?');
        u.push_str(&qs);
    }
    u
}

/// `GET /api/now/table/{table}?…`
pub fn list_request(
    instance: &InstanceUrl,
    token: &Secret,
    table: &str,
    params: &TableParams,
    timeout_ms: u32,
) -> HttpRequest {
    HttpRequest {
        method: Method::Get,
        url: url(instance, table, params),
        headers: api_headers(token, false),
        body: None,
        timeout_ms,
    }
}

fn body_json<B: Serialize>(body: &B) -> Result<String, ClientError> {
    serde_json::to_string(body)
        .map_err(|e| ClientError::decode("request body", DecodeKind::Field, e.to_string()))
}

/// `POST /api/now/table/{table}?…` with a JSON body.
pub fn create_request<B: Serialize>(
    instance: &InstanceUrl,
    token: &Secret,
    table: &str,
    body: &B,
    params: &TableParams,
    timeout_ms: u32,
) -> Result<HttpRequest, ClientError> {
    Ok(HttpRequest {
        method: Method::Post,
        url: url(instance, table, params),
        headers: api_headers(token, true),
        body: Some(body_json(body)?),
        timeout_ms,
    })
}

fn result_of(table: &str, resp: &HttpResponse) -> Result<serde_json::Value, ClientError> {
    let v: serde_json::Value = serde_json::from_str(&resp.body).map_err(|_| {
        let ct = resp.header("content-type").unwrap_or("no content type");
        ClientError::decode(
            table,
            DecodeKind::NotJson,
            format!("HTTP {} body is not JSON ({ct})", resp.status),
        )
    })?;
    match v {
        serde_json::Value::Object(mut o) => o.remove("result").ok_or_else(|| {
            ClientError::decode(table, DecodeKind::NoResult, "no \"result\" in the answer")
        }),
        _ => Err(ClientError::decode(
            table,
            DecodeKind::NoResult,
            "the answer is not a JSON object",
        )),
    }
}

/// Reads a list answer.
pub fn decode_list(table: &str, resp: &HttpResponse) -> Result<Page, ClientError> {
    let records = match result_of(table, resp)? {
        serde_json::Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                serde_json::Value::Object(o) => Ok(Record::new(table, o)),
                _ => Err(ClientError::decode(
                    format!("{table}.result[{i}]"),
                    DecodeKind::Field,
                    "not an object",
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => {
            return Err(ClientError::decode(
                format!("{table}.result"),
                DecodeKind::Field,
                "not a list",
            ))
        }
    };
    Ok(Page {
        records,
        total: resp
            .header("x-total-count")
            .and_then(|v| v.trim().parse().ok()),
        links: resp
            .header("link")
            .map(parse_link_header)
            .unwrap_or_default(),
    })
}

/// Reads a single-record answer (get, create, update).
pub fn decode_one(table: &str, resp: &HttpResponse) -> Result<Record, ClientError> {
    match result_of(table, resp)? {
        serde_json::Value::Object(o) => Ok(Record::new(table, o)),
        _ => Err(ClientError::decode(
            format!("{table}.result"),
            DecodeKind::Field,
            "not an object",
        )),
    }
}

/// Reads a single-record answer that may also come as a list of exactly one record: the Change
/// Management API's documented examples answer `{"result": [{…}]}`, while instances answer
/// `{"result": {…}}`.
pub fn decode_one_or_only(table: &str, resp: &HttpResponse) -> Result<Record, ClientError> {
    match result_of(table, resp)? {
        serde_json::Value::Object(o) => Ok(Record::new(table, o)),
        serde_json::Value::Array(mut items) if items.len() == 1 => match items.pop() {
            Some(serde_json::Value::Object(o)) => Ok(Record::new(table, o)),
            _ => Err(ClientError::decode(
                format!("{table}.result[0]"),
                DecodeKind::Field,
                "not an object",
            )),
        },
        _ => Err(ClientError::decode(
            format!("{table}.result"),
            DecodeKind::Field,
            "not one record",
        )),
    }
}

/// Parses `<url>;rel="next",<url>;rel="last"`. URLs may contain commas (`sysparm_fields`), so
/// entries are split on `<…>`, not on commas.
pub fn parse_link_header(value: &str) -> Links {
    let mut links = Links::default();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start + 1..].find('>') else {
            break;
        };
        let target = rest[start + 1..start + 1 + len].to_owned();
        rest = &rest[start + 1 + len + 1..];
        let params_end = rest.find('<').unwrap_or(rest.len());
        let params = &rest[..params_end];
        for p in params.split(';') {
            let Some((k, v)) = p.split_once('=') else {
                continue;
            };
            if !k.trim().eq_ignore_ascii_case("rel") {
                continue;
            }
            for rel in v
                .trim()
                .trim_end_matches(',')
                .trim()
                .trim_matches('"')
                .split_whitespace()
            {
                let slot = match rel.to_ascii_lowercase().as_str() {
                    "first" => &mut links.first,
                    "prev" | "previous" => &mut links.prev,
                    "next" => &mut links.next,
                    "last" => &mut links.last,
                    _ => continue,
                };
                *slot = Some(target.clone());
            }
        }
    }
    links
}

impl<T: Transport> Client<T> {
    pub async fn list(
        &self,
        token: &Secret,
        table: &str,
        params: &TableParams,
    ) -> Result<Page, ClientError> {
        let req = list_request(self.instance(), token, table, params, self.timeout_ms());
        let resp = self
            .execute(req, &Endpoint::Table(table.to_owned()))
            .await?;
        decode_list(table, &resp)
    }

    /// Creates a record. Not idempotent: on an unknown outcome, look it up before resending.
    pub async fn create<B: Serialize>(
        &self,
        token: &Secret,
        table: &str,
        body: &B,
        params: &TableParams,
    ) -> Result<Record, ClientError> {
        let req = create_request(
            self.instance(),
            token,
            table,
            body,
            params,
            self.timeout_ms(),
        )?;
        let resp = self
            .execute(req, &Endpoint::Table(table.to_owned()))
            .await?;
        decode_one(table, &resp)
    }
}

#[cfg(test)]
mod tests {
    use super::super::client::fake::{block_on, FakeTransport};
    use super::super::error::HttpError;
    use super::*;

    fn instance() -> InstanceUrl {
        InstanceUrl::parse("dev1").unwrap()
    }

    fn token() -> Secret {
        Secret::new("AT")
    }

    #[test]
    fn list_request_carries_sysparms_and_bearer() {
        let params = TableParams {
            query: Some("active=true^ORDERBYDESCsys_updated_on".into()),
            fields: vec!["sys_id".into(), "number".into()],
            limit: Some(5),
            offset: Some(10),
            display_value: Some(DisplayValue::All),
            exclude_reference_link: true,
            no_count: false,
        };
        let req = list_request(&instance(), &token(), "incident", &params, 1234);
        assert_eq!(req.method, Method::Get);
        assert_eq!(
            req.url,
            "https://dev1.service-now.com/api/now/table/incident?sysparm_query=active%3Dtrue%5EORDERBYDESCsys_updated_on&sysparm_fields=sys_id%2Cnumber&sysparm_limit=5&sysparm_offset=10&sysparm_display_value=all&sysparm_exclude_reference_link=true"
        );
        assert_eq!(req.header("authorization"), Some("Bearer AT"));
        assert_eq!(req.header("accept"), Some("application/json"));
        assert_eq!(req.header("content-type"), None);
        assert_eq!(req.timeout_ms, 1234);
        let bare = list_request(
            &instance(),
            &token(),
            "sys_user",
            &TableParams {
                no_count: true,
                ..Default::default()
            },
            1,
        );
        assert_eq!(
            bare.url,
            "https://dev1.service-now.com/api/now/table/sys_user?sysparm_no_count=true"
        );
    }

    #[test]
    fn writes_send_json_with_content_type() {
        let body = serde_json::json!({"short_description": "x"});
        let req = create_request(
            &instance(),
            &token(),
            "incident",
            &body,
            &TableParams::default(),
            1,
        )
        .unwrap();
        assert_eq!(req.method, Method::Post);
        assert_eq!(
            req.url,
            "https://dev1.service-now.com/api/now/table/incident"
        );
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(req.body.as_deref(), Some(r#"{"short_description":"x"}"#));
    }

    #[test]
    fn link_header() {
        let l = parse_link_header(
            r#"<https://dev1.service-now.com/api/now/table/incident?sysparm_fields=sys_id,number&sysparm_limit=2&sysparm_offset=0>;rel="first",<https://x/?sysparm_offset=2>;rel="next",<https://x/?sysparm_offset=8>;rel="last""#,
        );
        assert_eq!(
            l.first.as_deref(),
            Some("https://dev1.service-now.com/api/now/table/incident?sysparm_fields=sys_id,number&sysparm_limit=2&sysparm_offset=0")
        );
        assert_eq!(l.next.as_deref(), Some("https://x/?sysparm_offset=2"));
        assert_eq!(l.last.as_deref(), Some("https://x/?sysparm_offset=8"));
        assert_eq!(l.prev, None);
        let l = parse_link_header(r#"<a>; rel="prev next", <b> ; rel=last"#);
        assert_eq!(
            (l.prev.as_deref(), l.next.as_deref(), l.last.as_deref()),
            (Some("a"), Some("a"), Some("b"))
        );
        assert_eq!(parse_link_header("garbage <unterminated"), Links::default());
    }

    #[test]
    fn lists_through_the_transport() {
        let fake = FakeTransport::new().reply(
            200,
            &[
                ("Content-Type", "application/json"),
                ("X-Total-Count", "42"),
                ("Link", "<https://n>;rel=\"next\""),
            ],
            r#"{"result":[{"sys_id":"a","number":"INC1"},{"sys_id":"b","number":"INC2"}]}"#,
        );
        let client = Client::new(&fake, instance());
        let page = block_on(client.list(&token(), "incident", &TableParams::default())).unwrap();
        assert_eq!(page.records.len(), 2);
        assert_eq!(page.records[1].value("number").as_deref(), Some("INC2"));
        assert_eq!(page.total, Some(42));
        assert_eq!(page.links.next.as_deref(), Some("https://n"));
    }

    #[test]
    fn errors_keep_the_envelope_and_headers() {
        let fake = FakeTransport::new().reply(
            429,
            &[("Content-Type", "application/json"), ("Retry-After", "5"), ("X-RateLimit-Reset", "1700000005")],
            r#"{"error":{"message":"Rate limit exceeded","detail":"Rate limit rule 'snshare'"},"status":"failure"}"#,
        );
        let client = Client::new(&fake, instance());
        let err = block_on(client.list(&token(), "incident", &TableParams::default())).unwrap_err();
        let ClientError::Http(h) = err else {
            panic!("{err:?}")
        };
        let HttpError {
            status,
            envelope,
            retry_after,
            rate_limit_reset,
            json_body,
            endpoint,
            method,
            ..
        } = *h;
        assert_eq!(status, 429);
        assert_eq!(envelope.unwrap().message, "Rate limit exceeded");
        assert_eq!(retry_after.as_deref(), Some("5"));
        assert_eq!(rate_limit_reset, Some(1_700_000_005));
        assert!(json_body);
        assert_eq!(endpoint, Endpoint::Table("incident".into()));
        assert_eq!(method, Method::Get);
    }

    #[test]
    fn unreadable_answers_are_decode_errors() {
        let fake = FakeTransport::new()
            .reply(
                200,
                &[("Content-Type", "text/html")],
                "<html>Your instance is hibernating</html>",
            )
            .json(200, r#"{"records":[]}"#)
            .json(200, r#"{"result":{"sys_id":"a"}}"#)
            .json(200, r#"{"result":[1]}"#);
        let client = Client::new(&fake, instance());
        let p = TableParams::default();
        let kind = |e: ClientError| match e {
            ClientError::Decode { kind, context, .. } => (kind, context),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            kind(block_on(client.list(&token(), "incident", &p)).unwrap_err()),
            (DecodeKind::NotJson, "incident".into())
        );
        assert_eq!(
            kind(block_on(client.list(&token(), "incident", &p)).unwrap_err()),
            (DecodeKind::NoResult, "incident".into())
        );
        assert_eq!(
            kind(block_on(client.list(&token(), "incident", &p)).unwrap_err()),
            (DecodeKind::Field, "incident.result".into())
        );
        assert_eq!(
            kind(block_on(client.list(&token(), "incident", &p)).unwrap_err()),
            (DecodeKind::Field, "incident.result[0]".into())
        );
    }

    #[test]
    fn transport_errors_pass_through() {
        let fake = FakeTransport::new().fail(crate::servicenow::TransportError::Timeout);
        let client = Client::new(&fake, instance());
        assert_eq!(
            block_on(client.list(&token(), "incident", &TableParams::default())),
            Err(ClientError::Transport(
                crate::servicenow::TransportError::Timeout
            ))
        );
    }
}
