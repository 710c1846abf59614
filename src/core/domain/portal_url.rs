//! Which portal page a URL is, as pure functions (portal.md, "Pages"), and the link back to an
//! improvement action.
//!
//! | page | URL |
//! | --- | --- |
//! | home | `/homepage`, `/`, `/?tid=…` |
//! | Secure Score overview | `/securescore`, `/securescore?viewid=overview` |
//! | Recommended actions | `/securescore?viewid=actions` |
//! | action detail | `/securescore?viewid=actions&actionId=<id>` (`&tid=…` may follow) |

use super::names::names;
use super::query::{parse_query_string, percent_encode};

/// The commercial portal's origin.
pub const PORTAL_ORIGIN: &str = "https://security.microsoft.com";
/// Every origin the content script runs on: commercial, GCC High, DoD (portal.md).
pub const PORTAL_ORIGINS: [&str; 3] = [
    PORTAL_ORIGIN,
    "https://security.microsoft.us",
    "https://security.apps.mil",
];

/// A page snshare adds something to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortalPage {
    Home,
    SecureScoreOverview,
    RecommendedActions,
    ActionDetail { action_id: String },
}

// The page kinds as the recognition report and the popup name them (`popup_page_kind_<name>`).
names!(data PortalPage {
    Home => "home",
    SecureScoreOverview => "overview",
    RecommendedActions => "recommended_actions",
    ActionDetail { action_id } => "action_detail",
});

impl PortalPage {
    /// Recognizes `location.href` (absolute on the portal's origin) or a path with its query
    /// (`/securescore?viewid=actions`). Any other origin, and any other page, is `None`.
    pub fn from_url(url: &str) -> Option<PortalPage> {
        let rest = strip_portal_origin(url.trim())?;
        // Fragments never select a page here.
        let rest = rest.split('#').next().unwrap_or("");
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let path = path.trim_end_matches('/').to_ascii_lowercase();
        let params = parse_query_string(query);
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
        };
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
        matches!(self, PortalPage::Home | PortalPage::SecureScoreOverview)
    }

    /// The action the page is about, if any.
    pub fn action_id(&self) -> Option<&str> {
        match self {
            PortalPage::ActionDetail { action_id } => Some(action_id),
            _ => None,
        }
    }
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
    let origin = PORTAL_ORIGINS
        .into_iter()
        .find(|o| o.eq_ignore_ascii_case(origin.trim_end_matches('/')))
        .unwrap_or(PORTAL_ORIGIN);
    if super::action_title::is_title_key(action_id) {
        return format!("{origin}/securescore?viewid=actions");
    }
    format!(
        "{origin}/securescore?viewid=actions&actionId={}",
        percent_encode(action_id)
    )
}

/// The action id carried by any link (a row's href, a panel URL), whatever the page.
pub fn action_id_from_href(href: &str) -> Option<String> {
    let query = href.split('#').next()?.split_once('?')?.1;
    parse_query_string(query)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("actionid"))
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| is_action_id(v))
}

/// The path and query of a portal URL; `None` for any other origin. A relative URL starting
/// with `/` counts as the portal's.
fn strip_portal_origin(url: &str) -> Option<&str> {
    if url.starts_with('/') && !url.starts_with("//") {
        return Some(url);
    }
    let scheme_end = url.find("://")?;
    if !url[..scheme_end].eq_ignore_ascii_case("https") {
        return None;
    }
    let after = &url[scheme_end + 3..];
    let host_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..host_end];
    let host = authority.strip_suffix(":443").unwrap_or(authority);
    if !PORTAL_ORIGINS
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
    !id.is_empty() && id.chars().count() <= 200 && !id.chars().any(char::is_control)
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

    #[test]
    fn the_origins_are_the_ones_the_worker_trusts() {
        assert_eq!(PORTAL_ORIGINS, crate::messages::PORTAL_ORIGINS);
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
