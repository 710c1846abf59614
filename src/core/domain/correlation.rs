//! The correlation id every snshare ticket carries: `snshare:<action>:<share>`.
//!
//! The action part lets badges and cards find an action's tickets with one
//! `correlation_idSTARTSWITHsnshare:<action>:` query; the share part makes each share its own
//! record, so a retry after an unknown outcome can look up exactly that share first (issue 7).
//! ServiceNow's `correlation_id` holds 100 characters.
//!
//! Both parts are "keys": the id itself when it is short and made of `[A-Za-z0-9_.-]` (all
//! Secure Score control names are), otherwise a readable prefix, `~` and 8 hex digits of its
//! SHA-256. Keys never contain `:`, `^`, `,` or `=`, so the id splits unambiguously and can be
//! put in an encoded query. The action part has a fixed budget (not one that depends on the
//! share id's length), so an action's key, hence its query prefix, is always the same.
//!
//! Compliance Manager's actions (issue 20) are keyed in their own namespace: the action `cm:<id>`
//! gives `snshare:cm:<key>:<share>`, so a Secure Score action and a Compliance Manager action
//! with the same id are two actions (their tickets, badges and duplicate checks apart). A Secure
//! Score action whose id is itself `cm` (any case) is written hashed, so its query prefix never
//! starts Compliance Manager's.

use std::borrow::Cow;

use sha2::{Digest, Sha256};

/// What every snshare correlation id starts with.
pub const PREFIX: &str = "snshare:";
/// ServiceNow's `correlation_id` length.
pub const MAX_LEN: usize = 100;
/// A UUID's length: share ids longer than this are hashed.
pub const SHARE_KEY_MAX: usize = 36;
/// What is left for the action after the prefix, two separators... and the share key.
pub const ACTION_KEY_MAX: usize = MAX_LEN - PREFIX.len() - 1 - SHARE_KEY_MAX;

const HASH_HEX: usize = 8;

/// `snshare:<action key>:<share key>`; an absent action (a card's "Create ticket") leaves the
/// action part empty: `snshare::<share key>`.
pub fn correlation_id(action_id: Option<&str>, share_id: &str) -> String {
    let action = action_id.map(action_key).unwrap_or_default();
    [PREFIX, &action, ":", &key(share_id, SHARE_KEY_MAX)].concat()
}

/// The form an action id takes inside correlation ids (see the module documentation).
pub fn action_key(action_id: &str) -> String {
    action_key_of(action_id).into_owned()
}

/// [`action_key`] without a copy when the id is its own key (every Secure Score control name):
/// the badges look up every row's action by it.
pub fn action_key_of(action_id: &str) -> Cow<'_, str> {
    let id = action_id.trim_ascii();
    // A plain key has no `:`, so it is never in Compliance Manager's namespace.
    if is_plain(id, ACTION_KEY_MAX) && !id.eq_ignore_ascii_case(CM_WORD) {
        return Cow::Borrowed(id);
    }
    let id = action_id.trim();
    if let Some(cm) = id.strip_prefix(CM) {
        return Cow::Owned([CM, &key(cm.trim(), ACTION_KEY_MAX - CM.len())].concat());
    }
    let k = key(id, ACTION_KEY_MAX);
    if k.eq_ignore_ascii_case(CM_WORD) {
        return Cow::Owned(hashed(id, ACTION_KEY_MAX));
    }
    Cow::Owned(k)
}

/// Compliance Manager's namespace (`portal_url::CM_NAMESPACE`).
const CM: &str = crate::domain::portal_url::CM_NAMESPACE;
const CM_WORD: &str = "cm";

/// `snshare:<action key>:`, for `STARTSWITH` lookups of an action's tickets.
pub fn action_prefix(action_id: &str) -> String {
    [PREFIX, &action_key(action_id), ":"].concat()
}

/// The two parts of a parsed correlation id (as keys, see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correlation {
    pub action_key: Option<String>,
    /// Absent on `snshare:<action>` ids written before share ids existed.
    pub share_key: Option<String>,
}

/// Splits a correlation id written by snshare; `None` for anything else.
pub fn parse(correlation_id: &str) -> Option<Correlation> {
    let rest = correlation_id.strip_prefix(PREFIX)?;
    if let Some(cm) = rest.strip_prefix(CM) {
        let (action, share) = match cm.split_once(':') {
            Some((a, s)) => (a, Some(s)),
            None => (cm, None),
        };
        if action.is_empty() || !is_key(action) || share.is_some_and(|s| s.is_empty() || !is_key(s))
        {
            return None;
        }
        return Some(Correlation {
            action_key: Some([CM, action].concat()),
            share_key: share.map(str::to_owned),
        });
    }
    let (action, share) = match rest.split_once(':') {
        Some((a, s)) => (a, Some(s)),
        None => (rest, None),
    };
    if !is_key(action) || share.is_some_and(|s| s.is_empty() || !is_key(s)) {
        return None;
    }
    if action.is_empty() && share.is_none() {
        return None;
    }
    Some(Correlation {
        action_key: (!action.is_empty()).then(|| action.to_owned()),
        share_key: share.map(str::to_owned),
    })
}

