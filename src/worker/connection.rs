//! Settings, authorization and the token lifecycle. Only this module ever reads a token; every
//! ServiceNow call goes through `Session::call`, which refreshes ahead of expiry and once on a
//! 401, with concurrent callers sharing one refresh.

use std::future::Future;
use std::rc::Rc;

use crate::domain::connection::{ConnectedUser, ConnectionState, ConnectionStatus};
use crate::domain::diagnosis::{integration_user_check, Diagnosis};
use crate::domain::instance::InstanceUrl;
use crate::domain::pkce::{oauth_state, PkceVerifier};
use crate::domain::retry::Failure;
use crate::domain::settings::Settings;
use crate::domain::token::{Secret, TokenSet};
use crate::messages::AuthMethod;
use crate::platform::fetch::FetchTransport;
use crate::platform::storage::Area;
use crate::platform::{join, now_ms, random_bytes, worker};
use crate::servicenow::client::Client;
use crate::servicenow::error::{AuthError, ClientError, Grant};
use crate::servicenow::oauth::{
    authorize_url, parse_redirect, web_auth_error, OAuthClient, TokenGrant,
};
use crate::servicenow::user::can_create_change_requests;

use super::store::{self, AsyncLock, ConnectionRecord};

/// How long one ServiceNow request may take. Short enough that a hung instance turns a share
/// into "queued" while the user still looks at the form; the outbox then checks and resends.
pub const REQUEST_TIMEOUT_MS: u32 = 8_000;
/// Writing `last_success_at` on every call would wake every page listening to storage.
const SUCCESS_WRITE_INTERVAL_MS: u64 = 60_000;

thread_local! {
    static TOKEN_LOCK: Rc<AsyncLock> = Rc::new(AsyncLock::new());
}

/// Why a call could not be made or failed.
#[derive(Debug)]
pub enum CallError {
    /// No instance or client configured, or never authorized.
    NotConnected,
    /// The refresh token is gone or rejected, or the instance refuses our tokens.
    NeedsAuthorization(Diagnosis),
    Client(ClientError),
}

impl CallError {
    pub fn diagnosis(&self, now: u64) -> Diagnosis {
        match self {
            CallError::NotConnected => Diagnosis::NotConfigured,
            CallError::NeedsAuthorization(d) => d.clone(),
            CallError::Client(e) => e.diagnosis(now),
        }
    }

    pub fn failure(&self, now: u64) -> Failure {
        match self {
            CallError::NotConnected | CallError::NeedsAuthorization(_) => Failure::AuthRejected,
            CallError::Client(e) => e.failure(now),
        }
    }
}

impl From<ClientError> for CallError {
    fn from(e: ClientError) -> Self {
        CallError::Client(e)
    }
}

/// The settings in force: stored values with the administrator's policy on top.
pub async fn effective_settings() -> (Settings, Vec<String>) {
    // Three independent reads side by side (a Send waits for them before its request leaves).
    let ((mut settings, managed), secret) = join(
        join(store::settings(), super::policy::managed()),
        store::stored_client_secret(),
    )
    .await;
    managed.apply(&mut settings);
    settings.client_secret = secret
        .and_then(|s| s.for_client(settings.instance.as_deref(), settings.client_id.as_deref()));
    (settings, managed.locked())
}

/// The connection as every surface shows it. Reads storage only.
pub async fn status() -> ConnectionStatus {
    let (settings, _) = effective_settings().await;
    let Some(instance) = settings.instance.clone() else {
        return ConnectionStatus::not_connected(None);
    };
    let Some(record) = store::connection().await.filter(|r| r.instance == instance) else {
        return ConnectionStatus::not_connected(Some(instance));
    };
    let tokens = store::tokens().await;
    let state = match (record.state, &tokens) {
        (ConnectionState::Connected | ConnectionState::Unreachable, None) => {
            ConnectionState::AuthorizationNeeded
        }
        (s, _) => s,
    };
    let mut warnings = record.warnings;
    flag_personal_account(record.user.as_ref(), &mut warnings).await;
    let unrestricted: Option<String> = store::get(
        Area::Session,
        crate::platform::storage::STORAGE_UNRESTRICTED,
    )
    .await
    .ok()
    .flatten();
    match unrestricted.as_deref() {
        Some(crate::platform::storage::ACCESS_LEVEL_UNSUPPORTED) => {
            warnings.push("warning_storage_shared".to_string())
        }
        Some(_) => warnings.push("warning_storage_unrestricted".to_string()),
        None => {}
    }
    ConnectionStatus {
        state,
        instance: Some(instance),
        user: record.user,
        access_token_expires_at: tokens.as_ref().map(|t| t.expires_at_ms).filter(|&e| e > 0),
        last_success_at: record.last_success_at,
        warnings,
    }
}

