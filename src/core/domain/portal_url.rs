//! Which portal page a URL is, as pure functions, and the link back to an
//! improvement action.
//!
//! | page | URL |
//! | --- | --- |
//! | home | `/homepage`, `/`, `/?tid=…` |
//! | Secure Score overview | `/securescore`, `/securescore?viewid=overview` |
//! | Recommended actions | `/securescore?viewid=actions` |
//! | action detail | `/securescore?viewid=actions&actionId=<id>` (`&tid=…` may follow) |
//!
//! Compliance Manager (issue 20) on `compliance.microsoft.com` (Microsoft Learn's "direct link")
//! and `purview.microsoft.com` (the current portal). No public document gives the portal's
//! inner URLs, so these shapes are accepted, case aside, and anything else under
//! `/compliancemanager` is left alone:
//!
//! | page | URL |
//! | --- | --- |
//! | overview (dashboard) | `/compliancemanager`, `/compliancemanager?viewid=overview` (also `/compliancemanager/overview`) |
//! | Improvement actions | `/compliancemanager?viewid=ImprovementActions`, `/compliancemanager/improvementactions` |
//! | action details | the list's URL with `actionId=<id>` (or `improvementActionId`, `id`), or `/compliancemanager/improvementactions/<id>` |
//!
//! A Compliance Manager action's id is namespaced, `cm:<id>`, everywhere snshare keys actions
//! (drafts, badges, correlation ids `snshare:cm:<id>:<share>`), so it never meets a Secure
//! Score action of the same id.

use super::names::names;
use super::query::{decoded, parse_query_string, percent_encode};

/// The commercial portal's origin.
pub const PORTAL_ORIGIN: &str = "https://security.microsoft.com";
/// The security portal's origins (Secure Score): commercial, GCC High, DoD.
pub const PORTAL_ORIGINS: [&str; 3] = [
    PORTAL_ORIGIN,
    "https://security.microsoft.us",
    "https://security.apps.mil",
];
/// Compliance Manager's origins: the current Purview portal, then the compliance center the
/// direct link `https://compliance.microsoft.com/compliancemanager` opens.
pub const CM_ORIGINS: [&str; 2] = [CM_ORIGIN, "https://compliance.microsoft.com"];
pub const CM_ORIGIN: &str = "https://purview.microsoft.com";
/// Every origin the content script runs on (the manifest's `content_scripts.matches`).
pub const CONTENT_ORIGINS: [&str; 5] = [
    PORTAL_ORIGINS[0],
    PORTAL_ORIGINS[1],
    PORTAL_ORIGINS[2],
    CM_ORIGINS[0],
    CM_ORIGINS[1],
];
/// What a Compliance Manager action's id starts with wherever snshare keys it.
pub const CM_NAMESPACE: &str = "cm:";

/// A page snshare adds something to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortalPage {
    Home,
    SecureScoreOverview,
    RecommendedActions,
    ActionDetail {
        action_id: String,
    },
    /// Compliance Manager's overview (dashboard).
    ComplianceOverview,
    /// Compliance Manager's Improvement actions list.
    ImprovementActions,
    /// An improvement action's details; `action_id` is namespaced (`cm:<id>`).
    ImprovementActionDetail {
        action_id: String,
    },
}

// The page kinds as the recognition report and the popup name them (`popup_page_kind_<name>`).
names!(data PortalPage {
    Home => "home",
    SecureScoreOverview => "overview",
    RecommendedActions => "recommended_actions",
    ActionDetail { action_id } => "action_detail",
    ComplianceOverview => "cm_overview",
    ImprovementActions => "cm_improvement_actions",
    ImprovementActionDetail { action_id } => "cm_action_detail",
});

