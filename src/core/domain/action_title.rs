//! An improvement action known only by its title: the portal's list may
//! show titles as buttons that carry no `actionId`, so snshare learns title → id from every panel
//! and every linked row it sees, and until it knows an id it keys the action on its normalized
//! title.
//!
//! - [`normalize_title`]: the form a title is compared in — Unicode whitespace collapsed, icon
//!   glyphs (private-use characters) and invisible format characters dropped, case folded.
//! - [`title_key`]: `title.<12 hex>`, a stable stand-in for the action id. Real action ids are
//!   `[A-Za-z0-9_]` (fidelity review, B.1), so a key with a `.` never collides with one, and it
//!   is itself a valid correlation key (`snshare:title.<hex>:<share>`).
//! - [`TitleMap`]: the learned pairs of one tenant, bounded, most recently learned kept.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What every title key starts with.
pub const TITLE_KEY_PREFIX: &str = "title.";
const TITLE_KEY_HEX: usize = 12;
/// Titles kept per tenant: the portal has about 450 controls; room for renames and languages.
pub const TITLE_MAP_MAX: usize = 2_000;

/// Whether a character is drawn by an icon font or is invisible: private-use areas (Fluent's
/// `<i data-icon-name>` glyphs), zero-width and bidi format characters, the BOM.
pub fn is_glyph(c: char) -> bool {
    matches!(c,
        '\u{E000}'..='\u{F8FF}'
        | '\u{F0000}'..='\u{FFFFD}'
        | '\u{100000}'..='\u{10FFFD}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{FEFF}')
}

/// Text as a person reads it: glyphs dropped, runs of Unicode whitespace collapsed, trimmed.
pub fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if is_glyph(c) {
            continue;
        }
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

/// The form two titles are compared in: [`collapse`]d and case-folded with [`fold_case`].
pub fn normalize_title(title: &str) -> String {
    collapse(title).chars().map(fold_case).collect()
}

/// Lower case for the scripts of the portal's languages: ASCII, Latin-1 and Latin Extended-A
/// (À → à, Å → å, Œ → œ …); Chinese has no case. Not Unicode's full table on purpose: its 11 KiB
/// would be downloaded by every portal page, and comparing titles needs none of the rest.
pub fn fold_case(c: char) -> char {
    let u = c as u32;
    let lower = match u {
        0x41..=0x5A => u + 0x20,
        0xC0..=0xDE if u != 0xD7 => u + 0x20,
        0x130 => 0x69,
        // Latin Extended-A pairs: even upper, odd lower (Ā ā … Ķ ķ, Ŋ ŋ … Ŷ ŷ), then odd upper,
        // even lower (Ĺ ĺ … Ň ň, Ź ź … Ž ž).
        0x100..=0x137 | 0x14A..=0x177 if u % 2 == 0 => u + 1,
        0x139..=0x148 | 0x179..=0x17E if u % 2 == 1 => u + 1,
        0x178 => 0xFF,
        _ => u,
    };
    char::from_u32(lower).unwrap_or(c)
}

/// `title.<12 hex of SHA-256 of the normalized title>`; `None` for a title with no text.
pub fn title_key(title: &str) -> Option<String> {
    let n = normalize_title(title);
    if n.is_empty() {
        return None;
    }
    let digest = Sha256::digest(n.as_bytes());
    let mut key = String::with_capacity(TITLE_KEY_PREFIX.len() + TITLE_KEY_HEX);
    key.push_str(TITLE_KEY_PREFIX);
    for b in digest.iter().take(TITLE_KEY_HEX / 2) {
        key.push_str(&format!("{b:02x}"));
    }
    Some(key)
}

/// Whether an action id is a title key rather than the portal's id (in either namespace:
/// `title.…`, or Compliance Manager's `cm:title.…`).
pub fn is_title_key(id: &str) -> bool {
    super::portal_url::portal_id(id).starts_with(TITLE_KEY_PREFIX)
}

/// Learned pairs (normalized title, action id) of one tenant, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TitleMap {
    pub entries: Vec<(String, String)>,
}

