//! The Change Management API: `POST /api/sn_chg_rest/change/normal` (and
//! `/standard/{template}`), the documented way to create a change request with the instance's
//! change models applied. Instances without the plugin (or that refuse it to the user) answer
//! 404 / 400 "Requested URI does not represent any resource" / 403, and snshare falls back to
//! the Table API: nothing was created by such an answer.

use crate::domain::query::percent_encode;
use crate::domain::state_names::StateName;
use crate::domain::ticket::{TicketKind, TicketSummary};
use crate::domain::token::Secret;

use super::client::{api_headers, Client};
use super::error::{ClientError, DecodeKind, Endpoint};
use super::table::decode_one_or_only;
use super::ticket::{decode_ticket, NewTicket};
use super::transport::{HttpRequest, Method, Transport};

/// The endpoint path: a normal change, or a standard change from a template (its sys_id).
pub fn change_path(template: Option<&str>) -> String {
    match named(template) {
        Some(t) => format!("/api/sn_chg_rest/change/standard/{}", percent_encode(t)),
        None => "/api/sn_chg_rest/change/normal".to_owned(),
    }
}

/// The template's sys_id, when one is named (a blank one is none: a normal change).
fn named(template: Option<&str>) -> Option<&str> {
    template.map(str::trim).filter(|t| !t.is_empty())
}

/// The create request: the same fields as the Table API insert, without `type` (the endpoint
/// names it).
pub fn create_change_request(
    client_instance: &crate::domain::instance::InstanceUrl,
    token: &Secret,
    ticket: &NewTicket,
    template: Option<&str>,
    timeout_ms: u32,
) -> Result<HttpRequest, ClientError> {
    let mut body = serde_json::to_value(ticket)
        .map_err(|e| ClientError::decode("request body", DecodeKind::Field, e.to_string()))?;
    if let Some(o) = body.as_object_mut() {
        o.remove("type");
    }
    Ok(HttpRequest {
        method: Method::Post,
        url: client_instance.url(&change_path(template)),
        headers: api_headers(token, true),
        body: Some(body.to_string()),
        timeout_ms,
    })
}

/// An answer that says the Change Management API is not there for this user, so nothing was
/// created and the Table API is the way: 404, 403 (or 401, see below), or 400 about the URI.
/// A 404 from the standard change endpoint is about its template
/// (`Diagnosis::ChangeTemplateUnusable`): a normal change through the Table API would drop the
/// pre-approval the template stands for.
pub fn means_unavailable(e: &ClientError) -> bool {
    let ClientError::Http(h) = e else {
        return false;
    };
    match h.status {
        404 => h.json_body && h.endpoint != Endpoint::StandardChange,
        // Only reaches here when the Table API took the same token (`call_api`): a REST API
        // access policy refusing our tokens on this API.
        401 | 403 => h.json_body,
        400 => h.envelope.as_ref().is_some_and(|env| {
            env.text()
                .to_lowercase()
                .contains("does not represent any resource")
        }),
        _ => false,
    }
}

impl<T: Transport> Client<T> {
    /// Creates a change request through the Change Management API. Its answer carries every
    /// field as `{"value":…,"display_value":…}`, which `decode_ticket` reads.
    pub async fn create_change(
        &self,
        token: &Secret,
        ticket: &NewTicket,
        template: Option<&str>,
        names: &[StateName],
    ) -> Result<TicketSummary, ClientError> {
        let req =
            create_change_request(self.instance(), token, ticket, template, self.timeout_ms())?;
        let resp = self
            .execute(
                req,
                &if named(template).is_some() {
                    Endpoint::StandardChange
                } else {
                    Endpoint::Table(TicketKind::ChangeRequest.table().into())
                },
            )
            .await?;
        let record = decode_one_or_only(TicketKind::ChangeRequest.table(), &resp)?;
        decode_ticket(TicketKind::ChangeRequest, &record, self.instance(), names)
    }
}

#[cfg(test)]
mod tests {
    use super::super::client::fake::{block_on, FakeTransport};
    use super::*;
    use crate::domain::diagnosis::Diagnosis;
    use crate::domain::instance::InstanceUrl;
    use crate::domain::settings::FieldMapping;
    use crate::domain::ticket::Priority;

    fn ticket() -> NewTicket {
        let mut draft = super::super::ticket::tests::draft(TicketKind::ChangeRequest);
        draft.priority = Priority::Critical;
        NewTicket::from_draft(&draft, "snshare:AdminMFAV2:s1", 0, &FieldMapping::default())
    }

