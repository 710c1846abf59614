//! The ServiceNow instance a user types, parsed into an origin snshare will talk to.
//!
//! The host permission the extension requests, every token and every record link derive from
//! this one value, so parsing is strict: https only, a plain ASCII host name, no credentials. A
//! full address copied from the instance's own pages is accepted for its origin: the path,
//! query and fragment after the host are dropped. Non-ASCII and punycode (`xn--`) hosts are
//! refused because a look-alike host would receive the user's tokens; a company with an IDN
//! instance domain can use the ASCII `*.service-now.com` name every instance also has.
//!
//! Ports: only 443 (dropped from the origin) on real hosts. In test builds only (`TEST_HOSTS`),
//! loopback and test hosts (`localhost`, `*.localhost`, `127.0.0.1`, and any host ending in
//! `.test`, a reserved TLD that never resolves on the internet) are accepted with any port, so
//! a local sandbox works; the shipped extension refuses them.
//!
//! Hand-rolled rather than the `url` crate: the rules are a few lines, and `url`'s IDNA tables
//! would add far more to the wasm the portal downloads than this module.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::query::percent_encode;
use super::ticket::TicketKind;

/// The domain a bare instance name (`dev12345`) lives under.
pub const DEFAULT_DOMAIN: &str = "service-now.com";

const MAX_INPUT: usize = 512;
const MAX_HOST: usize = 253;
const MAX_LABEL: usize = 63;

/// What is wrong with what the user typed. Each maps to an i18n key (`message_key`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstanceError {
    #[error("no instance given")]
    Empty,
    #[error("the address contains spaces or control characters")]
    Whitespace,
    #[error("http is not secure: ServiceNow instances use https")]
    InsecureScheme,
    #[error("only https addresses are accepted")]
    UnsupportedScheme,
    #[error("the address must not contain a user name or password")]
    Credentials,
    #[error("only the standard https port (443) is accepted")]
    Port,
    #[error("the host name must use plain ASCII letters, digits and hyphens")]
    NonAsciiHost,
    #[error("the host name contains a character that is not allowed")]
    InvalidCharacter,
    #[error("the host name contains an underscore")]
    Underscore,
    #[error("the host name has an empty part (two dots in a row, or a dot at an end)")]
    EmptyLabel,
    #[error("a part of the host name starts or ends with a hyphen")]
    HyphenAtEdge,
    #[error("the host name (or a part of it) is too long")]
    TooLong,
    #[error("IP addresses are not accepted; use the instance's host name")]
    IpAddress,
    #[error("the host name is incomplete; enter the instance name alone or its full address")]
    SingleLabel,
}

impl InstanceError {
    /// The i18n key of the message shown under the instance field.
    pub fn message_key(&self) -> &'static str {
        match self {
            InstanceError::Empty => "instance_error_empty",
            InstanceError::Whitespace => "instance_error_whitespace",
            InstanceError::InsecureScheme => "instance_error_insecure_scheme",
            InstanceError::UnsupportedScheme => "instance_error_unsupported_scheme",
            InstanceError::Credentials => "instance_error_credentials",
            InstanceError::Port => "instance_error_port",
            InstanceError::NonAsciiHost => "instance_error_non_ascii_host",
            InstanceError::InvalidCharacter => "instance_error_invalid_character",
            InstanceError::Underscore => "instance_error_underscore",
            InstanceError::EmptyLabel => "instance_error_empty_label",
            InstanceError::HyphenAtEdge => "instance_error_hyphen_at_edge",
            InstanceError::TooLong => "instance_error_too_long",
            InstanceError::IpAddress => "instance_error_ip_address",
            InstanceError::SingleLabel => "instance_error_single_label",
        }
    }
}

/// A validated instance origin: https, an ASCII host, and a port only for test hosts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstanceUrl {
    host: String,
    port: Option<u16>,
}

