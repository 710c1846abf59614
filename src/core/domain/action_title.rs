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

use std::collections::VecDeque;

use rustc_hash::FxHashMap;
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
    // Never longer than `s` (whitespace runs become one space, glyphs go): one allocation, where
    // collecting the characters grew the string step by step (issue 17: every row's title).
    let mut out = String::with_capacity(s.len());
    out.extend(Collapsed::new(s));
    out
}

/// [`collapse`]'s characters one by one, without building the string (labels are compared with
/// page texts for every row: issue 17).
pub struct Collapsed<'a> {
    chars: std::str::Chars<'a>,
    /// A character other than whitespace was given.
    started: bool,
    /// Whitespace was skipped since: a space goes before the next character, if one comes.
    space: bool,
    /// The character that comes after the space just given.
    held: Option<char>,
}

impl<'a> Collapsed<'a> {
    pub fn new(s: &'a str) -> Self {
        Collapsed {
            chars: s.chars(),
            started: false,
            space: false,
            held: None,
        }
    }
}

impl Iterator for Collapsed<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        if let Some(c) = self.held.take() {
            return Some(c);
        }
        for c in self.chars.by_ref() {
            if is_glyph(c) {
                continue;
            }
            if c.is_whitespace() {
                self.space = self.started;
                continue;
            }
            self.started = true;
            if std::mem::take(&mut self.space) {
                self.held = Some(c);
                return Some(' ');
            }
            return Some(c);
        }
        None
    }
}

/// The form two titles are compared in: [`collapse`]d and case-folded with [`fold_case`].
pub fn normalize_title(title: &str) -> String {
    // Never longer than `title` in UTF-8 ([`collapse`], and `fold_case` maps no character to a
    // longer one): one allocation.
    let mut out = String::with_capacity(title.len());
    out.extend(normalized_chars(title));
    out
}

/// [`normalize_title`]'s characters one by one, without building the string.
pub fn normalized_chars(title: &str) -> impl Iterator<Item = char> + '_ {
    Collapsed::new(title).map(fold_case)
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
    normalized_title_key(&normalize_title(title))
}

/// [`title_key`] of a title already in [`normalize_title`]'s form (a row's title is
/// normalized once for the map and the key).
pub fn normalized_title_key(normalized: &str) -> Option<String> {
    if normalized.is_empty() {
        return None;
    }
    let digest = Sha256::digest(normalized.as_bytes());
    let mut key = String::with_capacity(TITLE_KEY_PREFIX.len() + TITLE_KEY_HEX);
    key.push_str(TITLE_KEY_PREFIX);
    crate::push_lower_hex(
        &mut key,
        digest.get(..TITLE_KEY_HEX / 2).unwrap_or_default(),
    );
    Some(key)
}

/// Whether an action id is a title key rather than the portal's id (in either namespace:
/// `title.…`, or Compliance Manager's `cm:title.…`).
pub fn is_title_key(id: &str) -> bool {
    super::portal_url::portal_id(id).starts_with(TITLE_KEY_PREFIX)
}

/// Learned pairs (normalized title, action id) of one tenant. A title learned again with
/// another id takes it (the most recent wins) and becomes the newest; past
/// [`TITLE_MAP_MAX`] titles the oldest go. Looked up by title in constant time: a list of
/// 2,000 rows teaches 2,000 pairs in one batch, which a scan per pair made quadratic.
/// Stored as `{"entries": [[title, id], …]}`, oldest first (what earlier versions wrote).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "StoredTitles", into = "StoredTitles")]
pub struct TitleMap {
    /// Normalized title → (its stamp in `order`, action id). Hashed with FxHash, not std's
    /// SipHash: every row of a list teaches its title here, and SipHash's 64-bit rounds (which
    /// the content script's JavaScript build turns into pairs of 32-bit operations) cost the
    /// portal's download 0.6 KiB gzip, the strict-CSP page's 1.4 KiB, with the 32-bit stamps.
    /// FxHash resists no crafted collisions; at most [`TITLE_MAP_MAX`] titles are kept, so a
    /// page that crafted them all would slow its own map to ~2,000 comparisons per lookup.
    ids: FxHashMap<String, (u32, String)>,
    /// (stamp, normalized title), oldest first. An entry whose stamp is no longer its title's
    /// (learned again since) is stale: skipped, and dropped when it reaches the front.
    order: VecDeque<(u32, String)>,
    /// The next stamp. Stamps are only compared for equality, and an entry leaves `order`
    /// within ~2 × [`TITLE_MAP_MAX`] learns, so they wrap safely; 32 bits, as the content
    /// script's JavaScript build would turn every 64-bit operation into two.
    next: u32,
}

/// [`TitleMap`] as storage and messages carry it.
#[derive(Serialize, Deserialize)]
struct StoredTitles {
    entries: Vec<(String, String)>,
}