/// Whether a correlation id belongs to `action_id` (either format).
pub fn matches_action(correlation_id: &str, action_id: &str) -> bool {
    parse(correlation_id)
        .and_then(|c| c.action_key)
        .is_some_and(|k| k == action_key(action_id))
}

fn is_key_char(c: char) -> bool {
    u8::try_from(c).is_ok_and(is_key_byte)
}

/// The key characters, as bytes: all ASCII, so a string is all key characters exactly when its
/// bytes are (a byte of a multi-byte character never is one).
fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// Whether `id` is its own key: not empty, at most `max` bytes, only key characters.
fn is_plain(id: &str, max: usize) -> bool {
    !id.is_empty() && id.len() <= max && id.bytes().all(is_key_byte)
}

fn is_key(s: &str) -> bool {
    s.bytes().all(|b| is_key_byte(b) || b == b'~')
}

fn key(id: &str, max: usize) -> String {
    if is_plain(id, max) {
        return id.to_owned();
    }
    hashed(id, max)
}

fn hashed(id: &str, max: usize) -> String {
    // Keep what is readable, then a hash of the whole id so distinct ids stay distinct.
    let keep = max - 1 - HASH_HEX;
    let mut out: String = id.chars().filter(|&c| is_key_char(c)).take(keep).collect();
    let digest = Sha256::digest(id.as_bytes());
    out.push('~');
    crate::push_lower_hex(&mut out, digest.get(..HASH_HEX / 2).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_action_ids_are_kept_verbatim() {
        assert_eq!(
            correlation_id(Some("AdminMFAV2"), "3f2a9c1e-8d4b-4e7a-9b1c-2d3e4f5a6b7c"),
            "snshare:AdminMFAV2:3f2a9c1e-8d4b-4e7a-9b1c-2d3e4f5a6b7c"
        );
        assert_eq!(
            correlation_id(Some("aad_admin_consent_workflow"), "s1"),
            "snshare:aad_admin_consent_workflow:s1"
        );
        assert_eq!(correlation_id(None, "s1"), "snshare::s1");
        assert_eq!(action_prefix("AdminMFAV2"), "snshare:AdminMFAV2:");
    }

    #[test]
    fn an_id_that_is_its_own_key_is_not_copied_and_keys_as_before() {
        // The badges' lookup borrows a plain id; every other id takes the one path that
        // trims, hashes or namespaces it.
        for (id, want, borrowed) in [
            ("AdminMFAV2", "AdminMFAV2", true),
            ("  AdminMFAV2\t", "AdminMFAV2", true),
            ("\u{a0}AdminMFAV2\u{2003}", "AdminMFAV2", false),
            ("\u{b}AdminMFAV2", "AdminMFAV2", false),
            ("cm", &hashed("cm", ACTION_KEY_MAX), false),
            ("CM", &hashed("CM", ACTION_KEY_MAX), false),
            ("cm:a1", "cm:a1", false),
            ("a b<c>", "abc~ec140728", false),
            ("Δaction", &hashed("Δaction", ACTION_KEY_MAX), false),
            (
                &"A".repeat(ACTION_KEY_MAX),
                &"A".repeat(ACTION_KEY_MAX),
                true,
            ),
            (
                &"A".repeat(ACTION_KEY_MAX + 1),
                &hashed(&"A".repeat(ACTION_KEY_MAX + 1), ACTION_KEY_MAX),
                false,
            ),
        ] {
            let key = action_key_of(id);
            assert_eq!(key, want, "{id:?}");
            assert_eq!(matches!(key, Cow::Borrowed(_)), borrowed, "{id:?}");
            assert_eq!(action_key(id), want, "{id:?}");
        }
    }

    #[test]
    fn parses_back() {
        let c = parse("snshare:AdminMFAV2:s-1").unwrap();
        assert_eq!(c.action_key.as_deref(), Some("AdminMFAV2"));
        assert_eq!(c.share_key.as_deref(), Some("s-1"));
        let legacy = parse("snshare:AdminMFAV2").unwrap();
        assert_eq!(legacy.action_key.as_deref(), Some("AdminMFAV2"));
        assert_eq!(legacy.share_key, None);
        let no_action = parse("snshare::abc").unwrap();
        assert_eq!(no_action.action_key, None);
        assert_eq!(no_action.share_key.as_deref(), Some("abc"));
    }

    #[test]
    fn refuses_foreign_ids() {
        for bad in [
            "",
            "snshare:",
            "snshare::",
            "SNSHARE:x:y",
            "other:x:y",
            "snshare:a:b:c",
            "snshare:a b:c",
            "snshare:a:",
            "snshare:a^b:c",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn query_breaking_characters_are_never_written() {
        let id = correlation_id(Some("bad^ORactive=false,x:y"), "share^1,=:");
        assert!(id.len() <= MAX_LEN);
        let rest = id.strip_prefix(PREFIX).unwrap();
        assert!(!rest.contains(['^', ',', '=']), "{id}");
        assert_eq!(rest.matches(':').count(), 1, "{id}");
        let c = parse(&id).unwrap();
        assert_eq!(c.action_key.unwrap(), action_key("bad^ORactive=false,x:y"));
        assert!(crate::domain::query::EncodedQuery::new()
            .eq("correlation_id", &id)
            .build()
            .is_ok());
    }

    #[test]
    fn a_hashed_key_keeps_the_readable_part_and_8_hex_digits_of_the_ids_sha256() {
        // SHA-256("a b<c>") starts ec 14 07 28.
        assert_eq!(action_key("a b<c>"), "abc~ec140728");
    }

    #[test]
    fn long_ids_stay_within_100_characters_and_distinct() {
        let long_a = "a".repeat(200);
        let long_b = format!("{}b", "a".repeat(199));
        let share = "x".repeat(80);
        let ia = correlation_id(Some(&long_a), &share);
        let ib = correlation_id(Some(&long_b), &share);
        assert_eq!(ia.chars().count(), MAX_LEN);
        assert!(ib.len() <= MAX_LEN);
        assert_ne!(ia, ib);
        assert!(parse(&ia).is_some());
        // The action's prefix does not depend on the share id.
        assert!(ia.starts_with(&action_prefix(&long_a)));
        assert!(correlation_id(Some(&long_a), "s").starts_with(&action_prefix(&long_a)));
        assert!(matches_action(&ia, &long_a));
        assert!(!matches_action(&ia, &long_b));
    }

    #[test]
    fn the_budget_fits_the_field() {
        assert_eq!(ACTION_KEY_MAX, 55);
        let exact = "A".repeat(ACTION_KEY_MAX);
        let id = correlation_id(Some(&exact), &"s".repeat(SHARE_KEY_MAX));
        assert_eq!(id.len(), MAX_LEN);
        assert!(id.contains(&exact));
        let non_ascii = correlation_id(Some("Δaction"), "é");
        assert!(non_ascii.is_ascii());
        assert!(parse(&non_ascii).is_some());
    }

    #[test]
    fn compliance_manager_actions_have_their_own_namespace() {
        let ss = correlation_id(Some("ab12"), "s1");
        let cm = correlation_id(Some("cm:ab12"), "s1");
        assert_eq!(ss, "snshare:ab12:s1");
        assert_eq!(cm, "snshare:cm:ab12:s1");
        assert_eq!(action_prefix("cm:ab12"), "snshare:cm:ab12:");
        assert!(!cm.starts_with(&action_prefix("ab12")));
        assert!(!ss.starts_with(&action_prefix("cm:ab12")));
        assert!(matches_action(&cm, "cm:ab12"));
        assert!(!matches_action(&cm, "ab12"));
        assert!(!matches_action(&ss, "cm:ab12"));
        let c = parse(&cm).unwrap();
        assert_eq!(c.action_key.as_deref(), Some("cm:ab12"));
        assert_eq!(c.share_key.as_deref(), Some("s1"));
        assert_eq!(action_key("cm:ab12"), "cm:ab12");
        // Keys read back are keys again (the content script indexes tickets by them).
        assert_eq!(action_key(&c.action_key.unwrap()), "cm:ab12");
        // A Secure Score action called "cm" never prefixes Compliance Manager's tickets.
        for id in ["cm", "CM", " cm "] {
            let k = action_key(id);
            assert!(!k.eq_ignore_ascii_case("cm"), "{k}");
            assert!(!"snshare:cm:ab12:s1"
                .to_ascii_lowercase()
                .starts_with(&action_prefix(id).to_ascii_lowercase()));
            assert!(parse(&correlation_id(Some(id), "s1")).is_some());
        }
        // Long and odd ids stay within the field and parse back.
        let long = correlation_id(Some(&format!("cm:{}", "x".repeat(300))), &"s".repeat(80));
        assert!(long.len() <= MAX_LEN, "{long}");
        assert!(long.starts_with("snshare:cm:"));
        assert!(parse(&long).is_some());
        let odd = correlation_id(Some("cm:a:b^c"), "s");
        assert_eq!(odd.matches(':').count(), 3, "{odd}");
        assert_eq!(
            parse(&odd).and_then(|c| c.action_key),
            Some(action_key("cm:a:b^c"))
        );
        for bad in [
            "snshare:cm:",
            "snshare:cm::s",
            "snshare:cm:a:",
            "snshare:cm:a:b:c",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn matches_both_formats() {
        assert!(matches_action("snshare:AdminMFAV2:s1", "AdminMFAV2"));
        assert!(matches_action("snshare:AdminMFAV2", "AdminMFAV2"));
        assert!(matches_action("snshare:AdminMFAV2:s1", " AdminMFAV2 "));
        assert!(!matches_action("snshare:AdminMFAV2x:s1", "AdminMFAV2"));
        assert!(!matches_action("snshare::s1", ""));
        assert!(!matches_action("INC-legacy", "AdminMFAV2"));
    }
}