impl InstanceUrl {
    /// Accepts `dev12345`, `dev12345.service-now.com`, `https://sn.example.com/` and the like;
    /// see the module documentation for what is refused and why.
    pub fn parse(input: &str) -> Result<InstanceUrl, InstanceError> {
        Self::parse_for(input, TEST_HOSTS)
    }

    /// `parse`, with the local test instances allowed or not (`TEST_HOSTS` says which the
    /// running build does).
    fn parse_for(input: &str, test_hosts: bool) -> Result<InstanceUrl, InstanceError> {
        // Pasted values often carry surrounding spaces; spaces inside are an error below.
        let input = input.trim();
        if input.is_empty() {
            return Err(InstanceError::Empty);
        }
        if input.len() > MAX_INPUT {
            return Err(InstanceError::TooLong);
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InstanceError::Whitespace);
        }
        let (had_scheme, rest) = split_scheme(input)?;

        // Authority ends at the first of / ? # (and \, which browsers read as /). What follows
        // it — the page of the instance the address was copied from, a query, a fragment — is
        // not part of the instance: the origin alone is kept (a `#@evil.example` after the host
        // names no other host).
        let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if tail.starts_with('\\') {
            return Err(InstanceError::InvalidCharacter);
        }
        if authority.contains('@') {
            return Err(InstanceError::Credentials);
        }
        if authority.starts_with('[') {
            // IPv6 literals: a ServiceNow instance always has a host name.
            return Err(InstanceError::IpAddress);
        }

        let (host_part, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(parse_port(p)?)),
            None => (authority, None),
        };
        if !host_part.is_ascii() {
            return Err(InstanceError::NonAsciiHost);
        }
        let mut host = host_part.to_ascii_lowercase();
        check_host_chars(&host)?;

        let is_ip = host
            .split('.')
            .next_back()
            .is_some_and(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()));
        if is_ip {
            if !(test_hosts && is_loopback_ip(&host)) {
                return Err(InstanceError::IpAddress);
            }
        } else {
            check_labels(&host)?;
            let local = test_hosts && is_test_host(&host);
            if !host.contains('.') && !local {
                if had_scheme {
                    return Err(InstanceError::SingleLabel);
                }
                // The bare instance name, as ServiceNow itself names instances.
                host = format!("{host}.{DEFAULT_DOMAIN}");
                if host.len() > MAX_HOST {
                    return Err(InstanceError::TooLong);
                }
            }
        }

        let port = match port {
            None | Some(443) => None,
            Some(p) if test_hosts && is_test_host(&host) => Some(p),
            Some(_) => return Err(InstanceError::Port),
        };
        Ok(InstanceUrl { host, port })
    }

    /// `https://host[:port]`, the form stored in settings and used for host permissions.
    pub fn origin(&self) -> String {
        match self.port {
            Some(p) => format!("https://{}:{p}", self.host),
            None => format!("https://{}", self.host),
        }
    }

    /// The host name, lowercase, without port.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port when it is not 443 (test hosts only).
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The optional host permission to request (`chrome.permissions` ignores ports in match
    /// patterns, so the pattern has none).
    pub fn permission_pattern(&self) -> String {
        format!("https://{}/*", self.host)
    }

    /// `origin` + an absolute path (`/api/now/table/incident`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }

    /// A record opened inside ServiceNow's frame: `nav_to.do?uri=incident.do?sys_id=…`, the inner
    /// URI percent-encoded as one query value.
    pub fn record_link(&self, kind: TicketKind, sys_id: &str) -> String {
        let inner = format!("{}.do?sys_id={}", kind.table(), percent_encode(sys_id));
        format!("{}/nav_to.do?uri={}", self.origin(), percent_encode(&inner))
    }

    /// The instance's list of `kind` filtered by an encoded query (already built).
    pub fn list_link(&self, kind: TicketKind, encoded_query: &str) -> String {
        format!(
            "{}/{}_list.do?sysparm_query={}",
            self.origin(),
            kind.table(),
            percent_encode(encoded_query)
        )
    }
}