/// A configured instance with an OAuth client: enough to call ServiceNow.
pub struct Session {
    pub client: Client<FetchTransport>,
    pub instance: InstanceUrl,
    pub oauth: OAuthClient,
    pub settings: Settings,
    /// The connection record as this session last read or wrote it, with `store::
    /// connection_writes` then: while no write came after it, a success that changes nothing in
    /// it (connected, success noted within the minute) reads and writes nothing.
    pub(crate) known: std::cell::RefCell<Option<(ConnectionRecord, u64)>>,
    /// An access token read beside the session (`session_with_token`), taken by the first
    /// call instead of a read of its own, when still usable.
    pub(crate) read_token: std::cell::RefCell<Option<TokenSet>>,
}

pub(crate) fn oauth_client(settings: &Settings) -> Option<(InstanceUrl, OAuthClient)> {
    let instance = InstanceUrl::parse(settings.instance.as_deref()?).ok()?;
    let client_id = settings.client_id.clone().filter(|c| !c.is_empty())?;
    let secret = settings
        .client_secret
        .clone()
        .filter(|s| !s.is_empty())
        .map(Secret::new);
    Some((instance, OAuthClient::new(client_id, secret)))
}

/// The session for the configured instance, if it is configured.
pub async fn configured() -> Result<Session, CallError> {
    configured_with_record().await.map(|(s, _)| s)
}

/// `configured`, with the connection record of its instance as read for it.
async fn configured_with_record() -> Result<(Session, Option<ConnectionRecord>), CallError> {
    let writes = store::connection_writes();
    let ((settings, _), record) = join(effective_settings(), store::connection()).await;
    let (instance, oauth) = oauth_client(&settings).ok_or(CallError::NotConnected)?;
    let record = record.filter(|r| r.instance == instance.origin());
    let owner = record
        .as_ref()
        .and_then(|r| r.user.clone())
        .map(|u| u.sys_id);
    let client = Client::new(FetchTransport, instance.clone())
        .with_timeout(REQUEST_TIMEOUT_MS)
        .with_owner(owner)
        .with_observer(super::outbox::rate_observer(&instance.origin()));
    Ok((
        Session {
            client,
            instance,
            oauth,
            settings,
            known: std::cell::RefCell::new(record.clone().map(|r| (r, writes))),
            read_token: Default::default(),
        },
        record,
    ))
}

/// The session, if it is also authorized (tokens for this instance exist).
pub async fn session() -> Result<Session, CallError> {
    let (session, record) = configured_with_record().await?;
    match record {
        None => Err(CallError::NotConnected),
        Some(r) if r.state == ConnectionState::AuthorizationNeeded => Err(
            CallError::NeedsAuthorization(Diagnosis::RefreshTokenExpired),
        ),
        Some(_) => Ok(session),
    }
}

/// `session`, with the access token read side by side with the settings and the connection
/// (a Send's first call then has it without a storage round trip of its own).
pub async fn session_with_token() -> Result<Session, CallError> {
    let (session, token) = join(session(), store::access_token()).await;
    let session = session?;
    *session.read_token.borrow_mut() = token;
    Ok(session)
}

fn is_unauthorized(e: &ClientError) -> bool {
    matches!(e, ClientError::Http(h) if h.status == 401)
}

fn is_refresh_rejected(e: &ClientError) -> bool {
    matches!(
        e,
        ClientError::Auth(AuthError::TokenRejected {
            grant: Grant::RefreshToken,
            ..
        })
    )
}

