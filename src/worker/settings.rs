//! The options page's settings: the values in force as the page shows them, and saving its
//! form, with the field mapping checked against the instance first. Above `connection` and
//! `mapping`, which it uses; nothing below imports it.

use crate::domain::instance::InstanceUrl;
use crate::domain::settings::{
    Settings, SettingsInput, SettingsView, TicketDefaults, DEFAULT_REFRESH_MINUTES,
};
use crate::messages::SettingsError;
use crate::platform::fetch::FetchTransport;
use crate::platform::worker;
use crate::servicenow::client::Client;

use super::connection::{
    effective_settings, oauth_client, revocation, Session, REQUEST_TIMEOUT_MS,
};
use super::store;

pub async fn settings_view() -> SettingsView {
    let (s, locked) = effective_settings().await;
    SettingsView {
        instance: s.instance,
        client_id: s.client_id,
        has_client_secret: s.client_secret.as_deref().is_some_and(|x| !x.is_empty()),
        defaults: s.defaults,
        fallback_user_id: s.fallback_user_id,
        refresh_minutes: s.refresh_minutes.unwrap_or(DEFAULT_REFRESH_MINUTES),
        redirect_url: worker::redirect_url(),
        locked,
        mapping: s.mapping,
    }
}

/// Validates and stores the options page's form. A changed instance or client drops the old
/// tokens and everything cached from the old instance.
pub async fn save_settings(input: SettingsInput) -> Vec<SettingsError> {
    let mut errors = Vec::new();
    let (current, locked) = effective_settings().await;
    let instance = match InstanceUrl::parse(&input.instance) {
        Ok(u) => Some(u.origin()),
        Err(e) => {
            errors.push(SettingsError {
                field: "instance".into(),
                message_key: e.message_key().into(),
            });
            None
        }
    };
    let client_id = input.client_id.trim().to_string();
    if client_id.is_empty() {
        errors.push(SettingsError {
            field: "client_id".into(),
            message_key: "options_error_client_id_required".into(),
        });
    } else if client_id.len() > 200
        || client_id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        errors.push(SettingsError {
            field: "client_id".into(),
            message_key: "options_error_client_id_invalid".into(),
        });
    }
    if !(1..=365).contains(&input.defaults.due_in_days) {
        errors.push(SettingsError {
            field: "due_in_days".into(),
            message_key: "options_error_due_in_days".into(),
        });
    }
    if input
        .refresh_minutes
        .is_some_and(|m| !(1..=1440).contains(&m))
    {
        errors.push(SettingsError {
            field: "refresh_minutes".into(),
            message_key: "options_error_refresh_minutes".into(),
        });
    }
    if !errors.is_empty() {
        return errors;
    }
    let stored = store::settings().await;
    let stored_secret =
        store::client_secret(stored.instance.as_deref(), stored.client_id.as_deref()).await;
    if let Some(m) = input.mapping.as_ref().filter(|m| **m != stored.mapping) {
        // Nothing unchecked goes into a record: a mapping is saved only once the instance
        // confirmed every value.
        let errors = super::mapping::validate(m).await;
        if !errors.is_empty() {
            return errors;
        }
    }
    let input_secret_blank = input
        .client_secret
        .as_deref()
        .is_none_or(|s| s.trim().is_empty());
    let mut next = Settings {
        instance: if locked.iter().any(|l| l == "instance") {
            current.instance.clone()
        } else {
            instance
        },
        client_id: if locked.iter().any(|l| l == "client_id") {
            current.client_id.clone()
        } else {
            Some(client_id)
        },
        client_secret: match input.client_secret {
            None => stored_secret.clone(),
            Some(s) if s.trim().is_empty() => None,
            Some(s) => Some(s.trim().to_string()),
        },
        defaults: TicketDefaults { ..input.defaults },
        fallback_user_id: input
            .fallback_user_id
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        refresh_minutes: input.refresh_minutes,
        mapping: input.mapping.unwrap_or_else(|| stored.mapping.clone()),
    };
    let stored_secret_for_revoke = stored_secret;
    let changed_target = next.instance != stored.instance || next.client_id != stored.client_id;
    if changed_target && input_secret_blank {
        // The stored secret belongs to the old instance or client: never send it to another
        // (security review L1).
        next.client_secret = None;
    }
    if let Err(e) = store::save_settings(&next).await {
        return vec![SettingsError {
            field: "form".into(),
            message_key: format!("options_error_storage: {e}"),
        }];
    }
    if changed_target {
        // The old instance's refresh token would otherwise stay valid there for its lifetime;
        // revoked in the background, so an unreachable old instance does not hold up the save.
        let old = oauth_client(&Settings {
            client_secret: stored_secret_for_revoke,
            ..stored.clone()
        })
        .map(|(instance, oauth)| Session {
            client: Client::new(FetchTransport, instance.clone()).with_timeout(REQUEST_TIMEOUT_MS),
            instance,
            oauth,
            settings: stored.clone(),
            known: Default::default(),
            read_token: Default::default(),
        });
        let revoke = revocation(old).await;
        store::forget_instance_data().await;
        if let Some(revoke) = revoke {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = revoke.await;
            });
        }
    }
    Vec::new()
}
