//! sys_user: who the tokens belong to, and whether that user can create change requests.

use crate::domain::connection::ConnectedUser;
use crate::domain::query::EncodedQuery;
use crate::domain::token::Secret;

use super::client::{Client, Record};
use super::error::{ClientError, DecodeKind};
use super::table::TableParams;
use super::transport::Transport;

/// `sys_id=javascript:gs.getUserID()`: the instance resolves the token's own user.
pub fn who_am_i_params() -> Result<TableParams, ClientError> {
    Ok(TableParams {
        query: Some(
            EncodedQuery::new()
                .eq_script("sys_id", "javascript:gs.getUserID()")
                .build()?,
        ),
        fields: vec![
            "user_name".into(),
            "name".into(),
            "email".into(),
            "sys_id".into(),
        ],
        limit: Some(1),
        no_count: true,
        ..TableParams::default()
    })
}

pub fn decode_user(record: &Record) -> Result<ConnectedUser, ClientError> {
    Ok(ConnectedUser {
        user_name: record.require("user_name")?,
        name: record.value("name").unwrap_or_default(),
        email: record.non_empty("email"),
        sys_id: record.require("sys_id")?,
    })
}

/// The user's active roles (`sys_user_has_role`, dot-walked to the role's name). Whether a
/// non-admin may read its own role rows is unverified: treat an error as "unknown".
pub fn roles_params(user_sys_id: &str) -> Result<TableParams, ClientError> {
    Ok(TableParams {
        query: Some(
            EncodedQuery::new()
                .eq("user", user_sys_id)
                .eq("state", "active")
                .build()?,
        ),
        fields: vec!["role.name".into()],
        limit: Some(500),
        no_count: true,
        ..TableParams::default()
    })
}

/// Roles that grant creating change requests. `itil` is left out on purpose: whether it may
/// insert change_request depends on the release and the instance's ACLs, and an integration
/// user for snshare is given `sn_change_writer` explicitly (README, sandbox).
pub const CHANGE_CREATOR_ROLES: [&str; 4] = [
    "admin",
    "sn_change_write",
    "sn_change_writer",
    "change_manager",
];

pub fn can_create_change_requests(roles: &[String]) -> bool {
    roles
        .iter()
        .any(|r| CHANGE_CREATOR_ROLES.contains(&r.trim()))
}

impl<T: Transport> Client<T> {
    /// The user the access token belongs to.
    pub async fn who_am_i(&self, token: &Secret) -> Result<ConnectedUser, ClientError> {
        let page = self.list(token, "sys_user", &who_am_i_params()?).await?;
        let record = page.records.first().ok_or_else(|| {
            ClientError::decode(
                "sys_user.result",
                DecodeKind::Field,
                "no record for the token's user",
            )
        })?;
        decode_user(record)
    }

    pub async fn user_roles(
        &self,
        token: &Secret,
        user_sys_id: &str,
    ) -> Result<Vec<String>, ClientError> {
        let page = self
            .list(token, "sys_user_has_role", &roles_params(user_sys_id)?)
            .await?;
        let mut roles: Vec<String> = page
            .records
            .iter()
            .filter_map(|r| r.non_empty("role.name"))
            .collect();
        roles.sort();
        roles.dedup();
        Ok(roles)
    }
}

#[cfg(test)]
mod tests {
    use super::super::client::fake::{block_on, FakeTransport};
    use super::*;
    use crate::domain::instance::InstanceUrl;
    use crate::domain::query::{parse_query_string, query_param};

    fn client(fake: &FakeTransport) -> Client<&FakeTransport> {
        Client::new(fake, InstanceUrl::parse("dev1").unwrap())
    }

    #[test]
    fn who_am_i_reads_the_tokens_user() {
        let fake = FakeTransport::new().json(
            200,
            r#"{"result":[{"user_name":"snshare.integration","name":"snshare Integration","email":"","sys_id":"5137153cc611227c000bbd1bd8cd2005"}]}"#,
        );
        let u = block_on(client(&fake).who_am_i(&Secret::new("AT"))).unwrap();
        assert_eq!(u.user_name, "snshare.integration");
        assert_eq!(u.email, None);
        let url = fake.last().url;
        assert!(url.starts_with("https://dev1.service-now.com/api/now/table/sys_user?"));
        let q = parse_query_string(url.split_once('?').unwrap().1);
        assert_eq!(
            query_param(&q, "sysparm_query"),
            Some("sys_id=javascript:gs.getUserID()")
        );
        assert_eq!(
            query_param(&q, "sysparm_fields"),
            Some("user_name,name,email,sys_id")
        );
    }

    #[test]
    fn who_am_i_without_a_record_is_a_decode_error() {
        let fake = FakeTransport::new()
            .json(200, r#"{"result":[]}"#)
            .json(200, r#"{"result":[{"name":"x","sys_id":"1"}]}"#);
        let c = client(&fake);
        assert!(
            matches!(block_on(c.who_am_i(&Secret::new("AT"))), Err(ClientError::Decode { ref context, .. }) if context == "sys_user.result")
        );
        assert!(
            matches!(block_on(c.who_am_i(&Secret::new("AT"))), Err(ClientError::Decode { ref context, .. }) if context == "sys_user.user_name")
        );
    }

    #[test]
    fn roles() {
        let fake = FakeTransport::new().json(200, r#"{"result":[{"role.name":"itil"},{"role.name":"itil"},{"role.name":"snc_internal"}]}"#);
        let roles = block_on(client(&fake).user_roles(&Secret::new("AT"), "abc")).unwrap();
        assert_eq!(roles, ["itil", "snc_internal"]);
        assert!(!can_create_change_requests(&roles));
        assert!(can_create_change_requests(&["sn_change_writer".to_owned()]));
        assert!(!can_create_change_requests(&["snc_internal".to_owned()]));
        assert!(roles_params("a^ORx").is_err());
    }
}
