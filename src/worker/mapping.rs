//! The options' "Field mapping": records searched on the instance, and every value checked
//! against the instance before it is saved.

use crate::domain::settings::{FieldMapping, RecordRef};
use crate::domain::state_names::ChoiceLabel;
use crate::domain::ticket::TicketKind;
use crate::messages::{RecordTable, SettingsError};
use crate::platform::{i18n_language, now_ms};
use crate::servicenow::reference::{GROUPS, STANDARD_TEMPLATES, USERS};
use crate::servicenow::ticket::OWN_FIELDS;

use super::connection::{self, CallError, Session};

fn table(t: RecordTable) -> (&'static str, &'static str) {
    match t {
        RecordTable::Group => GROUPS,
        RecordTable::User => USERS,
        RecordTable::StandardChangeTemplate => STANDARD_TEMPLATES,
    }
}

pub async fn search(t: RecordTable, text: &str) -> Result<Vec<RecordRef>, CallError> {
    let session = connection::session().await?;
    let text: String = text.chars().take(80).collect();
    session
        .call(|token| {
            let s = &session;
            let text = text.clone();
            async move { s.client.search_records(&token, table(t), &text).await }
        })
        .await
}

pub async fn choices(kind: TicketKind, field: &str) -> Result<Vec<ChoiceLabel>, CallError> {
    let session = connection::session().await?;
    field_choices(&session, kind, field).await
}

async fn field_choices(
    session: &Session,
    kind: TicketKind,
    field: &str,
) -> Result<Vec<ChoiceLabel>, CallError> {
    let lang = i18n_language();
    session
        .call(|token| {
            let lang = lang.clone();
            let field = field.to_owned();
            async move {
                session
                    .client
                    .field_choices(&token, kind, &field, &lang)
                    .await
            }
        })
        .await
}

fn error(field: &str, key: &str) -> SettingsError {
    SettingsError {
        field: field.into(),
        message_key: key.into(),
    }
}

/// A field name as the instance writes them: lower-case letters, digits and `_`.
fn valid_field_name(f: &str) -> bool {
    !f.is_empty()
        && f.len() <= 80
        && f.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Checks a mapping against the instance: every record exists, every category value is one
/// of the field's own choices. Errors name the options field and what to do.
pub async fn validate(mapping: &FieldMapping) -> Vec<SettingsError> {
    let session = match connection::session().await {
        Ok(s) => s,
        Err(_) => return vec![error("mapping", "options_error_mapping_not_connected")],
    };
    let mut errors = Vec::new();
    let records = [
        (
            "assignment_group",
            RecordTable::Group,
            &mapping.assignment_group,
        ),
        ("caller", RecordTable::User, &mapping.caller),
        (
            "standard_change_template",
            RecordTable::StandardChangeTemplate,
            &mapping.standard_change_template,
        ),
    ];
    for (name, t, r) in records {
        let Some(r) = r else { continue };
        let found = session
            .call(|token| {
                let s = &session;
                let id = r.sys_id.clone();
                async move { s.client.find_record(&token, table(t), &id).await }
            })
            .await;
        match found {
            Ok(Some(_)) => {}
            Ok(None) => errors.push(error(name, "options_error_record_not_found")),
            Err(e) => errors.push(error(name, &e.diagnosis(now_ms()).message_key())),
        }
    }
    for m in &mapping.category {
        let name = match m.kind {
            TicketKind::Incident => "category_incident",
            TicketKind::ChangeRequest => "category_change_request",
        };
        if !valid_field_name(&m.field) || OWN_FIELDS.contains(&m.field.as_str()) {
            errors.push(error(name, "options_error_category_field"));
            continue;
        }
        let values: Vec<&str> = m
            .values
            .iter()
            .map(|v| v.value.trim())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            continue;
        }
        match field_choices(&session, m.kind, &m.field).await {
            Ok(choices) if !choices.is_empty() => {
                if values
                    .iter()
                    .any(|v| !choices.iter().any(|c| c.value == *v))
                {
                    errors.push(error(name, "options_error_category_value"));
                }
            }
            // Refused or empty: the values cannot be checked, so none is written.
            _ => errors.push(error(name, "options_error_category_unreadable")),
        }
    }
    errors
}