impl Session {
    /// Runs one ServiceNow call with a valid access token: refreshed ahead of expiry, and
    /// once more (then the call retried once) if the instance answers 401.
    pub async fn call<T, F, Fut>(&self, f: F) -> Result<T, CallError>
    where
        F: Fn(Secret) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        self.call_with(f, false).await
    }

    /// [`call`](Self::call) for an API the instance may refuse on its own (the Batch, Aggregate
    /// and Change Management APIs): a REST API access policy can restrict one API to other
    /// authentication types, and answers 401 whatever the token. When a fresh token is refused
    /// too, a Table API read with it tells the two apart: refused as well, the grant is gone
    /// (as `call`); accepted, only that API refuses us, and its 401 is returned as its answer,
    /// for the caller to go through the Table API instead.
    pub async fn call_api<T, F, Fut>(&self, f: F) -> Result<T, CallError>
    where
        F: Fn(Secret) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        self.call_with(f, true).await
    }

    async fn call_with<T, F, Fut>(&self, f: F, api_may_refuse: bool) -> Result<T, CallError>
    where
        F: Fn(Secret) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let token = self.access_token(None).await?;
        let result = match f(token.clone()).await {
            Err(e) if is_unauthorized(&e) => {
                let fresh = self.access_token(Some(&token)).await?;
                match f(fresh.clone()).await {
                    Err(e)
                        if is_unauthorized(&e) && self.grant_gone(&fresh, api_may_refuse).await =>
                    {
                        return Err(CallError::NeedsAuthorization(Diagnosis::AuthorizationLost));
                    }
                    r => r,
                }
            }
            r => r,
        };
        match &result {
            Ok(_) => self.note_success().await,
            // An answer too large to read came from somewhere reachable.
            Err(ClientError::Transport(t))
                if !matches!(t, crate::servicenow::TransportError::TooLarge { .. }) =>
            {
                self.mark(ConnectionState::Unreachable).await
            }
            Err(_) => {}
        }
        result.map_err(CallError::Client)
    }

    /// After a fresh token was refused too: whether the grant behind it is gone (then the
    /// connection is marked so), or only the API called refuses us (`api_may_refuse`, and the
    /// Table API takes the token: one small read, who it belongs to). Not generic: every call
    /// shares it.
    async fn grant_gone(&self, fresh: &Secret, api_may_refuse: bool) -> bool {
        if api_may_refuse && self.client.who_am_i(fresh).await.is_ok() {
            return false;
        }
        self.mark(ConnectionState::AuthorizationNeeded).await;
        true
    }

    /// A usable access token. `rejected`: the token the instance just refused, which forces a
    /// refresh unless another caller already replaced it. One refresh at a time: callers that
    /// queue behind it find the new token and send no request of their own.
    async fn access_token(&self, rejected: Option<&Secret>) -> Result<Secret, CallError> {
        let lock = TOKEN_LOCK.with(Rc::clone);
        lock.run(async {
            let now = now_ms();
            // The access token alone decides whether a refresh is due: the refresh token (in
            // the secret store, an IndexedDB open away) is read only when one is.
            if rejected.is_none() {
                // Read with the session, if it was: a token another call refreshed meanwhile
                // replaces an older one that is still valid only if this one is refused (401).
                let read = self.read_token.borrow_mut().take();
                let read = match read {
                    Some(t) => Some(t),
                    None => store::access_token().await,
                };
                if let Some(access) =
                    read.filter(|t| !t.access_token.is_empty() && !t.needs_refresh(now))
                {
                    return Ok(access.access_token);
                }
            }
            let Some(tokens) = store::tokens().await else {
                self.mark(ConnectionState::AuthorizationNeeded).await;
                return Err(CallError::NeedsAuthorization(
                    Diagnosis::RefreshTokenExpired,
                ));
            };
            let replaced = rejected.is_some_and(|r| r.expose() != tokens.access_token.expose());
            let usable = !tokens.access_token.is_empty() && !tokens.needs_refresh(now);
            if usable && (rejected.is_none() || replaced) {
                return Ok(tokens.access_token);
            }
            match self.client.refresh(&self.oauth, &tokens, now).await {
                Ok(fresh) => {
                    store::save_tokens(&fresh).await.map_err(|e| {
                        CallError::Client(ClientError::decode(
                            "storage",
                            crate::servicenow::error::DecodeKind::Field,
                            e.to_string(),
                        ))
                    })?;
                    Ok(fresh.access_token)
                }
                // The instance refuses the token endpoint for a configuration reason (the
                // cross-scope policy on oauth_entity): the refresh token is not at fault.
                Err(e) if e.diagnosis(now) == Diagnosis::CrossScopeRefused => {
                    Err(CallError::Client(e))
                }
                Err(e) if is_refresh_rejected(&e) => {
                    store::forget_tokens().await;
                    self.mark(ConnectionState::AuthorizationNeeded).await;
                    Err(CallError::NeedsAuthorization(
                        Diagnosis::RefreshTokenExpired,
                    ))
                }
                Err(e) => {
                    if matches!(e, ClientError::Transport(_)) {
                        self.mark(ConnectionState::Unreachable).await;
                    }
                    Err(CallError::Client(e))
                }
            }
        })
        .await
    }

    /// Refreshes the access token now (Test connection proves the refresh token works).
    pub async fn refresh_now(&self) -> Result<(), CallError> {
        let current = store::tokens()
            .await
            .map(|t| t.access_token)
            .unwrap_or_else(|| Secret::new(""));
        self.access_token(Some(&current)).await.map(|_| ())
    }

    async fn mark(&self, state: ConnectionState) {
        if let Some(mut r) = store::connection()
            .await
            .filter(|r| r.instance == self.instance.origin())
        {
            if r.state != state {
                r.state = state;
                store::save_connection(&r).await;
            }
        }
    }

    async fn note_success(&self) {
        let now = now_ms();
        let needs_write = |r: &ConnectionRecord| {
            r.state != ConnectionState::Connected
                || r.last_success_at
                    .is_none_or(|t| now.saturating_sub(t) > SUCCESS_WRITE_INTERVAL_MS)
        };
        // What the session read when it was made (moments ago) says whether anything would
        // change: usually nothing, and then no storage round trip before the answer.
        if self.known.borrow().as_ref().is_some_and(|(r, writes)| {
            *writes == store::connection_writes()
                && r.instance == self.instance.origin()
                && !needs_write(r)
        }) {
            return;
        }
        if let Some(mut r) = store::connection()
            .await
            .filter(|r| r.instance == self.instance.origin())
        {
            if needs_write(&r) {
                r.state = ConnectionState::Connected;
                r.last_success_at = Some(now);
                store::save_connection(&r).await;
            }
            *self.known.borrow_mut() = Some((r, store::connection_writes()));
        }
    }
}

