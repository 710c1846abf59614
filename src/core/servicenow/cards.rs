//! What the cards, badges and popup show, read in as few requests as the instance allows:
//! exact counts per state from the Aggregate API (`/api/now/stats/{table}`), and the latest
//! tickets of both kinds plus those counts in one HTTP request through the Batch API
//! (`POST /api/now/v1/batch`, each inner answer's body base64-encoded).

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::domain::correlation;
use crate::domain::query::{EncodedQuery, QueryString};
use crate::domain::state_names::StateName;
use crate::domain::ticket::TicketKind;
use crate::domain::token::Secret;

use super::client::{api_headers, Client};
use super::error::{ClientError, DecodeKind, Endpoint};
use super::table::{decode_list, list_request};
use super::ticket::{ticket_list_params, TicketFilter, TicketList};
use super::transport::{HttpRequest, HttpResponse, Method, Transport};

/// Tickets per state of one kind, exactly as the instance counts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateTally {
    pub state: String,
    /// The instance's label when the answer carried one.
    pub label: Option<String>,
    pub count: u32,
}

/// `GET /api/now/stats/{table}?sysparm_count=true&sysparm_group_by=state&sysparm_query=…`
/// over snshare's tickets.
pub fn stats_path(kind: TicketKind, owner: Option<&str>) -> Result<String, ClientError> {
    let mut query = EncodedQuery::new().starts_with("correlation_id", correlation::PREFIX);
    if let Some(user) = owner {
        query = query.eq("opened_by", user);
    }
    let query = query.build()?;
    let mut qs = QueryString::new();
    qs.push("sysparm_count", "true");
    qs.push("sysparm_group_by", "state");
    qs.push("sysparm_query", &query);
    qs.push("sysparm_display_value", "all");
    Ok(format!("/api/now/stats/{}?{}", kind.table(), qs.finish()))
}

fn text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads `{"result":[{"stats":{"count":"3"},"groupby_fields":[{"field":"state","value":"1",
/// "display_value":"New"}]}, …]}` (a single group may come as an object, not a list).
pub fn decode_stats(kind: TicketKind, body: &str) -> Result<Vec<StateTally>, ClientError> {
    let context = format!("stats/{}", kind.table());
    let v: serde_json::Value = serde_json::from_str(body)
        .map_err(|_| ClientError::decode(&context, DecodeKind::NotJson, "body is not JSON"))?;
    let groups = match v.get("result") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(o @ serde_json::Value::Object(_)) => vec![o.clone()],
        _ => {
            return Err(ClientError::decode(
                &context,
                DecodeKind::NoResult,
                "no \"result\" list",
            ))
        }
    };
    let mut out: Vec<StateTally> = Vec::new();
    for g in &groups {
        let count = g
            .get("stats")
            .and_then(|s| s.get("count"))
            .and_then(text)
            .and_then(|c| c.trim().parse::<u32>().ok())
            .ok_or_else(|| ClientError::decode(&context, DecodeKind::Field, "no count"))?;
        let field = g
            .get("groupby_fields")
            .and_then(|f| f.as_array())
            .and_then(|f| {
                f.iter()
                    .find(|x| x.get("field").and_then(text).as_deref() == Some("state"))
            });
        let Some(field) = field else { continue };
        let state = field.get("value").and_then(text).unwrap_or_default();
        let label = field
            .get("display_value")
            .and_then(text)
            .filter(|l| !l.is_empty() && *l != state);
        match out.iter_mut().find(|t| t.state == state) {
            Some(t) => t.count += count,
            None => out.push(StateTally {
                state,
                label,
                count,
            }),
        }
    }
    Ok(out)
}

/// One inner request of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchRequest {
    pub id: String,
    pub method: String,
    /// Relative to the instance: `/api/now/table/…`.
    pub url: String,
    pub headers: Vec<BatchHeader>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchHeader {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchBody {
    pub batch_request_id: String,
    pub rest_requests: Vec<BatchRequest>,
}

/// One inner answer, its body decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchAnswer {
    pub id: String,
    pub response: HttpResponse,
}