impl PortalPage {
    /// Recognizes `location.href` (absolute on the portal's origin) or a path with its query
    /// (`/securescore?viewid=actions`). Any other origin, and any other page, is `None`.
    pub fn from_url(url: &str) -> Option<PortalPage> {
        let url = url.trim();
        if let Some(rest) = strip_origin(url, &CM_ORIGINS) {
            return compliance_page(rest);
        }
        let rest = strip_portal_origin(url)?;
        // Fragments never select a page here.
        let rest = rest.split('#').next().unwrap_or("");
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let path = path.trim_end_matches('/').to_ascii_lowercase();
        let params = parse_query_string(query);
        let param = |name: &str| param_i(&params, name);
        match path.as_str() {
            "" | "/homepage" => Some(PortalPage::Home),
            "/securescore" => match param("viewid").map(str::to_ascii_lowercase).as_deref() {
                None | Some("") | Some("overview") => Some(PortalPage::SecureScoreOverview),
                Some("actions") => match param("actionid") {
                    Some(id) if is_action_id(id) => Some(PortalPage::ActionDetail {
                        action_id: id.to_owned(),
                    }),
                    _ => Some(PortalPage::RecommendedActions),
                },
                // history, metrics, … : nothing to add there.
                Some(_) => None,
            },
            _ => None,
        }
    }

    /// Pages that show the two ticket cards.
    pub fn shows_cards(&self) -> bool {
        matches!(
            self,
            PortalPage::Home | PortalPage::SecureScoreOverview | PortalPage::ComplianceOverview
        )
    }

    /// The action the page is about, if any (namespaced on Compliance Manager).
    pub fn action_id(&self) -> Option<&str> {
        match self {
            PortalPage::ActionDetail { action_id }
            | PortalPage::ImprovementActionDetail { action_id } => Some(action_id),
            _ => None,
        }
    }

    /// Pages with an action list (and possibly an action's details over or instead of it).
    pub fn lists_actions(&self) -> bool {
        matches!(
            self,
            PortalPage::RecommendedActions
                | PortalPage::ActionDetail { .. }
                | PortalPage::ImprovementActions
                | PortalPage::ImprovementActionDetail { .. }
        )
    }

    /// A Compliance Manager page.
    pub fn is_compliance(&self) -> bool {
        matches!(
            self,
            PortalPage::ComplianceOverview
                | PortalPage::ImprovementActions
                | PortalPage::ImprovementActionDetail { .. }
        )
    }
}

/// A query parameter's value, trimmed; its name compared case aside.
fn param_i<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// Query parameters that carry an improvement action's id on Compliance Manager.
const CM_ID_PARAMS: [&str; 3] = ["actionid", "improvementactionid", "id"];

/// A Compliance Manager page from the path and query after its origin.
fn compliance_page(rest: &str) -> Option<PortalPage> {
    let rest = rest.split('#').next().unwrap_or("");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = path.trim_end_matches('/');
    let params = parse_query_string(query);
    let param = |name: &str| param_i(&params, name);
    let mut segments = path.split('/').skip(1);
    if !segments
        .next()
        .is_some_and(|s| s.eq_ignore_ascii_case("compliancemanager"))
    {
        return None;
    }
    let view = segments.next().map(str::to_ascii_lowercase).or_else(|| {
        param("viewid")
            .filter(|v| !v.is_empty())
            .map(str::to_ascii_lowercase)
    });
    let path_id = segments.next().filter(|s| !s.is_empty());
    if segments.next().is_some() {
        return None;
    }
    match view.as_deref() {
        None | Some("overview") if path_id.is_none() => Some(PortalPage::ComplianceOverview),
        Some("improvementactions") => {
            let id = path_id
                .map(super::query::percent_decode)
                .or_else(|| {
                    CM_ID_PARAMS
                        .iter()
                        .find_map(|p| param(p))
                        .map(str::to_owned)
                })
                .filter(|id| is_action_id(id.trim()));
            Some(match id {
                Some(id) => PortalPage::ImprovementActionDetail {
                    action_id: cm_id(id.trim()),
                },
                None => PortalPage::ImprovementActions,
            })
        }
        // assessments, solutions, templates, … : nothing to add there.
        _ => None,
    }
}

/// `cm:<id>`: a Compliance Manager action's id as snshare keys it (an id already namespaced
/// stays as it is).
pub fn cm_id(id: &str) -> String {
    if is_cm_id(id) {
        id.to_owned()
    } else {
        [CM_NAMESPACE, id].concat()
    }
}