    /// As the Change Management API answers (fields as value/display_value pairs, plus meta).
    const CREATED: &str = r#"{"result":{
        "sys_id":{"value":"c0ffee00c0ffee00c0ffee00c0ffee00","display_value":"c0ffee00c0ffee00c0ffee00c0ffee00"},
        "number":{"value":"CHG0030042","display_value":"CHG0030042"},
        "short_description":{"value":"Microsoft 365 Security and Configuration Change Request: Require MFA","display_value":"Microsoft 365 Security and Configuration Change Request: Require MFA"},
        "state":{"value":"-5","display_value":"New"},
        "priority":{"value":"1","display_value":"1 - Critical"},
        "type":{"value":"normal","display_value":"Normal"},
        "chg_model":{"value":"007c4001c343101035ae3f52c1d3aeb2","display_value":"Normal"},
        "sys_updated_on":{"value":"2030-01-10 09:00:00","display_value":"2030-01-10 10:00:00"},
        "correlation_id":{"value":"snshare:AdminMFAV2:s1","display_value":"snshare:AdminMFAV2:s1"},
        "__meta":{"ignoredFields":[]}
    }}"#;

    #[test]
    fn a_normal_change_goes_to_the_change_api_with_its_priority() {
        let fake = FakeTransport::new().json(201, CREATED);
        let c = Client::new(&fake, InstanceUrl::parse("dev1").unwrap());
        let t = block_on(c.create_change(&Secret::new("AT"), &ticket(), None, &[])).unwrap();
        assert_eq!(t.number, "CHG0030042");
        assert_eq!((t.state.as_str(), t.state_label.as_str()), ("-5", "New"));
        assert_eq!(t.priority, Some(Priority::Critical));
        assert_eq!(t.action_id.as_deref(), Some("AdminMFAV2"));
        let req = fake.last();
        assert_eq!(req.method, Method::Post);
        assert_eq!(
            req.url,
            "https://dev1.service-now.com/api/sn_chg_rest/change/normal"
        );
        assert_eq!(req.header("content-type"), Some("application/json"));
        let body: serde_json::Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["priority"], "1");
        assert_eq!(body["correlation_id"], "snshare:AdminMFAV2:s1");
        assert!(body.get("type").is_none());
    }

    #[test]
    fn the_answer_is_read_as_an_object_or_as_a_list_of_one() {
        let as_list = format!("{{\"result\":[{}]}}", &CREATED[10..CREATED.len() - 1]);
        let fake = FakeTransport::new()
            .json(201, &as_list)
            .json(201, r#"{"result":[]}"#);
        let c = Client::new(&fake, InstanceUrl::parse("dev1").unwrap());
        let t = block_on(c.create_change(&Secret::new("AT"), &ticket(), None, &[])).unwrap();
        assert_eq!(t.number, "CHG0030042");
        assert!(block_on(c.create_change(&Secret::new("AT"), &ticket(), None, &[])).is_err());
    }

    #[test]
    fn a_template_makes_a_standard_change() {
        assert_eq!(
            change_path(Some("e55d0bfec343101035ae3f52c1d3ae49")),
            "/api/sn_chg_rest/change/standard/e55d0bfec343101035ae3f52c1d3ae49"
        );
        assert_eq!(change_path(Some(" ")), "/api/sn_chg_rest/change/normal");
    }

    #[test]
    fn missing_or_refused_api_is_told_apart_from_a_rejected_record() {
        let c = |status: u16, body: &str| {
            let fake = FakeTransport::new().json(status, body);
            let client = Client::new(&fake, InstanceUrl::parse("dev1").unwrap());
            let e = block_on(client.create_change(&Secret::new("AT"), &ticket(), None, &[]))
                .unwrap_err();
            means_unavailable(&e)
        };
        assert!(c(
            400,
            r#"{"error":{"message":"Requested URI does not represent any resource","detail":null},"status":"failure"}"#
        ));
        assert!(c(
            404,
            r#"{"error":{"message":"No Record found","detail":null},"status":"failure"}"#
        ));
        assert!(c(
            403,
            r#"{"error":{"message":"Insufficient rights","detail":null},"status":"failure"}"#
        ));
        assert!(!c(
            400,
            r#"{"error":{"message":"Data policy violation","detail":"priority"},"status":"failure"}"#
        ));
        assert!(!c(500, r#"{"error":{"message":"x"},"status":"failure"}"#));
    }

    #[test]
    fn a_template_the_instance_does_not_have_is_not_a_missing_api() {
        let standard = |status: u16, body: &str| {
            let fake = FakeTransport::new().json(status, body);
            let client = Client::new(&fake, InstanceUrl::parse("dev1").unwrap());
            block_on(client.create_change(&Secret::new("AT"), &ticket(), Some("0bad"), &[]))
                .unwrap_err()
        };
        let gone = standard(
            404,
            r#"{"error":{"message":"No Record found","detail":"Standard change template not found"},"status":"failure"}"#,
        );
        assert!(!means_unavailable(&gone));
        assert_eq!(gone.diagnosis(0), Diagnosis::ChangeTemplateUnusable);
        let retired = standard(
            400,
            r#"{"error":{"message":"Invalid standard change template","detail":"not active"},"status":"failure"}"#,
        );
        assert!(!means_unavailable(&retired));
        assert_eq!(retired.diagnosis(0), Diagnosis::ChangeTemplateUnusable);
        // The API itself missing or refused still reads as such with a template.
        let missing = standard(
            400,
            r#"{"error":{"message":"Requested URI does not represent any resource","detail":null},"status":"failure"}"#,
        );
        assert!(means_unavailable(&missing));
        let refused = standard(
            403,
            r#"{"error":{"message":"Insufficient rights","detail":null},"status":"failure"}"#,
        );
        assert!(means_unavailable(&refused));
        // Any other refusal of the record keeps ServiceNow's words.
        let rejected = standard(
            400,
            r#"{"error":{"message":"Data policy violation","detail":"priority"},"status":"failure"}"#,
        );
        assert!(matches!(
            rejected.diagnosis(0),
            Diagnosis::RecordRejected { .. }
        ));
    }
}