/// Runs authorization and stores the tokens; the caller gets the new status or a diagnosis.
pub async fn authorize(method: AuthMethod) -> Result<ConnectionStatus, Diagnosis> {
    let session = configured().await.map_err(|_| Diagnosis::NotConfigured)?;
    if !worker::has_host_permission(&session.instance.permission_pattern()).await {
        return Err(Diagnosis::PermissionDenied);
    }
    let now = now_ms();
    let grant = match method {
        AuthMethod::AuthorizationCode => {
            let verifier = PkceVerifier::from_random_bytes(random_bytes::<32>());
            let state = oauth_state(random_bytes::<16>());
            let redirect_uri = worker::redirect_url();
            let url = authorize_url(
                &session.instance,
                &session.oauth.client_id,
                &redirect_uri,
                &state,
                &verifier,
            );
            let redirect = worker::launch_web_auth_flow(&url).await.map_err(|e| {
                let message = match e {
                    worker::WebAuthError::Cancelled => {
                        "The user did not approve access.".to_string()
                    }
                    worker::WebAuthError::PageNotLoaded => {
                        "Authorization page could not be loaded.".to_string()
                    }
                    worker::WebAuthError::Other(m) => m,
                };
                ClientError::Auth(web_auth_error(&message)).diagnosis(now)
            })?;
            let code = parse_redirect(&redirect, &state)
                .map_err(|e| ClientError::Auth(e).diagnosis(now))?;
            TokenGrant::AuthorizationCode {
                code,
                redirect_uri,
                verifier,
            }
        }
        AuthMethod::Password { username, password } => TokenGrant::Password {
            username,
            password: Secret::new(password),
        },
    };
    let tokens: TokenSet = session
        .client
        .token(&session.oauth, &grant, now)
        .await
        .map_err(|e| e.diagnosis(now))?;

    // Who the tokens belong to, before they replace the ones in use: a failed check leaves the
    // previous account's tokens and status as they were (security review L2).
    let user = session
        .client
        .who_am_i(&tokens.access_token)
        .await
        .map_err(|e| e.diagnosis(now_ms()))?;
    store::save_tokens(&tokens)
        .await
        .map_err(|e| Diagnosis::Unexpected {
            message: e.to_string(),
        })?;
    let roles = session
        .client
        .user_roles(&tokens.access_token, &user.sys_id)
        .await
        .ok();
    let warnings = account_warnings(&user, roles.as_deref()).await;
    let previous = store::connection().await;
    let same_instance = previous
        .as_ref()
        .is_some_and(|p| p.instance == session.instance.origin());
    if !same_instance {
        let _ = store::forget_tickets(&[store::TICKETS, store::RECENT, store::STATE_NAMES]).await;
    }
    store::save_connection(&ConnectionRecord {
        instance: session.instance.origin(),
        state: ConnectionState::Connected,
        user: Some(user),
        last_success_at: Some(now_ms()),
        warnings,
    })
    .await;
    Ok(status().await)
}