#[derive(Debug, Deserialize)]
struct RawBatch {
    #[serde(default)]
    serviced_requests: Vec<RawServiced>,
}

#[derive(Debug, Deserialize)]
struct RawServiced {
    id: String,
    status_code: u16,
    #[serde(default)]
    headers: Vec<BatchHeader>,
    #[serde(default)]
    body: String,
}

/// The batch's JSON body: GETs with `Accept: application/json`.
pub fn batch_body(batch_id: &str, requests: &[(String, String)]) -> BatchBody {
    BatchBody {
        batch_request_id: batch_id.to_owned(),
        rest_requests: requests
            .iter()
            .map(|(id, url)| BatchRequest {
                id: id.clone(),
                method: "GET".into(),
                url: url.clone(),
                headers: vec![BatchHeader {
                    name: "Accept".into(),
                    value: "application/json".into(),
                }],
            })
            .collect(),
    }
}

/// Reads a batch answer: each serviced request with its status, headers and decoded body.
/// The requests the instance did not serve (`unserviced_requests`: the batch reached its time
/// quota or output size, and the instance stopped there, still answering 200) have no answer
/// here; the caller makes them on their own.
pub fn decode_batch(body: &str) -> Result<Vec<BatchAnswer>, ClientError> {
    let raw: RawBatch = serde_json::from_str(body)
        .map_err(|e| ClientError::decode("batch", DecodeKind::Field, e.to_string()))?;
    raw.serviced_requests
        .into_iter()
        .map(|s| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.body.trim())
                .map_err(|e| {
                    ClientError::decode(
                        format!("batch[{}].body", s.id),
                        DecodeKind::Field,
                        e.to_string(),
                    )
                })?;
            let text = String::from_utf8(bytes).map_err(|e| {
                ClientError::decode(
                    format!("batch[{}].body", s.id),
                    DecodeKind::Field,
                    e.to_string(),
                )
            })?;
            let headers = s.headers.into_iter().map(|h| (h.name, h.value)).collect();
            let text = super::transport::repair_lone_surrogates(&text).into_owned();
            Ok(BatchAnswer {
                id: s.id,
                response: HttpResponse::new(s.status_code, headers, text),
            })
        })
        .collect()
}

/// A path and query of a full URL on the instance (what a batch's inner request names).
fn relative(url: &str, origin: &str) -> String {
    url.strip_prefix(origin).unwrap_or(url).to_owned()
}

/// The cards' read: per kind, the latest tickets and (when the instance counts them) the
/// exact counts per state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardsRead {
    pub lists: Vec<(TicketKind, TicketList)>,
    /// `None` for a kind whose counts the Aggregate API did not give.
    pub counts: Vec<(TicketKind, Option<Vec<StateTally>>)>,
}

/// Whether a refusal of the batch endpoint itself means "not here for this user" (so the
/// separate requests are the way): 404, 403, 400 about the URI, 405; or a 401 that reached
/// the caller (a REST API access policy refusing our tokens on this API only: `call_api`
/// returns it only when the Table API took the same token).
pub fn batch_unavailable(e: &ClientError) -> bool {
    matches!(e, ClientError::Http(h) if matches!(h.status, 400 | 401 | 403 | 404 | 405))
}

fn list_ticket_page(
    client_instance: &crate::domain::instance::InstanceUrl,
    kind: TicketKind,
    answer: &HttpResponse,
    names: &[StateName],
) -> Result<TicketList, ClientError> {
    if !answer.is_success() {
        return Err(super::client::http_error(
            Endpoint::Table(kind.table().into()),
            Method::Get,
            answer,
        ));
    }
    let page = decode_list(kind.table(), answer)?;
    TicketList::from_page(kind, &page, client_instance, names)
}

