//! sys_user: who the tokens belong to, whether the account is meant for integrations, and
//! whether it can create change requests.

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
            "web_service_access_only".into(),
            "internal_integration_user".into(),
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
        integration_account: integration_flags(record),
    })
}

/// `web_service_access_only` or (on recent releases) `internal_integration_user` set: the
/// account is meant for integrations. Both read and clear: a person's account. Neither
/// readable (field ACLs, an old release): unknown.
fn integration_flags(record: &Record) -> Option<bool> {
    let flags: Vec<bool> = ["web_service_access_only", "internal_integration_user"]
        .iter()
        .filter_map(|f| record.non_empty(f))
        .map(|v| v.trim().eq_ignore_ascii_case("true") || v.trim() == "1")
        .collect();
    if flags.is_empty() {
        None
    } else {
        Some(flags.contains(&true))
    }
}

/// The user's active roles (`sys_user_has_role`, dot-walked to the role's name). Row ACLs
/// usually hide these rows from a non-admin (200 with an empty list): an empty answer says
/// nothing about the roles.
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

/// Roles that may create change requests ("Role required: itil, admin, or sn_change_write";
/// `sn_change_write` comes with the ITSM Roles plugin).
pub const CHANGE_CREATOR_ROLES: [&str; 3] = ["itil", "admin", "sn_change_write"];

/// Whether the roles read allow creating change requests. No roles read means the rows were
/// hidden, not that there are none: unknown (`None`), never "no".
pub fn can_create_change_requests(roles: &[String]) -> Option<bool> {
    if roles.iter().all(|r| r.trim().is_empty()) {
        return None;
    }
    Some(
        roles
            .iter()
            .any(|r| CHANGE_CREATOR_ROLES.contains(&r.trim())),
    )
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
            Some("user_name,name,email,sys_id,web_service_access_only,internal_integration_user")
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
        assert_eq!(can_create_change_requests(&roles), Some(true));
        assert!(roles_params("a^ORx").is_err());
    }

    #[test]
    fn itil_admin_and_sn_change_write_create_changes_and_no_roles_read_is_unknown() {
        let roles = |r: &[&str]| r.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        for ok in ["itil", "admin", "sn_change_write"] {
            assert_eq!(
                can_create_change_requests(&roles(&[ok])),
                Some(true),
                "{ok}"
            );
        }
        assert_eq!(
            can_create_change_requests(&roles(&["snc_internal", "sn_change_read"])),
            Some(false)
        );
        // A non-admin's own sys_user_has_role rows are hidden by row ACLs: 200 and [].
        assert_eq!(can_create_change_requests(&[]), None);
        let fake = FakeTransport::new().json(200, r#"{"result":[]}"#);
        let read = block_on(client(&fake).user_roles(&Secret::new("AT"), "abc")).unwrap();
        assert_eq!(can_create_change_requests(&read), None);
    }

    #[test]
    fn integration_flags_come_from_sys_user() {
        let decode = |body: &str| {
            let fake = FakeTransport::new().json(200, body);
            block_on(client(&fake).who_am_i(&Secret::new("AT")))
                .unwrap()
                .integration_account
        };
        assert_eq!(
            decode(
                r#"{"result":[{"user_name":"i","sys_id":"1","web_service_access_only":"true"}]}"#
            ),
            Some(true)
        );
        assert_eq!(
            decode(
                r#"{"result":[{"user_name":"i","sys_id":"1","web_service_access_only":"false","internal_integration_user":"true"}]}"#
            ),
            Some(true)
        );
        assert_eq!(
            decode(
                r#"{"result":[{"user_name":"p","sys_id":"1","web_service_access_only":"false","internal_integration_user":"false"}]}"#
            ),
            Some(false)
        );
        assert_eq!(
            decode(r#"{"result":[{"user_name":"p","sys_id":"1"}]}"#),
            None
        );
    }
}