impl fmt::Display for InstanceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin())
    }
}

impl std::str::FromStr for InstanceUrl {
    type Err = InstanceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        InstanceUrl::parse(s)
    }
}

// Stored as its origin string, re-validated when read back (storage is outside data).
impl Serialize for InstanceUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.origin())
    }
}

impl<'de> Deserialize<'de> for InstanceUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        InstanceUrl::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Splits off `scheme://`. Also catches scheme-only inputs such as `javascript:alert(1)` or
/// `mailto:x`, while leaving `host:8443` to the port check.
fn split_scheme(input: &str) -> Result<(bool, &str), InstanceError> {
    if let Some(idx) = input.find("://") {
        let scheme = &input[..idx];
        if scheme.eq_ignore_ascii_case("https") {
            return Ok((true, &input[idx + 3..]));
        }
        if scheme.eq_ignore_ascii_case("http") {
            return Err(InstanceError::InsecureScheme);
        }
        if is_scheme_name(scheme) {
            return Err(InstanceError::UnsupportedScheme);
        }
        // Something like "a/b://": let the host rules reject it.
        return Ok((false, input));
    }
    if let Some((before, after)) = input.split_once(':') {
        let looks_like_port = !after.is_empty()
            && after
                .split(['/', '?', '#'])
                .next()
                .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
        if is_scheme_name(before) && !looks_like_port {
            if before.eq_ignore_ascii_case("http") {
                return Err(InstanceError::InsecureScheme);
            }
            if before.eq_ignore_ascii_case("https") {
                // "https:host" without slashes: not a URL anyone means.
                return Err(InstanceError::InvalidCharacter);
            }
            return Err(InstanceError::UnsupportedScheme);
        }
    }
    Ok((false, input))
}

fn is_scheme_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

fn parse_port(p: &str) -> Result<u16, InstanceError> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InstanceError::Port);
    }
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(InstanceError::Port),
        Ok(v) => Ok(v),
    }
}

fn check_host_chars(host: &str) -> Result<(), InstanceError> {
    if host.is_empty() {
        return Err(InstanceError::EmptyLabel);
    }
    if host.len() > MAX_HOST {
        return Err(InstanceError::TooLong);
    }
    if host.contains('_') {
        return Err(InstanceError::Underscore);
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(InstanceError::InvalidCharacter);
    }
    Ok(())
}

fn check_labels(host: &str) -> Result<(), InstanceError> {
    for label in host.split('.') {
        if label.is_empty() {
            return Err(InstanceError::EmptyLabel);
        }
        if label.len() > MAX_LABEL {
            return Err(InstanceError::TooLong);
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(InstanceError::HyphenAtEdge);
        }
        // Punycode: an ASCII spelling of a non-ASCII (possibly look-alike) name.
        if label.starts_with("xn--") {
            return Err(InstanceError::NonAsciiHost);
        }
    }
    // A numeric top-level label means an IP-like host (handled by the caller) or junk.
    Ok(())
}

/// Whether this build accepts the local test instances: the unit tests and the test builds
/// (the crate's default features), never the shipped extension, which build.sh builds without
/// default features (security review L7).
pub const TEST_HOSTS: bool = cfg!(any(test, feature = "test-hosts"));

/// `127.x.y.z` in canonical dotted decimal only: `127.0.0.01` would reach the same address under
/// another origin and permission pattern.
fn is_loopback_ip(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts[0] == "127"
        && parts.iter().all(|p| {
            p.parse::<u8>().is_ok()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (*p == "0" || !p.starts_with('0'))
        })
}

/// Hosts that never leave the machine (or never resolve on the internet): any port is fine.
fn is_test_host(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host.ends_with(".test")
        || is_loopback_ip(host)
}