impl TitleMap {
    /// The id learned for a title.
    pub fn get(&self, title: &str) -> Option<&str> {
        let n = normalize_title(title);
        self.entries
            .iter()
            .rev()
            .find(|(t, _)| *t == n)
            .map(|(_, id)| id.as_str())
    }

    /// Learns one pair; `true` when the map changed. Title keys are never learned as ids.
    pub fn learn(&mut self, title: &str, action_id: &str) -> bool {
        let n = normalize_title(title);
        let id = action_id.trim();
        if n.is_empty() || id.is_empty() || is_title_key(id) {
            return false;
        }
        if let Some(pos) = self.entries.iter().position(|(t, _)| *t == n) {
            if self.entries[pos].1 == id {
                return false;
            }
            self.entries.remove(pos);
        }
        self.entries.push((n, id.to_owned()));
        if self.entries.len() > TITLE_MAP_MAX {
            let extra = self.entries.len() - TITLE_MAP_MAX;
            self.entries.drain(..extra);
        }
        true
    }

    /// Learns every pair; `true` when the map changed.
    pub fn learn_all<'a>(&mut self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> bool {
        let mut changed = false;
        for (t, id) in pairs {
            changed |= self.learn(t, id);
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_compare_without_glyphs_case_or_odd_spaces() {
        assert_eq!(
            normalize_title(
                "  Require\u{a0}MFA \u{E8A7} for\u{2003}\n Administrative ROLES\u{200b} "
            ),
            "require mfa for administrative roles"
        );
        assert_eq!(normalize_title("\u{E8A7}\u{F0001}"), "");
        assert_eq!(normalize_title("Éteindre l'accès"), "éteindre l'accès");
        assert_eq!(
            normalize_title("ÅTGÄRD ÖVER ÆØ ŒUVRE ŽĽ"),
            "åtgärd över æø œuvre žľ"
        );
        assert_eq!(normalize_title("建議的動作 ×"), "建議的動作 ×");
        // Every letter the fold touches agrees with Unicode's own lower case.
        for c in (0x41u32..0x180).filter_map(char::from_u32) {
            let f = fold_case(c);
            if f != c {
                assert_eq!(Some(f), c.to_lowercase().next(), "{c}");
            }
        }
        assert_eq!(collapse(" a \u{3000} b "), "a b");
    }

    #[test]
    fn title_keys_are_stable_distinct_and_never_an_action_id() {
        let a = title_key("Require MFA for administrative roles").unwrap();
        assert_eq!(
            a,
            title_key(" require  mfa for ADMINISTRATIVE roles\u{E8A7}").unwrap()
        );
        assert_ne!(a, title_key("Require MFA for all users").unwrap());
        assert!(a.starts_with("title.") && a.len() == 18, "{a}");
        assert!(is_title_key(&a));
        assert!(!is_title_key("AdminMFAV2"));
        assert!(is_title_key(&format!("cm:{a}")));
        assert!(!is_title_key("cm:AdminMFAV2"));
        assert_eq!(title_key(" \u{E8A7} "), None);
        // It is a correlation key as it is.
        assert_eq!(
            crate::domain::correlation::correlation_id(Some(&a), "s1"),
            format!("snshare:{a}:s1")
        );
    }

    #[test]
    fn the_map_learns_relearns_and_stays_bounded() {
        let mut m = TitleMap::default();
        assert!(m.learn("Require MFA", "AdminMFAV2"));
        assert!(!m.learn("require  mfa\u{E8A7}", "AdminMFAV2"));
        assert_eq!(m.get("REQUIRE MFA"), Some("AdminMFAV2"));
        assert!(m.learn("Require MFA", "AdminMFAV3"));
        assert_eq!(m.get("Require MFA"), Some("AdminMFAV3"));
        assert_eq!(m.entries.len(), 1);
        assert!(!m.learn("", "x"));
        assert!(!m.learn("t", "title.0123456789ab"));
        for i in 0..TITLE_MAP_MAX + 5 {
            m.learn(&format!("t{i}"), &format!("id{i}"));
        }
        assert_eq!(m.entries.len(), TITLE_MAP_MAX);
        assert_eq!(m.get("Require MFA"), None);
        assert_eq!(m.get("t5"), Some("id5"));
        assert_eq!(m.get("t4"), None);
    }
}