/// The connect-time warnings about the account: a person's account (the same person as the
/// portal account, or not marked for integrations), or roles read that cannot create changes.
/// Unreadable roles or flags say nothing.
pub async fn account_warnings(user: &ConnectedUser, roles: Option<&[String]>) -> Vec<String> {
    match account_check(user, roles).await {
        Some(Diagnosis::PersonalAccount { .. }) => vec!["warning_personal_account".to_string()],
        Some(Diagnosis::MissingRoles { .. }) => vec!["warning_missing_change_roles".to_string()],
        _ => Vec::new(),
    }
}

/// The personal-account warning for an account that is one of the portal accounts seen in this
/// browser, also when the portal was opened only after connecting (the user often connects
/// first): worked out on every status, so no ordering of connect, portal visit and concurrent
/// record writes can lose it.
async fn flag_personal_account(user: Option<&ConnectedUser>, warnings: &mut Vec<String>) {
    const PERSONAL: &str = "warning_personal_account";
    let Some(user) = user else { return };
    if warnings.iter().any(|w| w == PERSONAL) {
        return;
    }
    let accounts = store::portal_accounts().await;
    if accounts
        .iter()
        .any(|upn| crate::domain::diagnosis::same_person(user, upn))
    {
        // One account warning at a time, the personal account first (as `account_warnings`).
        warnings.retain(|w| w != "warning_missing_change_roles");
        warnings.insert(0, PERSONAL.to_owned());
    }
}

/// `integration_user_check` with the portal accounts seen in this browser.
pub async fn account_check(user: &ConnectedUser, roles: Option<&[String]>) -> Option<Diagnosis> {
    integration_user_check(
        user,
        &store::portal_accounts().await,
        roles.and_then(can_create_change_requests),
    )
}

/// Revokes both tokens where the instance allows it, then forgets tokens and the instance's
/// cached data. Settings (the client secret with them), drafts and queued shares stay: nothing
/// the user typed is lost, and the options page says so. Returns whether the instance
/// confirmed every revocation (false also when there was a token and no session to revoke it
/// with): the user is then told to revoke at the instance.
pub async fn disconnect() -> bool {
    let had_tokens = store::tokens().await.is_some();
    let confirmed = match revocation(configured().await.ok()).await {
        Some(revoke) => revoke.await,
        None => !had_tokens,
    };
    store::forget_instance_data().await;
    confirmed
}

/// The revocation of the stored refresh and access tokens, aimed only at the instance that
/// issued them (the connection record's): for a session of any other instance, e.g. after
/// policy changed the instance, nothing is sent. Read now, sent when awaited; resolves to
/// whether the instance accepted every revocation.
pub(crate) async fn revocation(session: Option<Session>) -> Option<impl Future<Output = bool>> {
    let session = session?;
    let issuer = store::connection().await.map(|r| r.instance);
    if issuer.as_deref() != Some(session.instance.origin().as_str()) {
        return None;
    }
    let tokens = store::tokens().await?;
    let access = Some(tokens.access_token).filter(|t| !t.expose().is_empty());
    let revoke: Vec<Secret> = tokens.refresh_token.into_iter().chain(access).collect();
    if revoke.is_empty() {
        return None;
    }
    Some(async move {
        // Revocation is unverified on some releases: its failure never blocks removal, it is
        // reported.
        let mut confirmed = true;
        for token in &revoke {
            confirmed &= session.client.revoke(&session.oauth, token).await.is_ok();
        }
        confirmed
    })
}