/// Whether a link from data may become an `href`: `https://` to a plain host, or plain `http`
/// to the loopback test instance. No userinfo (`https://a.service-now.com@evil.example` goes
/// to evil.example), no backslash (which browsers read as `/`), no other scheme.
pub fn is_safe_link(link: &str) -> bool {
    let lower = link.trim().to_ascii_lowercase();
    let (loopback_only, rest) = if let Some(rest) = lower.strip_prefix("https://") {
        (false, rest)
    } else if let Some(rest) = lower.strip_prefix("http://") {
        (true, rest)
    } else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty()
        || authority.contains(['@', '\\'])
        || authority.chars().any(char::is_control)
    {
        return false;
    }
    if !loopback_only {
        return true;
    }
    if !TEST_HOSTS {
        return false;
    }
    let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
    matches!(host, "127.0.0.1" | "localhost") && port.bytes().all(|b| b.is_ascii_digit())
}

/// The `href` a ticket's link may become: a web link (`is_safe_link`) and, when the connected
/// instance is known, on that instance's origin. `None`: the number is shown as text.
pub fn ticket_href<'a>(link: &'a str, instance_origin: Option<&str>) -> Option<&'a str> {
    let link = link.trim();
    if !is_safe_link(link) {
        return None;
    }
    let Some(origin) = instance_origin else {
        return Some(link);
    };
    let authority = link.find("://")? + 3;
    let end = link[authority..]
        .find(['/', '?', '#'])
        .map_or(link.len(), |i| authority + i);
    link[..end]
        .eq_ignore_ascii_case(origin.trim().trim_end_matches('/'))
        .then_some(link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_link_is_a_web_link_on_the_connected_instance() {
        let link = "https://dev1.service-now.com/nav_to.do?uri=incident.do%3Fsys_id%3D1";
        let dev1 = Some("https://dev1.service-now.com");
        assert_eq!(ticket_href(link, dev1), Some(link));
        assert_eq!(ticket_href(&format!(" {link} "), dev1), Some(link));
        assert_eq!(
            ticket_href(link, Some("HTTPS://DEV1.service-now.com/")),
            Some(link)
        );
        assert_eq!(
            ticket_href("https://dev1.service-now.com", dev1),
            Some("https://dev1.service-now.com")
        );
        assert_eq!(
            ticket_href("https://dev1.service-now.com?x", dev1),
            Some("https://dev1.service-now.com?x")
        );
        // Unknown instance: the scheme and authority rule alone.
        assert_eq!(ticket_href(link, None), Some(link));
        for bad in [
            "https://dev2.service-now.com/nav_to.do",
            "https://dev1.service-now.com.evil.example/x",
            "https://dev1.service-now.com:8443/x",
            "https://dev1.service-now.com@evil.example/x",
            "http://dev1.service-now.com/x",
            "javascript:alert(1)//https://dev1.service-now.com",
            "data:text/html,https://dev1.service-now.com",
            "",
        ] {
            assert_eq!(ticket_href(bad, dev1), None, "{bad}");
        }
        for bad in [
            "javascript:alert(1)",
            "http://evil.example/",
            "https://a@evil.example/",
        ] {
            assert_eq!(ticket_href(bad, None), None, "{bad}");
        }
        // The loopback test instance (test builds only), on its own port.
        let local = Some("http://127.0.0.1:8443");
        assert_eq!(
            ticket_href("http://127.0.0.1:8443/x", local),
            Some("http://127.0.0.1:8443/x")
        );
        assert_eq!(ticket_href("http://127.0.0.1:9999/x", local), None);
    }

    #[test]
    fn test_hosts_only_in_test_builds_and_loopback_only_canonical() {
        for host in [
            "https://localhost:8443",
            "https://localhost",
            "https://127.0.0.1:9443",
            "https://dev1.service-now.test:8443",
            "https://sandbox.localhost:3000",
        ] {
            assert!(InstanceUrl::parse_for(host, true).is_ok(), "{host}");
            assert!(InstanceUrl::parse_for(host, false).is_err(), "{host}");
        }
        for odd in [
            "https://127.0.0.01",
            "https://127.000.000.001:8443",
            "https://127.0.0.00",
        ] {
            assert_eq!(
                InstanceUrl::parse_for(odd, true),
                Err(InstanceError::IpAddress),
                "{odd}"
            );
        }
        // A bare name is an instance name, whatever the build.
        assert_eq!(
            InstanceUrl::parse_for("localhost", false).unwrap().origin(),
            "https://localhost.service-now.com"
        );
        assert_eq!(
            InstanceUrl::parse_for("https://dev1.service-now.com", false)
                .unwrap()
                .origin(),
            "https://dev1.service-now.com"
        );
    }

    #[test]
    fn links_from_data_are_https_or_the_loopback_test_instance() {
        for ok in [
            "https://dev1.service-now.com/nav_to.do?uri=incident.do",
            " HTTPS://Dev1.service-now.com ",
            "http://127.0.0.1:8443/x",
            "http://localhost/x?y=1",
        ] {
            assert!(is_safe_link(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "http://localhost:80@evil.example/",
            "http://127.0.0.1:x@evil.example/",
            "http://127.0.0.1.evil.example/",
            "http://localhost.evil.example/",
            "http://evil.example/",
            "https://dev1.service-now.com@evil.example/",
            "https://dev1.service-now.com\\@evil.example/",
            "https:///path",
            "https://",
        ] {
            assert!(!is_safe_link(bad), "{bad}");
        }
    }

    fn ok(input: &str) -> String {
        match InstanceUrl::parse(input) {
            Ok(u) => u.origin(),
            Err(e) => panic!("{input:?} refused: {e:?}"),
        }
    }

    fn err(input: &str) -> InstanceError {
        match InstanceUrl::parse(input) {
            Ok(u) => panic!("{input:?} accepted as {}", u.origin()),
            Err(e) => e,
        }
    }

    #[test]
    fn accepts_the_forms_people_type() {
        let cases = [
            ("dev12345", "https://dev12345.service-now.com"),
            ("DEV12345", "https://dev12345.service-now.com"),
            ("  dev12345  ", "https://dev12345.service-now.com"),
            (
                "dev12345.service-now.com",
                "https://dev12345.service-now.com",
            ),
            (
                "dev12345.service-now.com/",
                "https://dev12345.service-now.com",
            ),
            (
                "https://dev12345.service-now.com",
                "https://dev12345.service-now.com",
            ),
            (
                "https://dev12345.service-now.com/",
                "https://dev12345.service-now.com",
            ),
            (
                "HTTPS://Dev12345.Service-Now.com",
                "https://dev12345.service-now.com",
            ),
            (
                "https://dev12345.service-now.com:443",
                "https://dev12345.service-now.com",
            ),
            (
                "https://dev12345.service-now.com:443/",
                "https://dev12345.service-now.com",
            ),
            ("https://sn.example.com", "https://sn.example.com"),
            ("sn.example.com", "https://sn.example.com"),
            (
                "https://contoso.servicenowservices.com",
                "https://contoso.servicenowservices.com",
            ),
            (
                "https://agency.servicenowservices.us",
                "https://agency.servicenowservices.us",
            ),
            (
                "https://it-help.corp.example.co.uk/",
                "https://it-help.corp.example.co.uk",
            ),
            ("my-company-prod", "https://my-company-prod.service-now.com"),
            ("https://localhost:8443", "https://localhost:8443"),
            ("localhost:8443", "https://localhost:8443"),
            ("localhost", "https://localhost"),
            ("https://127.0.0.1:9443/", "https://127.0.0.1:9443"),
            (
                "https://dev12345.service-now.test:8443",
                "https://dev12345.service-now.test:8443",
            ),
            (
                "https://sandbox.localhost:3000",
                "https://sandbox.localhost:3000",
            ),
            ("x1", "https://x1.service-now.com"),
            // Copied from the address bar: the instance is the origin.
            (
                "https://dev12345.service-now.com/now/nav/ui/home",
                "https://dev12345.service-now.com",
            ),
            (
                "https://dev12345.service-now.com/incident_list.do?sysparm_query=active=true",
                "https://dev12345.service-now.com",
            ),
            (
                "dev12345.service-now.com/x",
                "https://dev12345.service-now.com",
            ),
            (
                "dev12345/now/nav/ui/home",
                "https://dev12345.service-now.com",
            ),
            (
                "https://dev12345.service-now.com?x=1",
                "https://dev12345.service-now.com",
            ),
            (
                "https://dev12345.service-now.com/?x=1",
                "https://dev12345.service-now.com",
            ),
            (
                "https://dev12345.service-now.com#top",
                "https://dev12345.service-now.com",
            ),
            (
                "https://dev12345.service-now.com#@evil.example",
                "https://dev12345.service-now.com",
            ),
            (
                "https://dev12345.service-now.com/@evil.example",
                "https://dev12345.service-now.com",
            ),
        ];
        for (input, origin) in cases {
            assert_eq!(ok(input), origin, "input {input:?}");
        }
    }

    #[test]
    fn refuses_with_the_reason() {
        use InstanceError::*;
        let cases = [
            ("", Empty),
            ("   ", Empty),
            ("http://dev12345.service-now.com", InsecureScheme),
            ("HTTP://dev12345.service-now.com", InsecureScheme),
            ("http:dev12345.service-now.com", InsecureScheme),
            ("javascript:alert(1)", UnsupportedScheme),
            ("JavaScript:alert(document.cookie)//", UnsupportedScheme),
            ("ftp://dev12345.service-now.com", UnsupportedScheme),
            ("data:text/html,hi", UnsupportedScheme),
            ("file:///etc/passwd", UnsupportedScheme),
            ("https://user:pass@dev12345.service-now.com", Credentials),
            ("https://admin@dev12345.service-now.com", Credentials),
            ("https://dev12345.service-now.com@evil.example", Credentials),
            (
                "https://dev12345.service-now.com\\evil.example",
                InvalidCharacter,
            ),
            ("https://dev12345.service-now.com:8443", Port),
            ("https://dev12345.service-now.com:80", Port),
            ("https://dev12345.service-now.com:", Port),
            ("https://dev12345.service-now.com:99999", Port),
            ("https://localhost:0", Port),
            ("https://dev12345.service-now.com:44a", Port),
            ("dev 12345", Whitespace),
            ("https://dev12345 .service-now.com", Whitespace),
            ("dev12345.service-now.com\u{a0}x", Whitespace),
            ("dev\t12345", Whitespace),
            ("https://dev12345.sérvice-now.com", NonAsciiHost),
            ("https://dеv12345.service-now.com", NonAsciiHost), // Cyrillic е
            ("https://xn--dv12345-8ya.service-now.com", NonAsciiHost),
            ("https://dev12345..service-now.com", EmptyLabel),
            ("https://.service-now.com", EmptyLabel),
            ("https://dev12345.service-now.com.", EmptyLabel),
            ("https://", EmptyLabel),
            ("https://dev_12345.service-now.com", Underscore),
            ("dev_12345", Underscore),
            ("https://-dev.service-now.com", HyphenAtEdge),
            ("dev-", HyphenAtEdge),
            ("https://dev<script>.service-now.com", InvalidCharacter),
            ("https://dev%41.service-now.com", InvalidCharacter),
            ("https://10.0.0.5", IpAddress),
            ("https://8.8.8.8:443", IpAddress),
            ("https://[::1]:8443", IpAddress),
            ("https://dev12345", SingleLabel),
        ];
        for (input, expected) in cases {
            assert_eq!(err(input), expected, "input {input:?}");
        }
        assert_eq!(err(&format!("{}.service-now.com", "a".repeat(64))), TooLong);
        assert_eq!(err(&format!("https://{}.com", "a.".repeat(130))), TooLong);
        assert_eq!(err(&"a".repeat(600)), TooLong);
    }

    /// Every `InstanceError`, in a chain the compiler keeps whole: a new variant makes the
    /// match below non-exhaustive until it is given a place in the chain.
    fn all_instance_errors() -> Vec<InstanceError> {
        fn after(e: &InstanceError) -> Option<InstanceError> {
            use InstanceError::*;
            match e {
                Empty => Some(Whitespace),
                Whitespace => Some(InsecureScheme),
                InsecureScheme => Some(UnsupportedScheme),
                UnsupportedScheme => Some(Credentials),
                Credentials => Some(Port),
                Port => Some(NonAsciiHost),
                NonAsciiHost => Some(InvalidCharacter),
                InvalidCharacter => Some(Underscore),
                Underscore => Some(EmptyLabel),
                EmptyLabel => Some(HyphenAtEdge),
                HyphenAtEdge => Some(TooLong),
                TooLong => Some(IpAddress),
                IpAddress => Some(SingleLabel),
                SingleLabel => None,
            }
        }
        let mut all = vec![InstanceError::Empty];
        while let Some(next) = all.last().and_then(after) {
            assert!(!all.contains(&next), "the chain loops at {next:?}");
            all.push(next);
        }
        all
    }

    #[test]
    fn every_error_has_an_instance_error_key() {
        let all = all_instance_errors();
        assert_eq!(all.len(), 14);
        let mut keys: Vec<_> = all.iter().map(|e| e.message_key()).collect();
        assert!(keys.iter().all(|k| k.starts_with("instance_error_")));
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), all.len());
        // English texts, added with tests/tools/i18n_add.py; compiled in, so a moved
        // catalogue fails the build rather than skipping the check.
        let messages: serde_json::Value =
            serde_json::from_str(include_str!("../../../extension/_locales/en/messages.json"))
                .unwrap();
        for k in keys {
            assert!(messages[k]["message"].is_string(), "missing {k}");
        }
    }

    #[test]
    fn derives_origin_pattern_and_links() {
        let i = InstanceUrl::parse("dev12345").unwrap();
        assert_eq!(i.host(), "dev12345.service-now.com");
        assert_eq!(i.port(), None);
        assert_eq!(i.permission_pattern(), "https://dev12345.service-now.com/*");
        assert_eq!(
            i.url("/api/now/table/incident"),
            "https://dev12345.service-now.com/api/now/table/incident"
        );
        assert_eq!(
            i.record_link(TicketKind::Incident, "9d385017c611228701d22104cc95c371"),
            "https://dev12345.service-now.com/nav_to.do?uri=incident.do%3Fsys_id%3D9d385017c611228701d22104cc95c371"
        );
        assert_eq!(
            i.record_link(TicketKind::ChangeRequest, "a&b"),
            "https://dev12345.service-now.com/nav_to.do?uri=change_request.do%3Fsys_id%3Da%2526b"
        );
        assert_eq!(
            i.list_link(TicketKind::Incident, "correlation_idSTARTSWITHsnshare:AdminMFAV2:"),
            "https://dev12345.service-now.com/incident_list.do?sysparm_query=correlation_idSTARTSWITHsnshare%3AAdminMFAV2%3A"
        );
        let local = InstanceUrl::parse("https://localhost:8443").unwrap();
        assert_eq!(local.permission_pattern(), "https://localhost/*");
        assert_eq!(local.to_string(), "https://localhost:8443");
    }

    #[test]
    fn serializes_as_its_origin_and_revalidates() {
        let i = InstanceUrl::parse("dev1").unwrap();
        let json = serde_json::to_string(&i).unwrap();
        assert_eq!(json, "\"https://dev1.service-now.com\"");
        assert_eq!(serde_json::from_str::<InstanceUrl>(&json).unwrap(), i);
        assert!(serde_json::from_str::<InstanceUrl>("\"http://dev1.service-now.com\"").is_err());
        assert_eq!("dev1".parse::<InstanceUrl>().unwrap(), i);
    }
}
