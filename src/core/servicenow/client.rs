//! The client: an instance, a transport, a timeout. Resource modules add the typed calls.

use crate::domain::instance::InstanceUrl;
use crate::domain::token::Secret;

use super::error::{snippet, ClientError, Endpoint, HttpError, ServiceNowError};
use super::transport::{HttpRequest, HttpResponse, Method, Transport};

/// How long a request may take before the transport aborts it.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;

const SNIPPET_CHARS: usize = 300;

/// Sees every answer of the Table, Batch and Change Management APIs (the worker's rate
/// meter reads their `X-RateLimit-*` headers, see `domain::pacing`).
#[derive(Clone)]
pub struct AnswerObserver(std::rc::Rc<dyn Fn(&HttpResponse)>);

impl AnswerObserver {
    pub fn new(f: impl Fn(&HttpResponse) + 'static) -> Self {
        AnswerObserver(std::rc::Rc::new(f))
    }
}

impl std::fmt::Debug for AnswerObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnswerObserver")
    }
}

/// A ServiceNow client for one instance. Every call is made by the background worker; access
/// tokens are passed per call (the token lifecycle lives in the worker, not here).
#[derive(Debug, Clone)]
pub struct Client<T> {
    transport: T,
    instance: InstanceUrl,
    timeout_ms: u32,
    /// sys_id of the connected user: snshare's tickets are the ones it opened, so a record
    /// anyone else gave a `snshare:` correlation id is not taken for one (security review L8).
    owner: Option<String>,
    observer: Option<AnswerObserver>,
}

impl<T: Transport> Client<T> {
    pub fn new(transport: T, instance: InstanceUrl) -> Self {
        Client {
            transport,
            instance,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            owner: None,
            observer: None,
        }
    }

    /// Every answer `execute` receives is shown to `observer` first.
    pub fn with_observer(mut self, observer: AnswerObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn with_owner(mut self, user_sys_id: Option<String>) -> Self {
        self.owner = user_sys_id.filter(|u| !u.trim().is_empty());
        self
    }

    pub fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }

    pub fn with_timeout(mut self, timeout_ms: u32) -> Self {
        self.timeout_ms = timeout_ms;
        self
    }

    pub fn instance(&self) -> &InstanceUrl {
        &self.instance
    }

    pub fn timeout_ms(&self) -> u32 {
        self.timeout_ms
    }

    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Sends a request; a non-2xx answer becomes `ClientError::Http`.
    pub async fn execute(
        &self,
        req: HttpRequest,
        endpoint: &Endpoint,
    ) -> Result<HttpResponse, ClientError> {
        let method = req.method;
        let resp = self.transport.send(req).await?;
        if let Some(observer) = &self.observer {
            (observer.0)(&resp);
        }
        if resp.is_success() {
            Ok(resp)
        } else {
            Err(http_error(endpoint.clone(), method, &resp))
        }
    }
}

/// Builds the `Http` error of a non-2xx answer.
pub fn http_error(endpoint: Endpoint, method: Method, resp: &HttpResponse) -> ClientError {
    let json_body = serde_json::from_str::<serde_json::Value>(&resp.body).is_ok();
    ClientError::Http(Box::new(HttpError {
        endpoint,
        method,
        status: resp.status,
        envelope: ServiceNowError::from_body(&resp.body),
        json_body,
        retry_after: resp.header("retry-after").map(|v| v.trim().to_owned()),
        rate_limit_reset: resp
            .header("x-ratelimit-reset")
            .and_then(|v| v.trim().parse().ok()),
        body_snippet: snippet(&resp.body, SNIPPET_CHARS),
    }))
}

/// Headers of every Table API call.
pub(crate) fn api_headers(token: &Secret, with_body: bool) -> Vec<(String, String)> {
    let mut h = vec![
        ("Accept".to_owned(), "application/json".to_owned()),
        (
            "Authorization".to_owned(),
            format!("Bearer {}", token.expose()),
        ),
    ];
    if with_body {
        // ServiceNow answers 400 to a POST/PUT/PATCH without it.
        h.push(("Content-Type".to_owned(), "application/json".to_owned()));
    }
    h
}

/// One record of a Table API answer. Reads both shapes ServiceNow returns: plain strings, and
/// `{"value":…,"display_value":…}` objects (`sysparm_display_value=all`, references).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    table: String,
    fields: serde_json::Map<String, serde_json::Value>,
}