impl From<StoredTitles> for TitleMap {
    fn from(stored: StoredTitles) -> Self {
        let mut map = TitleMap::default();
        // In order: a title written twice (by a version that allowed it) keeps its later id, as
        // lookups from the newest end found it.
        for (title, id) in stored.entries {
            map.insert(title, &id);
        }
        map
    }
}

impl From<TitleMap> for StoredTitles {
    fn from(map: TitleMap) -> Self {
        StoredTitles {
            entries: map.entries(),
        }
    }
}

impl PartialEq for TitleMap {
    fn eq(&self, other: &Self) -> bool {
        self.entries() == other.entries()
    }
}

impl Eq for TitleMap {}

impl TitleMap {
    /// The id learned for a title.
    pub fn get(&self, title: &str) -> Option<&str> {
        self.get_normalized(&normalize_title(title))
    }

    /// [`get`](Self::get) for a title already in [`normalize_title`]'s form.
    pub fn get_normalized(&self, normalized: &str) -> Option<&str> {
        self.ids.get(normalized).map(|(_, id)| id.as_str())
    }

    /// Learns one pair; `true` when the map changed. Title keys are never learned as ids.
    pub fn learn(&mut self, title: &str, action_id: &str) -> bool {
        self.learn_normalized(&normalize_title(title), action_id)
    }

