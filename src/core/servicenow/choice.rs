//! sys_choice: the instance's own state labels.
//!
//! sys_choice is usually admin-only (403, or an empty answer) for an integration user: labels
//! come from the records' display values (`sysparm_display_value=all`), and this is an optional
//! enrichment whose refusal is no connection problem.

use crate::domain::query::EncodedQuery;
use crate::domain::state_names::ChoiceLabel;
use crate::domain::ticket::TicketKind;
use crate::domain::token::Secret;

use super::client::{Client, Record};
use super::error::ClientError;
use super::table::TableParams;
use super::transport::Transport;

/// The active choices of one field of `kind`'s table in `language`:
/// `name=<table>^element=<field>^language=<lang>^inactive=false^ORDERBYsequence`, three fields.
pub fn choices_params(
    kind: TicketKind,
    field: &str,
    language: &str,
) -> Result<TableParams, ClientError> {
    let query = EncodedQuery::new()
        .eq("name", kind.table())
        .eq("element", field)
        .eq("language", language)
        .eq("inactive", "false")
        .order_by("sequence")
        .build()?;
    Ok(TableParams {
        query: Some(query),
        fields: vec!["value".into(), "label".into(), "sequence".into()],
        limit: Some(100),
        no_count: true,
        ..TableParams::default()
    })
}

/// sys_choice rows into labels (rows without a value are skipped; a bad sequence is `None`).
pub fn decode_choices(records: &[Record]) -> Vec<ChoiceLabel> {
    records
        .iter()
        .filter_map(|r| {
            let value = r.non_empty("value")?;
            Some(ChoiceLabel {
                value: value.trim().to_owned(),
                label: r.value("label").unwrap_or_default(),
                sequence: r.value("sequence").and_then(|s| s.trim().parse().ok()),
            })
        })
        .collect()
}

/// The language every instance has choices in: the base system's.
const BASE_LANGUAGE: &str = "en";

impl<T: Transport> Client<T> {
    /// The choices of `field` on `kind`'s table in `language`, else in English: sys_choice holds
    /// a language's rows only where that language's plugin is active, and most instances have
    /// English alone (a French browser would otherwise find no choices at all). sys_choice is
    /// usually admin-only, so callers treat a refusal (or an empty answer) as "not readable",
    /// never as a failed connection.
    pub async fn field_choices(
        &self,
        token: &Secret,
        kind: TicketKind,
        field: &str,
        language: &str,
    ) -> Result<Vec<ChoiceLabel>, ClientError> {
        let choices = self
            .read_choices(token, &choices_params(kind, field, language)?)
            .await?;
        if !choices.is_empty() || language.eq_ignore_ascii_case(BASE_LANGUAGE) {
            return Ok(choices);
        }
        self.read_choices(token, &choices_params(kind, field, BASE_LANGUAGE)?)
            .await
    }

    /// One read of sys_choice, decoded.
    async fn read_choices(
        &self,
        token: &Secret,
        params: &TableParams,
    ) -> Result<Vec<ChoiceLabel>, ClientError> {
        let page = self.list(token, "sys_choice", params).await?;
        Ok(decode_choices(&page.records))
    }

    /// The instance's labels for `kind`'s states in `language` (e.g. "en"), else in English.
    pub async fn state_labels(
        &self,
        token: &Secret,
        kind: TicketKind,
        language: &str,
    ) -> Result<Vec<ChoiceLabel>, ClientError> {
        self.field_choices(token, kind, "state", language).await
    }
}

#[cfg(test)]
mod tests {
    use super::super::client::fake::{block_on, FakeTransport};
    use super::*;
    use crate::domain::instance::InstanceUrl;
    use crate::domain::query::{parse_query_string, query_param};

    #[test]
    fn reads_state_labels() {
        let fake = FakeTransport::new().json(
            200,
            r#"{"result":[{"value":"1","label":"New","sequence":"1"},{"value":"2","label":"In Progress","sequence":"2"},{"value":"","label":"-- None --","sequence":""},{"value":"9","label":"Awaiting vendor","sequence":"x"}]}"#,
        );
        let client = Client::new(&fake, InstanceUrl::parse("dev1").unwrap());
        let labels =
            block_on(client.state_labels(&Secret::new("AT"), TicketKind::Incident, "en")).unwrap();
        assert_eq!(
            labels,
            vec![
                ChoiceLabel {
                    value: "1".into(),
                    label: "New".into(),
                    sequence: Some(1)
                },
                ChoiceLabel {
                    value: "2".into(),
                    label: "In Progress".into(),
                    sequence: Some(2)
                },
                ChoiceLabel {
                    value: "9".into(),
                    label: "Awaiting vendor".into(),
                    sequence: None
                },
            ]
        );
        let url = fake.last().url;
        assert!(url.starts_with("https://dev1.service-now.com/api/now/table/sys_choice?"));
        let q = parse_query_string(url.split_once('?').unwrap().1);
        assert_eq!(
            query_param(&q, "sysparm_query"),
            Some("name=incident^element=state^language=en^inactive=false^ORDERBYsequence")
        );
        assert_eq!(
            query_param(&q, "sysparm_fields"),
            Some("value,label,sequence")
        );
    }

    #[test]
    fn choices_fall_back_to_english_where_the_language_has_none() {
        let query_of = |r: &crate::servicenow::transport::HttpRequest| {
            let q = parse_query_string(r.url.split_once('?').unwrap().1);
            query_param(&q, "sysparm_query").unwrap().to_owned()
        };
        // An instance with English only: French asked first, then English.
        let fake = FakeTransport::new().json(200, r#"{"result":[]}"#).json(
            200,
            r#"{"result":[{"value":"network","label":"Network","sequence":"1"}]}"#,
        );
        let client = Client::new(&fake, InstanceUrl::parse("dev1").unwrap());
        let token = Secret::new("AT");
        let got =
            block_on(client.field_choices(&token, TicketKind::Incident, "category", "fr")).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].label, "Network");
        let sent = fake.sent.borrow().clone();
        assert_eq!(sent.len(), 2);
        assert!(query_of(&sent[0]).contains("^language=fr^"));
        assert!(query_of(&sent[1]).contains("^language=en^"));
        // The language's own choices, where it has them: one request.
        let fake = FakeTransport::new().json(
            200,
            r#"{"result":[{"value":"1","label":"Nouveau","sequence":"1"}]}"#,
        );
        let client = Client::new(&fake, InstanceUrl::parse("dev1").unwrap());
        let got = block_on(client.state_labels(&token, TicketKind::Incident, "fr")).unwrap();
        assert_eq!(got[0].label, "Nouveau");
        assert_eq!(fake.sent.borrow().len(), 1);
        // English with none: nothing to fall back to, one request.
        let fake = FakeTransport::new().json(200, r#"{"result":[]}"#);
        let client = Client::new(&fake, InstanceUrl::parse("dev1").unwrap());
        assert!(
            block_on(client.state_labels(&token, TicketKind::Incident, "en"))
                .unwrap()
                .is_empty()
        );
        assert_eq!(fake.sent.borrow().len(), 1);
    }

    #[test]
    fn language_cannot_inject_terms() {
        assert!(choices_params(TicketKind::ChangeRequest, "state", "en^ORname=x").is_err());
    }
}