/// Whether an action id is Compliance Manager's (`cm:<id>`).
pub fn is_cm_id(id: &str) -> bool {
    id.starts_with(CM_NAMESPACE)
}

/// The id as the portal knows it (the namespace taken off).
pub fn portal_id(id: &str) -> &str {
    id.strip_prefix(CM_NAMESPACE).unwrap_or(id)
}

/// `https://security.microsoft.com/securescore?viewid=actions&actionId=<id>`: where a ticket
/// links back to.
pub fn action_link(action_id: &str) -> String {
    action_link_on(PORTAL_ORIGIN, action_id)
}

/// The link back to an action on the portal the user is on (`origin` is `location.origin`; an
/// origin that is not a portal's gives the commercial one). An action known only by its title
/// links to the Recommended actions list.
pub fn action_link_on(origin: &str, action_id: &str) -> String {
    if let Some(id) = action_id.strip_prefix(CM_NAMESPACE) {
        let origin = CM_ORIGINS
            .into_iter()
            .find(|o| o.eq_ignore_ascii_case(origin.trim_end_matches('/')))
            .unwrap_or(CM_ORIGIN);
        const LIST: &str = "/compliancemanager?viewid=ImprovementActions";
        if super::action_title::is_title_key(id) {
            return [origin, LIST].concat();
        }
        return [origin, LIST, "&actionId=", &percent_encode(id)].concat();
    }
    let origin = PORTAL_ORIGINS
        .into_iter()
        .find(|o| o.eq_ignore_ascii_case(origin.trim_end_matches('/')))
        .unwrap_or(PORTAL_ORIGIN);
    const LIST: &str = "/securescore?viewid=actions";
    if super::action_title::is_title_key(action_id) {
        return [origin, LIST].concat();
    }
    [origin, LIST, "&actionId=", &percent_encode(action_id)].concat()
}

/// The action id carried by any link (a row's href, a panel URL), whatever the page. A link to
/// a Compliance Manager action (its path under `/compliancemanager`) gives the namespaced id.
pub fn action_id_from_href(href: &str) -> Option<String> {
    let path = strip_origin(href.trim(), &CONTENT_ORIGINS)
        .or_else(|| href.trim().starts_with('/').then_some(href.trim()));
    if let Some(p) = path.filter(|p| {
        p.get(..18)
            .is_some_and(|s| s.eq_ignore_ascii_case("/compliancemanager"))
    }) {
        return compliance_page(p).and_then(|page| page.action_id().map(str::to_owned));
    }
    let query = href.split('#').next()?.split_once('?')?.1;
    let value = query_value(query, "actionid")?;
    let id = decoded(value);
    let id = id.trim();
    is_action_id(id).then(|| id.to_owned())
}

/// The raw (still percent-encoded) value of the query's first parameter named `key` (ASCII,
/// lower case; the name compared as [`parse_query_string`] decodes it, case aside). Only that
/// one value is decoded afterwards: every row's link passes here, and decoding its whole query
/// into pairs was most of the time a 2,000-row list spent on its hrefs.
fn query_value<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query.split('&').filter(|p| !p.is_empty()).find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        // A name without `%` or `+` decodes to itself: compared as it is, no copy.
        decoded(k).eq_ignore_ascii_case(key).then_some(v)
    })
}

/// The path and query of a portal URL; `None` for any other origin. A relative URL starting
/// with `/` counts as the portal's.
fn strip_portal_origin(url: &str) -> Option<&str> {
    if url.starts_with('/') && !url.starts_with("//") {
        return Some(url);
    }
    strip_origin(url, &PORTAL_ORIGINS)
}

/// The path and query of an absolute URL on one of `origins`.
fn strip_origin<'a>(url: &'a str, origins: &[&str]) -> Option<&'a str> {
    // The first colon ends the scheme: a URL whose first colon starts no `://` has no scheme
    // that could be `https` (a search for the string costs every row's link a searcher set-up).
    let scheme_end = url.find(':')?;
    if !url[scheme_end..].starts_with("://") || !url[..scheme_end].eq_ignore_ascii_case("https") {
        return None;
    }
    let after = &url[scheme_end + 3..];
    let host_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..host_end];
    let host = authority.strip_suffix(":443").unwrap_or(authority);
    if !origins
        .iter()
        .any(|o| o["https://".len()..].eq_ignore_ascii_case(host))
    {
        return None;
    }
    Some(&after[host_end..])
}