    /// [`learn`](Self::learn) for a title already in [`normalize_title`]'s form.
    pub fn learn_normalized(&mut self, normalized: &str, action_id: &str) -> bool {
        let id = action_id.trim();
        if normalized.is_empty() || id.is_empty() || is_title_key(id) {
            return false;
        }
        if self.get_normalized(normalized) == Some(id) {
            return false;
        }
        self.insert(normalized.to_owned(), id);
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

    /// The pairs, oldest first.
    pub fn entries(&self) -> Vec<(String, String)> {
        self.order
            .iter()
            .filter_map(|(stamp, title)| match self.ids.get(title) {
                Some((s, id)) if s == stamp => Some((title.clone(), id.clone())),
                _ => None,
            })
            .collect()
    }

    /// How many titles the map knows.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Sets `title`'s id and makes it the newest; the oldest go past the bound.
    fn insert(&mut self, title: String, id: &str) {
        let stamp = self.next;
        self.next = self.next.wrapping_add(1);
        self.order.push_back((stamp, title.clone()));
        self.ids.insert(title, (stamp, id.to_owned()));
        while self.ids.len() > TITLE_MAP_MAX {
            let Some((stamp, title)) = self.order.pop_front() else {
                break;
            };
            if self.ids.get(&title).is_some_and(|(s, _)| *s == stamp) {
                self.ids.remove(&title);
            }
        }
        // Titles learned again leave stale entries behind: dropped once they are as many as
        // the live ones.
        if self.order.len() > 2 * self.ids.len() + 16 {
            let ids = &self.ids;
            self.order
                .retain(|(stamp, title)| ids.get(title).is_some_and(|(s, _)| s == stamp));
        }
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

    /// `collapse` as a string built character by character (what it was before the iterator).
    fn collapse_by_string(s: &str) -> String {
        let mut out = String::new();
        let mut space = false;
        for c in s.chars().filter(|c| !is_glyph(*c)) {
            if c.is_whitespace() {
                space = !out.is_empty();
                continue;
            }
            if std::mem::take(&mut space) {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }

    #[test]
    fn the_collapsed_characters_are_the_collapsed_string() {
        for s in [
            "",
            " ",
            "\u{E8A7}",
            "a",
            " a",
            "a ",
            "  a  b  ",
            "\u{200b} a\u{200b} \u{E8A7} b\u{3000}",
            "a\u{E8A7} b",
            "a \u{E8A7}b",
            "\u{a0}\u{2003}\nRequire  MFA\t",
            "建議的 動作 ×",
            "Risk accepted, sorted ascending",
        ] {
            assert_eq!(collapse(s), collapse_by_string(s), "{s:?}");
            assert_eq!(Collapsed::new(s).collect::<String>(), collapse_by_string(s));
            let folded: String = collapse_by_string(s).chars().map(fold_case).collect();
            assert_eq!(normalize_title(s), folded, "{s:?}");
            assert!(normalized_chars(s).eq(folded.chars()), "{s:?}");
        }
    }

    #[test]
    fn a_collapsed_or_normalized_text_is_never_longer_than_the_page_text() {
        // `collapse` and `normalize_title` allocate the page text's length once: no character
        // may come out longer in UTF-8 than it went in (a run of whitespace, a glyph, any case).
        for c in (0..0x3100).chain(0xE000..0xE100).filter_map(char::from_u32) {
            for s in [c.to_string(), format!(" {c}{c} x{c}\u{3000}{c} ")] {
                assert!(collapse(&s).len() <= s.len(), "{c:?}");
                assert!(normalize_title(&s).len() <= s.len(), "{c:?}");
            }
        }
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
        // The first 12 hex digits of SHA-256("require mfa"), as stored tickets carry them.
        assert_eq!(title_key("Require MFA").unwrap(), "title.fa6631fe6058");
        assert_eq!(
            normalized_title_key("require mfa").as_deref(),
            Some("title.fa6631fe6058")
        );
        assert_eq!(normalized_title_key(""), None);
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
        assert_eq!(m.len(), 1);
        assert!(!m.learn("", "x"));
        assert!(!m.learn("t", "title.0123456789ab"));
        for i in 0..TITLE_MAP_MAX + 5 {
            m.learn(&format!("t{i}"), &format!("id{i}"));
        }
        assert_eq!(m.len(), TITLE_MAP_MAX);
        assert_eq!(m.get("Require MFA"), None);
        assert_eq!(m.get("t5"), Some("id5"));
        assert_eq!(m.get("t4"), None);
    }

    /// The map as it was before it had an index: a list scanned per lookup, oldest first (the
    /// model the indexed map must agree with).
    #[derive(Default)]
    struct ScannedMap(Vec<(String, String)>);

    impl ScannedMap {
        fn get(&self, title: &str) -> Option<&str> {
            let n = normalize_title(title);
            self.0
                .iter()
                .rev()
                .find(|(t, _)| *t == n)
                .map(|(_, id)| id.as_str())
        }

        fn learn(&mut self, title: &str, action_id: &str) -> bool {
            let n = normalize_title(title);
            let id = action_id.trim();
            if n.is_empty() || id.is_empty() || is_title_key(id) {
                return false;
            }
            if let Some(pos) = self.0.iter().position(|(t, _)| *t == n) {
                if self.0[pos].1 == id {
                    return false;
                }
                self.0.remove(pos);
            }
            self.0.push((n, id.to_owned()));
            if self.0.len() > TITLE_MAP_MAX {
                let extra = self.0.len() - TITLE_MAP_MAX;
                self.0.drain(..extra);
            }
            true
        }
    }

    #[test]
    fn a_list_of_thousands_of_rows_teaches_what_the_scanned_list_learned() {
        let mut m = TitleMap::default();
        let mut model = ScannedMap::default();
        // 2,000 rows of a list, then the same list again (nothing new), then renamed ids,
        // titles written differently, and more titles than the bound, in a scrambled order.
        let mut x: u64 = 12;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as usize
        };
        let mut steps: Vec<(String, String)> = (0..2_000)
            .map(|i| (format!("Action {i}"), format!("Id{i}")))
            .collect();
        steps.extend((0..2_000).map(|i| (format!("ACTION  {i}\u{E8A7}"), format!("Id{i}"))));
        for _ in 0..3_000 {
            let i = next() % 2_600;
            let id = if next() % 4 == 0 {
                format!("Re{i}")
            } else {
                format!("Id{i}")
            };
            steps.push((format!("action {i}"), id));
        }
        for (title, id) in &steps {
            assert_eq!(
                m.learn(title, id),
                model.learn(title, id),
                "learn {title} {id}"
            );
        }
        assert_eq!(m.entries(), model.0, "same pairs in the same order");
        for i in 0..2_600 {
            let t = format!("Action {i}");
            assert_eq!(m.get(&t), model.get(&t), "{t}");
        }
        // The first 2,000 learned in one go keep their ids: nothing relearned, nothing evicted.
        let mut fresh = TitleMap::default();
        for (title, id) in steps.iter().take(4_000) {
            fresh.learn(title, id);
        }
        assert_eq!(fresh.len(), 2_000);
        assert_eq!(fresh.get("action 0"), Some("Id0"));
        assert_eq!(fresh.get("action 1999"), Some("Id1999"));
    }

    #[test]
    fn the_map_is_stored_as_its_pairs_oldest_first() {
        let mut m = TitleMap::default();
        m.learn("B", "IdB");
        m.learn("A", "IdA");
        m.learn("b", "IdB2");
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"entries":[["a","IdA"],["b","IdB2"]]}"#);
        let back: TitleMap = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        // A stored list that names a title twice: the later pair is the one looked up.
        let old: TitleMap =
            serde_json::from_str(r#"{"entries":[["a","Old"],["c","IdC"],["a","New"]]}"#).unwrap();
        assert_eq!(old.get("A"), Some("New"));
        assert_eq!(
            old.entries(),
            vec![
                ("c".to_owned(), "IdC".to_owned()),
                ("a".to_owned(), "New".to_owned())
            ]
        );
    }
}