impl<T: Transport> Client<T> {
    /// Exact counts per state of snshare's tickets of `kind` (one Aggregate API call).
    pub async fn state_counts(
        &self,
        token: &Secret,
        kind: TicketKind,
    ) -> Result<Vec<StateTally>, ClientError> {
        let req = HttpRequest {
            method: Method::Get,
            url: self.instance().url(&stats_path(kind, self.owner())?),
            headers: api_headers(token, false),
            body: None,
            timeout_ms: self.timeout_ms(),
        };
        let resp = self
            .execute(req, &Endpoint::Table(kind.table().into()))
            .await?;
        decode_stats(kind, &resp.body)
    }

    /// Both kinds' latest tickets and counts in one HTTP request (the Batch API). Counts a
    /// kind's inner stats request could not give are `None`; a refused list fails the read.
    /// What the instance left unserviced (a batch cut short by its quota) is asked for on its
    /// own, so a cut batch still reads everything.
    pub async fn read_cards_batch(
        &self,
        token: &Secret,
        filter: &TicketFilter,
        names: &[StateName],
        with_counts: bool,
    ) -> Result<CardsRead, ClientError> {
        let origin = self.instance().origin();
        let mut inner = Vec::new();
        for kind in TicketKind::ALL {
            let list = list_request(
                self.instance(),
                token,
                kind.table(),
                &ticket_list_params(&filter.owned_by(self.owner()))?,
                self.timeout_ms(),
            );
            inner.push((
                format!("list:{}", kind.table()),
                relative(&list.url, &origin),
            ));
            if with_counts {
                inner.push((
                    format!("stats:{}", kind.table()),
                    stats_path(kind, self.owner())?,
                ));
            }
        }
        let body = serde_json::to_string(&batch_body("snshare-cards", &inner))
            .map_err(|e| ClientError::decode("batch body", DecodeKind::Field, e.to_string()))?;
        let req = HttpRequest {
            method: Method::Post,
            url: self.instance().url("/api/now/v1/batch"),
            headers: api_headers(token, true),
            body: Some(body),
            timeout_ms: self.timeout_ms(),
        };
        let resp = self.execute(req, &Endpoint::Table("batch".into())).await?;
        let answers = decode_batch(&resp.body)?;
        let find = |id: &str| answers.iter().find(|a| a.id == id);
        let mut read = CardsRead {
            lists: Vec::new(),
            counts: Vec::new(),
        };
        for kind in TicketKind::ALL {
            let list = match find(&format!("list:{}", kind.table())) {
                Some(a) => list_ticket_page(self.instance(), kind, &a.response, names)?,
                None => self.list_tickets(token, kind, filter, names).await?,
            };
            read.lists.push((kind, list));
            let counts = match find(&format!("stats:{}", kind.table())) {
                Some(a) if a.response.is_success() => decode_stats(kind, &a.response.body).ok(),
                Some(_) => None,
                None if with_counts => self.state_counts(token, kind).await.ok(),
                None => None,
            };
            read.counts.push((kind, counts));
        }
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::super::client::fake::{block_on, FakeTransport};
    use super::*;
    use crate::domain::instance::InstanceUrl;

    #[test]
    fn stats_path_counts_snshare_tickets_by_state() {
        assert_eq!(
            stats_path(TicketKind::Incident, None).unwrap(),
            "/api/now/stats/incident?sysparm_count=true&sysparm_group_by=state&sysparm_query=correlation_idSTARTSWITHsnshare%3A&sysparm_display_value=all"
        );
        assert_eq!(
            stats_path(TicketKind::Incident, Some("u1")).unwrap(),
            "/api/now/stats/incident?sysparm_count=true&sysparm_group_by=state&sysparm_query=correlation_idSTARTSWITHsnshare%3A%5Eopened_by%3Du1&sysparm_display_value=all"
        );
    }

    #[test]
    fn aggregate_answers_are_decoded() {
        let body = r#"{"result":[
            {"stats":{"count":"4213"},"groupby_fields":[{"field":"state","value":"1","display_value":"New"}]},
            {"stats":{"count":"787"},"groupby_fields":[{"field":"state","value":"2"}]}
        ]}"#;
        let t = decode_stats(TicketKind::Incident, body).unwrap();
        assert_eq!(
            t,
            [
                StateTally {
                    state: "1".into(),
                    label: Some("New".into()),
                    count: 4213
                },
                StateTally {
                    state: "2".into(),
                    label: None,
                    count: 787
                }
            ]
        );
        assert_eq!(t.iter().map(|x| x.count).sum::<u32>(), 5000);
        let one = r#"{"result":{"stats":{"count":"3"},"groupby_fields":[{"field":"state","value":"-5"}]}}"#;
        assert_eq!(
            decode_stats(TicketKind::ChangeRequest, one).unwrap()[0].count,
            3
        );
        assert_eq!(
            decode_stats(TicketKind::Incident, r#"{"result":[]}"#).unwrap(),
            []
        );
        assert!(decode_stats(TicketKind::Incident, r#"{"result":[{"stats":{}}]}"#).is_err());
        assert!(decode_stats(TicketKind::Incident, "<html>").is_err());
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn batch_requests_are_encoded_and_answers_decoded() {
        let body = batch_body(
            "b1",
            &[(
                "list:incident".into(),
                "/api/now/table/incident?sysparm_limit=5".into(),
            )],
        );
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["batch_request_id"], "b1");
        assert_eq!(json["rest_requests"][0]["id"], "list:incident");
        assert_eq!(json["rest_requests"][0]["method"], "GET");
        assert_eq!(
            json["rest_requests"][0]["url"],
            "/api/now/table/incident?sysparm_limit=5"
        );
        assert_eq!(json["rest_requests"][0]["headers"][0]["name"], "Accept");

        let answer = format!(
            r#"{{"batch_request_id":"b1","serviced_requests":[{{"id":"list:incident","status_code":200,"status_text":"OK","headers":[{{"name":"X-Total-Count","value":"7"}}],"body":"{}","execution_time":3}}],"unserviced_requests":[]}}"#,
            b64(r#"{"result":[]}"#)
        );
        let a = decode_batch(&answer).unwrap();
        assert_eq!(a[0].id, "list:incident");
        assert_eq!(a[0].response.status, 200);
        assert_eq!(a[0].response.header("x-total-count"), Some("7"));
        assert_eq!(a[0].response.body, r#"{"result":[]}"#);
        // What the instance left unserviced has no answer; the rest is read.
        let cut = format!(
            r#"{{"serviced_requests":[{{"id":"list:incident","status_code":200,"headers":[],"body":"{}"}}],"unserviced_requests":["stats:incident"]}}"#,
            b64(r#"{"result":[]}"#)
        );
        let ids: Vec<String> = decode_batch(&cut)
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect();
        assert_eq!(ids, ["list:incident"]);
        assert!(decode_batch(
            r#"{"serviced_requests":[{"id":"a","status_code":200,"body":"%%%"}]}"#
        )
        .is_err());
    }

    #[test]
    fn one_http_request_reads_both_kinds_and_their_counts() {
        let inc = r#"{"result":[{"sys_id":"a1","number":"INC0010001","state":{"value":"2","display_value":"In Progress"},"correlation_id":"snshare:AdminMFAV2:s1"}]}"#;
        let chg = r#"{"result":[]}"#;
        let inc_stats = r#"{"result":[{"stats":{"count":"5000"},"groupby_fields":[{"field":"state","value":"2"}]}]}"#;
        let answer = format!(
            r#"{{"batch_request_id":"snshare-cards","serviced_requests":[
              {{"id":"list:incident","status_code":200,"headers":[{{"name":"X-Total-Count","value":"5000"}}],"body":"{}"}},
              {{"id":"stats:incident","status_code":200,"headers":[],"body":"{}"}},
              {{"id":"list:change_request","status_code":200,"headers":[],"body":"{}"}},
              {{"id":"stats:change_request","status_code":403,"headers":[],"body":"{}"}}
            ],"unserviced_requests":[]}}"#,
            b64(inc),
            b64(inc_stats),
            b64(chg),
            b64(r#"{"error":{"message":"no"},"status":"failure"}"#)
        );
        let fake = FakeTransport::new().json(200, &answer);
        let c = Client::new(&fake, InstanceUrl::parse("dev1").unwrap());
        let read =
            block_on(c.read_cards_batch(&Secret::new("AT"), &TicketFilter::default(), &[], true))
                .unwrap();
        assert_eq!(fake.sent.borrow().len(), 1, "one HTTP request");
        let req = fake.last();
        assert_eq!(req.url, "https://dev1.service-now.com/api/now/v1/batch");
        let sent: serde_json::Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
        let urls: Vec<&str> = sent["rest_requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["url"].as_str().unwrap())
            .collect();
        assert_eq!(urls.len(), 4);
        assert!(urls[0].starts_with("/api/now/table/incident?"));
        assert!(urls[1].starts_with("/api/now/stats/incident?"));
        let (_, incidents) = &read.lists[0];
        assert_eq!(incidents.tickets[0].number, "INC0010001");
        assert_eq!(incidents.total, Some(5000));
        assert_eq!(read.counts[0].1.as_ref().unwrap()[0].count, 5000);
        assert_eq!(read.counts[1].1, None, "refused stats: no exact counts");
    }

    #[test]
    fn a_batch_cut_short_reads_what_it_left_on_its_own() {
        // The instance stopped after the incidents' list (its batch quota): the rest comes
        // back unserviced, with HTTP 200, and is asked for directly.
        let inc = r#"{"result":[{"sys_id":"a1","number":"INC0010001","state":"2","correlation_id":"snshare:AdminMFAV2:s1"}]}"#;
        let answer = format!(
            r#"{{"serviced_requests":[{{"id":"list:incident","status_code":200,"headers":[],"body":"{}"}}],
              "unserviced_requests":["stats:incident","list:change_request","stats:change_request"]}}"#,
            b64(inc)
        );
        let stats = |n: &str| {
            format!(
                r#"{{"result":[{{"stats":{{"count":"{n}"}},"groupby_fields":[{{"field":"state","value":"-5"}}]}}]}}"#
            )
        };
        let fake = FakeTransport::new()
            .json(200, &answer)
            .json(200, &stats("3"))
            .json(
                200,
                r#"{"result":[{"sys_id":"c1","number":"CHG0030001","state":"-5","correlation_id":"snshare:AdminMFAV2:s2"}]}"#,
            )
            .json(200, &stats("1"));
        let c = Client::new(&fake, InstanceUrl::parse("dev1").unwrap());
        let read =
            block_on(c.read_cards_batch(&Secret::new("AT"), &TicketFilter::default(), &[], true))
                .unwrap();
        let paths: Vec<String> = fake
            .sent
            .borrow()
            .iter()
            .map(|r| r.url.split('?').next().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            paths,
            [
                "https://dev1.service-now.com/api/now/v1/batch",
                "https://dev1.service-now.com/api/now/stats/incident",
                "https://dev1.service-now.com/api/now/table/change_request",
                "https://dev1.service-now.com/api/now/stats/change_request",
            ]
        );
        assert_eq!(read.lists[0].1.tickets[0].number, "INC0010001");
        assert_eq!(read.lists[1].1.tickets[0].number, "CHG0030001");
        assert_eq!(read.counts[0].1.as_ref().unwrap()[0].count, 3);
        assert_eq!(read.counts[1].1.as_ref().unwrap()[0].count, 1);
    }

    #[test]
    fn a_refused_batch_endpoint_means_separate_requests() {
        let fake = FakeTransport::new().json(
            400,
            r#"{"error":{"message":"Requested URI does not represent any resource"},"status":"failure"}"#,
        );
        let c = Client::new(&fake, InstanceUrl::parse("dev1").unwrap());
        let e =
            block_on(c.read_cards_batch(&Secret::new("AT"), &TicketFilter::default(), &[], true))
                .unwrap_err();
        assert!(batch_unavailable(&e));
    }
}