/// Control names are short identifiers; refuse anything that cannot be one (empty, control
/// characters, absurd length) rather than carry it into tickets.
pub(crate) fn is_action_id(id: &str) -> bool {
    let id = portal_id(id);
    // Portal ids are ASCII: tested byte by byte (every row's link passes here).
    if id.is_ascii() {
        return !id.is_empty() && id.len() <= 200 && !id.bytes().any(|b| b.is_ascii_control());
    }
    id.chars().count() <= 200 && !id.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recognition report's `page` (read by the popup as `popup_page_kind_<name>`).
    #[test]
    fn page_kind_names_are_pinned_and_have_popup_text() {
        let pages = [
            (PortalPage::Home, "home"),
            (PortalPage::SecureScoreOverview, "overview"),
            (PortalPage::RecommendedActions, "recommended_actions"),
            (
                PortalPage::ActionDetail {
                    action_id: "mfa".into(),
                },
                "action_detail",
            ),
            (PortalPage::ComplianceOverview, "cm_overview"),
            (PortalPage::ImprovementActions, "cm_improvement_actions"),
            (
                PortalPage::ImprovementActionDetail {
                    action_id: "cm:x".into(),
                },
                "cm_action_detail",
            ),
        ];
        let messages: serde_json::Value =
            serde_json::from_str(include_str!("../../../extension/_locales/en/messages.json"))
                .unwrap();
        for (page, name) in pages {
            assert_eq!(page.name(), name);
            assert_eq!(PortalPage::with_name(name).map(|p| p.name()), Some(name));
            let key = format!("popup_page_kind_{name}");
            assert!(messages[&key]["message"].is_string(), "missing {key}");
        }
    }

    fn page(url: &str) -> Option<PortalPage> {
        PortalPage::from_url(url)
    }

    fn detail(id: &str) -> Option<PortalPage> {
        Some(PortalPage::ActionDetail {
            action_id: id.into(),
        })
    }

    #[test]
    fn recognizes_each_page_of_the_table() {
        use PortalPage::*;
        assert_eq!(page("https://security.microsoft.com/homepage"), Some(Home));
        assert_eq!(
            page(
                "https://security.microsoft.com/homepage?tid=72f988bf-86f1-41af-91ab-2d7cd011db47"
            ),
            Some(Home)
        );
        assert_eq!(page("https://security.microsoft.com/"), Some(Home));
        assert_eq!(page("https://security.microsoft.com"), Some(Home));
        assert_eq!(
            page("https://security.microsoft.com/?tid=72f988bf-86f1-41af-91ab-2d7cd011db47"),
            Some(Home)
        );
        assert_eq!(
            page("https://security.microsoft.com/securescore"),
            Some(SecureScoreOverview)
        );
        assert_eq!(
            page("https://security.microsoft.com/securescore?viewid=overview"),
            Some(SecureScoreOverview)
        );
        assert_eq!(
            page("https://security.microsoft.com/securescore?viewid=overview&tid=abc"),
            Some(SecureScoreOverview)
        );
        assert_eq!(
            page("https://security.microsoft.com/securescore?viewid=actions"),
            Some(RecommendedActions)
        );
        assert_eq!(
            page("https://security.microsoft.com/securescore?viewid=actions&tid=abc"),
            Some(RecommendedActions)
        );
        assert_eq!(
            page("https://security.microsoft.com/securescore?viewid=actions&actionId=AdminMFAV2"),
            detail("AdminMFAV2")
        );
        assert_eq!(
            page("https://security.microsoft.com/securescore?viewid=actions&actionId=aad_admin_consent_workflow&tid=72f988bf-86f1-41af-91ab-2d7cd011db47"),
            detail("aad_admin_consent_workflow")
        );
        assert_eq!(
            page("https://security.microsoft.com/securescore?actionId=AdminMFAV2&viewid=actions"),
            detail("AdminMFAV2")
        );
    }

    #[test]
    fn tolerates_case_trailing_slashes_fragments_and_relative_urls() {
        use PortalPage::*;
        assert_eq!(
            page("https://Security.Microsoft.com/SecureScore/?viewid=Actions"),
            Some(RecommendedActions)
        );
        assert_eq!(
            page("https://security.microsoft.com:443/securescore"),
            Some(SecureScoreOverview)
        );
        assert_eq!(
            page("https://security.microsoft.com/securescore?viewid=actions#x"),
            Some(RecommendedActions)
        );
        assert_eq!(
            page("/securescore?viewid=actions&actionid=AdminMFAV2"),
            detail("AdminMFAV2")
        );
        assert_eq!(
            page("https://security.microsoft.com/securescore?viewid=actions&actionId=a%20b"),
            detail("a b")
        );
        // An empty actionId is the list.
        assert_eq!(
            page("https://security.microsoft.com/securescore?viewid=actions&actionId="),
            Some(RecommendedActions)
        );
    }

    #[test]
    fn ignores_other_pages_and_origins() {
        for url in [
            "https://security.microsoft.com/securescore?viewid=history",
            "https://security.microsoft.com/securescore?viewid=metrics",
            "https://security.microsoft.com/incidents",
            "https://security.microsoft.com/homepage/extra",
            "http://security.microsoft.com/homepage",
            "https://security.microsoft.com.evil.example/homepage",
            "https://evil.example/securescore?viewid=actions",
            "https://security.microsoft.com:8443/homepage",
            "//evil.example/homepage",
            "",
            "not a url",
        ] {
            assert_eq!(page(url), None, "{url}");
        }
    }

    #[test]
    fn links_back_to_the_action() {
        assert_eq!(
            action_link("AdminMFAV2"),
            "https://security.microsoft.com/securescore?viewid=actions&actionId=AdminMFAV2"
        );
        assert_eq!(
            action_link("a&b c"),
            "https://security.microsoft.com/securescore?viewid=actions&actionId=a%26b%20c"
        );
        assert_eq!(page(&action_link("a&b c")), detail("a&b c"));
        assert_eq!(
            action_id_from_href("/securescore?viewid=actions&actionId=MFARegistrationV2"),
            Some("MFARegistrationV2".into())
        );
        assert_eq!(
            action_id_from_href("https://x/y?ActionId=Z#frag"),
            Some("Z".into())
        );
        assert_eq!(action_id_from_href("/securescore?viewid=actions"), None);
        assert_eq!(action_id_from_href("/securescore?actionId=%0A"), None);
    }

    /// The id a link carries is the one decoding its whole query gives (the first parameter
    /// whose decoded name is `actionId`, any case, its value decoded and trimmed), though only
    /// that parameter is decoded now.
    #[test]
    fn a_links_action_id_is_read_as_from_its_decoded_query() {
        fn decoded_whole(href: &str) -> Option<String> {
            let query = href.split('#').next()?.split_once('?')?.1;
            parse_query_string(query)
                .into_iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("actionid"))
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| is_action_id(v))
        }
        let names = [
            "actionId",
            "ACTIONID",
            "actionid",
            "%61ctionId",
            "action%49d",
            "%41CTION%69D",
            "action+Id",
            "action%20Id",
            "actionIds",
            "xactionId",
            "actionId%",
            "%",
            "",
            "viewid",
        ];
        let values = [
            "MFA",
            " MFA ",
            "a%26b%20c",
            "a+b",
            "%0A",
            "",
            "%zz",
            "%E2%9C%93",
            "%FF",
            "x#y",
        ];
        let mut checked = 0;
        for (i, first) in names.iter().enumerate() {
            for (j, second) in names.iter().enumerate().step_by(3) {
                let v1 = values[i % values.len()];
                let v2 = values[(i + j + 1) % values.len()];
                for href in [
                    format!("/securescore?{first}={v1}&{second}={v2}"),
                    format!("https://x/y?viewid=actions&&{first}={v1}&{second}#{second}={v2}"),
                    format!("/a?{first}&{second}={v2}&{first}={v1}"),
                ] {
                    assert_eq!(action_id_from_href(&href), decoded_whole(&href), "{href}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 100);
        assert_eq!(
            action_id_from_href("/securescore?%61ction%49d=%20a%26b%20"),
            Some("a&b".into())
        );
        assert_eq!(action_id_from_href("/securescore?action+Id=a"), None);
    }

    #[test]
    fn the_origins_are_the_ones_the_worker_trusts() {
        assert_eq!(CONTENT_ORIGINS, crate::messages::PORTAL_ORIGINS);
        // And the manifest's content-script matches: exactly these hosts, nothing wider.
        let manifest: serde_json::Value =
            serde_json::from_str(include_str!("../../../extension/manifest.json")).unwrap();
        let matches: Vec<String> = manifest["content_scripts"][0]["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_owned())
            .collect();
        let expected: Vec<String> = CONTENT_ORIGINS.iter().map(|o| format!("{o}/*")).collect();
        assert_eq!(matches, expected);
        assert_eq!(
            manifest["web_accessible_resources"][0]["matches"],
            manifest["content_scripts"][0]["matches"]
        );
        assert!(manifest.get("host_permissions").is_none());
    }

    fn cm(id: &str) -> Option<PortalPage> {
        Some(PortalPage::ImprovementActionDetail {
            action_id: format!("cm:{id}"),
        })
    }

    #[test]
    fn recognizes_compliance_manager_on_both_hosts() {
        use PortalPage::*;
        for host in [
            "https://compliance.microsoft.com",
            "https://purview.microsoft.com",
        ] {
            let at = |path: &str| page(&format!("{host}{path}"));
            assert_eq!(at("/compliancemanager"), Some(ComplianceOverview), "{host}");
            assert_eq!(at("/compliancemanager/"), Some(ComplianceOverview));
            assert_eq!(
                at("/compliancemanager?viewid=overview&tid=t"),
                Some(ComplianceOverview)
            );
            assert_eq!(at("/ComplianceManager/Overview"), Some(ComplianceOverview));
            assert_eq!(
                at("/compliancemanager?viewid=ImprovementActions"),
                Some(ImprovementActions)
            );
            assert_eq!(
                at("/compliancemanager/improvementactions"),
                Some(ImprovementActions)
            );
            assert_eq!(
                at("/compliancemanager?viewid=ImprovementActions&actionId=a1b2-c3"),
                cm("a1b2-c3")
            );
            assert_eq!(
                at("/compliancemanager?viewid=improvementactions&improvementActionId=X%20Y"),
                cm("X Y")
            );
            assert_eq!(
                at("/compliancemanager/improvementactions/a1b2-c3"),
                cm("a1b2-c3")
            );
            assert_eq!(
                at("/compliancemanager/improvementactions/a1b2-c3/"),
                cm("a1b2-c3")
            );
            for other in [
                "/compliancemanager?viewid=assessments",
                "/compliancemanager/assessments",
                "/compliancemanager/improvementactions/a/b",
                "/homepage",
                "/securescore?viewid=actions",
                "/",
            ] {
                assert_eq!(at(other), None, "{host}{other}");
            }
        }
        // Compliance Manager is not on the security portal, and the other way round.
        assert_eq!(
            page("https://security.microsoft.com/compliancemanager"),
            None
        );
        assert_eq!(page("https://evil.example/compliancemanager"), None);
        assert_eq!(page("http://purview.microsoft.com/compliancemanager"), None);
        assert!(cm("x").unwrap().is_compliance());
        assert!(cm("x").unwrap().lists_actions());
        assert!(PortalPage::ComplianceOverview.shows_cards());
        assert!(!PortalPage::ImprovementActions.shows_cards());
        assert!(!PortalPage::Home.is_compliance());
    }

    #[test]
    fn compliance_links_and_ids_are_namespaced() {
        assert_eq!(
            action_link_on("https://compliance.microsoft.com", "cm:a1&b"),
            "https://compliance.microsoft.com/compliancemanager?viewid=ImprovementActions&actionId=a1%26b"
        );
        // Any other origin: the current portal.
        assert_eq!(
            action_link_on("https://security.microsoft.com", "cm:a1"),
            "https://purview.microsoft.com/compliancemanager?viewid=ImprovementActions&actionId=a1"
        );
        assert_eq!(
            action_link_on("https://purview.microsoft.com", "cm:title.0123456789ab"),
            "https://purview.microsoft.com/compliancemanager?viewid=ImprovementActions"
        );
        // The link leads back to the same action.
        assert_eq!(
            page(&action_link_on("https://purview.microsoft.com", "cm:a b")),
            cm("a b")
        );
        assert_eq!(
            action_id_from_href("/compliancemanager/improvementactions/abc-1"),
            Some("cm:abc-1".into())
        );
        assert_eq!(
            action_id_from_href(
                "https://purview.microsoft.com/compliancemanager?viewid=ImprovementActions&actionId=abc"
            ),
            Some("cm:abc".into())
        );
        // A Secure Score link keeps its plain id.
        assert_eq!(
            action_id_from_href(
                "https://security.microsoft.com/securescore?viewid=actions&actionId=abc"
            ),
            Some("abc".into())
        );
        assert_eq!(cm_id("x"), "cm:x");
        assert_eq!(cm_id("cm:x"), "cm:x");
        assert_eq!(portal_id("cm:x"), "x");
        assert_eq!(portal_id("x"), "x");
        assert!(is_action_id(&format!("cm:{}", "a".repeat(200))));
        assert!(!is_action_id("cm:"));
    }

    #[test]
    fn action_ids_are_at_most_200_characters_without_controls_ascii_or_not() {
        assert!(is_action_id(&"a".repeat(200)));
        assert!(!is_action_id(&"a".repeat(201)));
        // Counted in characters, not bytes.
        assert!(is_action_id(&"é".repeat(200)));
        assert!(!is_action_id(&"é".repeat(201)));
        for control in ["\t", "\n", "\u{0}", "\u{7f}", "\u{85}", "\u{9f}"] {
            assert!(!is_action_id(&format!("Mfa{control}Id")), "{control:?}");
            assert!(!is_action_id(&format!("Mfé{control}Id")), "{control:?}");
        }
        assert!(is_action_id("Mfé\u{a0}Id"));
        assert!(!is_action_id(""));
        // A Compliance Manager path counts on its own `https` origins only, whatever the first
        // colon's place; elsewhere the link's query is read as any page's.
        let path = "/compliancemanager/improvementactions/abc";
        for other in ["javascript:x://", "http://", "https:/", "https:x://"] {
            let href = [other, "purview.microsoft.com", path].concat();
            assert_eq!(action_id_from_href(&href), None, "{href}");
        }
        assert_eq!(
            action_id_from_href(&["HTTPS://purview.microsoft.com:443", path].concat()),
            Some("cm:abc".into())
        );
    }

    #[test]
    fn other_clouds_are_portals_and_links_stay_on_them() {
        assert_eq!(
            page("https://security.microsoft.us/securescore?viewid=actions&actionId=X"),
            detail("X")
        );
        assert_eq!(
            page("https://security.apps.mil/securescore?viewid=actions"),
            Some(PortalPage::RecommendedActions)
        );
        assert_eq!(
            action_link_on("https://security.apps.mil", "scid_25"),
            "https://security.apps.mil/securescore?viewid=actions&actionId=scid_25"
        );
        assert_eq!(
            action_link_on("https://evil.example", "X"),
            "https://security.microsoft.com/securescore?viewid=actions&actionId=X"
        );
        assert_eq!(
            action_link_on("https://security.microsoft.us", "title.0123456789ab"),
            "https://security.microsoft.us/securescore?viewid=actions"
        );
    }

    #[test]
    fn cards_and_action_of_a_page() {
        assert!(PortalPage::Home.shows_cards());
        assert!(PortalPage::SecureScoreOverview.shows_cards());
        assert!(!PortalPage::RecommendedActions.shows_cards());
        assert_eq!(detail("X").unwrap().action_id(), Some("X"));
        assert_eq!(PortalPage::Home.action_id(), None);
    }
}