impl Record {
    pub fn new(
        table: impl Into<String>,
        fields: serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        Record {
            table: table.into(),
            fields,
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn fields(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.fields
    }

    /// The stored value (`value` of an object), as text.
    pub fn value(&self, field: &str) -> Option<String> {
        match self.fields.get(field)? {
            serde_json::Value::Object(o) => o.get("value").and_then(scalar_text),
            v => scalar_text(v),
        }
    }

    /// The display value (`display_value` of an object, else the plain value).
    pub fn display(&self, field: &str) -> Option<String> {
        match self.fields.get(field)? {
            serde_json::Value::Object(o) => o.get("display_value").and_then(scalar_text),
            v => scalar_text(v),
        }
    }

    /// A non-empty value, or a decode error naming `<table>.<field>`.
    pub fn require(&self, field: &str) -> Result<String, ClientError> {
        match self.value(field) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(ClientError::decode(
                format!("{}.{field}", self.table),
                super::error::DecodeKind::Field,
                "missing or empty",
            )),
        }
    }

    /// A value that is present and non-empty, else `None`.
    pub fn non_empty(&self, field: &str) -> Option<String> {
        self.value(field).filter(|v| !v.trim().is_empty())
    }
}

fn scalar_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod fake {
    //! A transport that answers from a script and records what it was sent.

    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::super::transport::{HttpRequest, HttpResponse, Transport, TransportError};

    #[derive(Default)]
    pub struct FakeTransport {
        answers: RefCell<VecDeque<Result<HttpResponse, TransportError>>>,
        pub sent: RefCell<Vec<HttpRequest>>,
    }

    impl FakeTransport {
        pub fn new() -> Self {
            FakeTransport::default()
        }

        pub fn reply(self, status: u16, headers: &[(&str, &str)], body: &str) -> Self {
            let headers = headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            self.answers
                .borrow_mut()
                .push_back(Ok(HttpResponse::new(status, headers, body)));
            self
        }

        pub fn json(self, status: u16, body: &str) -> Self {
            self.reply(
                status,
                &[("content-type", "application/json;charset=UTF-8")],
                body,
            )
        }

        pub fn fail(self, e: TransportError) -> Self {
            self.answers.borrow_mut().push_back(Err(e));
            self
        }

        pub fn last(&self) -> HttpRequest {
            self.sent
                .borrow()
                .last()
                .cloned()
                .expect("a request was sent")
        }
    }

    impl Transport for FakeTransport {
        async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
            self.sent.borrow_mut().push(req);
            self.answers
                .borrow_mut()
                .pop_front()
                .unwrap_or(Err(TransportError::Network("no scripted answer".into())))
        }
    }

    /// Runs a future that never waits on anything but the fake (always ready).
    pub fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_observer_sees_every_answer_success_or_not() {
        use super::super::transport::{HttpRequest, Method};
        use fake::{block_on, FakeTransport};
        use std::cell::RefCell;
        use std::rc::Rc;

        type Seen = Vec<(u16, Option<String>)>;
        let seen: Rc<RefCell<Seen>> = Rc::default();
        let s = seen.clone();
        let transport = FakeTransport::new()
            .reply(201, &[("X-RateLimit-Limit", "60")], "{}")
            .reply(429, &[("x-ratelimit-limit", "60")], "{}");
        let client = Client::new(
            transport,
            InstanceUrl::parse("https://dev1.service-now.com").unwrap(),
        )
        .with_observer(AnswerObserver::new(move |r| {
            s.borrow_mut()
                .push((r.status, r.header("x-ratelimit-limit").map(str::to_owned)))
        }));
        let req = || HttpRequest {
            method: Method::Post,
            url: "https://dev1.service-now.com/api/now/table/incident".into(),
            headers: Vec::new(),
            body: None,
            timeout_ms: 1_000,
        };
        let endpoint = Endpoint::Table("incident".into());
        assert!(block_on(client.execute(req(), &endpoint)).is_ok());
        assert!(block_on(client.execute(req(), &endpoint)).is_err());
        assert_eq!(
            *seen.borrow(),
            vec![(201, Some("60".into())), (429, Some("60".into()))]
        );
    }

    #[test]
    fn records_read_both_shapes() {
        let v = serde_json::json!({
            "number": "INC0010001",
            "state": {"display_value": "In Progress", "value": "2"},
            "assigned_to": {"display_value": "Beth Anglin", "value": "46d44a23a9fe19810012d100cca80666", "link": "https://x"},
            "empty": "",
            "count": 3,
            "nothing": null
        });
        let r = Record::new("incident", v.as_object().unwrap().clone());
        assert_eq!(r.value("number").as_deref(), Some("INC0010001"));
        assert_eq!(r.display("number").as_deref(), Some("INC0010001"));
        assert_eq!(r.value("state").as_deref(), Some("2"));
        assert_eq!(r.display("state").as_deref(), Some("In Progress"));
        assert_eq!(r.display("assigned_to").as_deref(), Some("Beth Anglin"));
        assert_eq!(r.value("count").as_deref(), Some("3"));
        assert_eq!(r.value("nothing"), None);
        assert_eq!(r.non_empty("empty"), None);
        assert!(matches!(
            r.require("empty"),
            Err(ClientError::Decode { context, .. }) if context == "incident.empty"
        ));
        assert_eq!(r.require("number").unwrap(), "INC0010001");
    }
}
