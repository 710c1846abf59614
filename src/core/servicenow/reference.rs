//! Records chosen in the options and the task form (assignment groups, callers, standard
//! change templates): searched by name, and checked to exist before they are saved.

use crate::domain::query::{sanitize_value, EncodedQuery};
use crate::domain::settings::RecordRef;
use crate::domain::token::Secret;

use super::client::{Client, Record};
use super::error::ClientError;
use super::table::TableParams;
use super::transport::Transport;

/// Tables a record may be chosen from, with the field that names their records.
pub const GROUPS: (&str, &str) = ("sys_user_group", "name");
pub const USERS: (&str, &str) = ("sys_user", "name");
/// Standard change templates (the `standard_change_template_id` of the Change Management API).
pub const STANDARD_TEMPLATES: (&str, &str) = ("std_change_record_producer", "name");

/// How many matches a search shows.
pub const SEARCH_LIMIT: u32 = 20;

/// Active records whose name contains `text`, by name.
pub fn search_params(
    (_, name_field): (&str, &str),
    text: &str,
) -> Result<TableParams, ClientError> {
    let mut q = EncodedQuery::new().eq("active", "true");
    let text = sanitize_value(text);
    if !text.trim().is_empty() {
        q = q.like(name_field, text.trim());
    }
    Ok(TableParams {
        query: Some(q.order_by(name_field).build()?),
        fields: vec!["sys_id".into(), name_field.into()],
        limit: Some(SEARCH_LIMIT),
        no_count: true,
        ..TableParams::default()
    })
}

/// Exactly the record `sys_id`.
pub fn by_id_params(
    (_, name_field): (&str, &str),
    sys_id: &str,
) -> Result<TableParams, ClientError> {
    Ok(TableParams {
        query: Some(EncodedQuery::new().eq("sys_id", sys_id.trim()).build()?),
        fields: vec!["sys_id".into(), name_field.into()],
        limit: Some(1),
        no_count: true,
        ..TableParams::default()
    })
}

fn decode_ref(r: &Record, name_field: &str) -> Option<RecordRef> {
    Some(RecordRef {
        sys_id: r.non_empty("sys_id")?,
        name: r.value(name_field).unwrap_or_default(),
    })
}

impl<T: Transport> Client<T> {
    pub async fn search_records(
        &self,
        token: &Secret,
        table: (&str, &str),
        text: &str,
    ) -> Result<Vec<RecordRef>, ClientError> {
        let page = self
            .list(token, table.0, &search_params(table, text)?)
            .await?;
        Ok(page
            .records
            .iter()
            .filter_map(|r| decode_ref(r, table.1))
            .collect())
    }

    /// The record as the instance has it now, or `None` when it does not exist (or is not
    /// visible to the integration user: then snshare could not set it either).
    pub async fn find_record(
        &self,
        token: &Secret,
        table: (&str, &str),
        sys_id: &str,
    ) -> Result<Option<RecordRef>, ClientError> {
        let page = self
            .list(token, table.0, &by_id_params(table, sys_id)?)
            .await?;
        Ok(page.records.first().and_then(|r| decode_ref(r, table.1)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::client::fake::{block_on, FakeTransport};
    use super::*;
    use crate::domain::instance::InstanceUrl;
    use crate::domain::query::{parse_query_string, query_param};

    #[test]
    fn groups_are_searched_by_name_and_checked_by_id() {
        let fake = FakeTransport::new()
            .json(
                200,
                r#"{"result":[{"sys_id":"g1","name":"Security Operations"},{"sys_id":"","name":"x"}]}"#,
            )
            .json(200, r#"{"result":[]}"#);
        let c = Client::new(&fake, InstanceUrl::parse("dev1").unwrap());
        let found =
            block_on(c.search_records(&Secret::new("AT"), GROUPS, "secu^ORactive=false")).unwrap();
        assert_eq!(
            found,
            [RecordRef {
                sys_id: "g1".into(),
                name: "Security Operations".into()
            }]
        );
        let url = fake.last().url;
        assert!(url.contains("/api/now/table/sys_user_group?"));
        let q = parse_query_string(url.split_once('?').unwrap().1);
        assert_eq!(
            query_param(&q, "sysparm_query"),
            Some("active=true^nameLIKEsecuORactive=false^ORDERBYname")
        );
        assert_eq!(query_param(&q, "sysparm_fields"), Some("sys_id,name"));
        assert_eq!(
            block_on(c.find_record(&Secret::new("AT"), GROUPS, "nope")).unwrap(),
            None
        );
    }
}
