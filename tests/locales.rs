//! The message catalogues (extension/_locales/<lang>/messages.json) stay consistent with the
//! English one: the same keys, the same placeholders, valid JSON without empty messages, the
//! share controls named with "ServiceNow", brand names untranslated, and no English key that
//! the code never uses.
//!
//! Files are read from CARGO_MANIFEST_DIR at run time: a catalogue or source folder that moves
//! fails these tests instead of letting them pass on nothing.
#![cfg(not(target_arch = "wasm32"))]
// Test code: a failed unwrap is a failed test (clippy.toml allows it in test functions; these
// are their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

/// The languages the product ships (issue 15: the portal's languages that snshare ships), as Chrome names the
/// `_locales` folders.
const LANGUAGES: [&str; 6] = ["en", "it", "sv", "fr", "zh_TW", "nl"];

/// Messages that name the share controls: in every
/// language their accessible names contain the word "ServiceNow".
const SHARE_CONTROLS: [&str; 5] = [
    "portal_menu_item",   // the item added to the portal's Share menu
    "portal_share_row",   // the share button on a Recommended actions row (accessible name)
    "portal_share_short", // the same button's tooltip
    "form_title",         // the task form dialog
    "form_send",          // its send button
];

/// Names that stay as they are in every language: a message whose English text has one keeps it.
const BRANDS: [&str; 5] = [
    "ServiceNow",
    "snshare",
    "Microsoft Secure Score",
    "Secure Score",
    "Microsoft Defender",
];

/// Keys the code builds at run time from a name, so no source file spells them out whole.
/// Each entry: (the source text that builds them, key prefix, key suffix). A key of that shape
/// counts as used only while the builder is still in the source AND the part between prefix and
/// suffix is a string literal in the source (the name table the builder reads):
/// - domain/ticket.rs `label_key` of `TicketKind`, `Priority`, `RecommendationSource` and
///   `Category`: `common_kind_{}`, `common_priority_{}`, `form_source_{}`, `common_category_{}`
///   with the names of their `names!` tables;
/// - domain/diagnosis.rs `message_key` / `fix_key`: `diagnosis_{}` and `diagnosis_{}_fix` with
///   `Diagnosis::name`'s names;
/// - background/diagnostics.rs `step`: `diagnostics_step_{key}` with the step names it passes.
const DYNAMIC_KEYS: [(&str, &str, &str); 8] = [
    ("\"common_kind_{}\"", "common_kind_", ""),
    ("\"form_source_{}\"", "form_source_", ""),
    ("\"common_priority_{}\"", "common_priority_", ""),
    ("\"common_category_{}\"", "common_category_", ""),
    ("\"diagnosis_{}\"", "diagnosis_", ""),
    ("\"diagnosis_{}_fix\"", "diagnosis_", "_fix"),
    ("\"diagnostics_step_{key}\"", "diagnostics_step_", ""),
    ("\"popup_page_kind_{}\"", "popup_page_kind_", ""),
];

/// The repository's top level (this test belongs to src/core).
fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn locales_dir() -> PathBuf {
    root().join("extension/_locales")
}

/// One message as Chrome reads it.
#[derive(Debug)]
struct Message {
    message: String,
    /// Named placeholders, lower-cased name → content (`$1`…), as Chrome matches them.
    placeholders: BTreeMap<String, String>,
}

#[derive(Debug)]
struct Catalogue {
    lang: String,
    messages: BTreeMap<String, Message>,
}

/// A JSON object's entries in file order, duplicates kept (serde_json's maps keep only the
/// last one, which would hide a key pasted twice).
struct Entries(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object of messages")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// Parses one catalogue the way Chrome needs it; every problem found, not just the first.
fn parse(lang: &str, text: &str) -> Result<Catalogue, Vec<String>> {
    let entries = match serde_json::from_str::<Entries>(text) {
        Ok(Entries(entries)) => entries,
        Err(e) => return Err(vec![format!("{lang}: not valid JSON: {e}")]),
    };
    let mut problems = Vec::new();
    let mut messages = BTreeMap::new();
    // Chrome looks keys up case-insensitively, so "Foo" and "foo" are the same key.
    let mut seen = BTreeSet::new();
    for (key, value) in entries {
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            problems.push(format!("{lang}: key {key:?} has characters Chrome refuses"));
        }
        if !seen.insert(key.to_ascii_lowercase()) {
            problems.push(format!("{lang}: key {key} appears twice"));
        }
        let message = match value.get("message") {
            Some(Value::String(m)) if !m.trim().is_empty() => m.clone(),
            Some(Value::String(_)) => {
                problems.push(format!("{lang}: {key} has an empty message"));
                continue;
            }
            _ => {
                problems.push(format!("{lang}: {key} has no \"message\" string"));
                continue;
            }
        };
        let mut placeholders = BTreeMap::new();
        match value.get("placeholders") {
            None => {}
            Some(Value::Object(map)) => {
                for (name, p) in map {
                    match p.get("content") {
                        Some(Value::String(c)) if !c.is_empty() => {
                            placeholders.insert(name.to_ascii_lowercase(), c.clone());
                        }
                        _ => problems.push(format!(
                            "{lang}: {key}: placeholder {name} has no \"content\""
                        )),
                    }
                }
            }
            Some(_) => problems.push(format!("{lang}: {key}: \"placeholders\" is not an object")),
        }
        for used in placeholders_in(&message) {
            let name = used.trim_matches('$');
            let named = used.ends_with('$') && used.len() > 2;
            if named && !placeholders.contains_key(name) {
                problems.push(format!(
                    "{lang}: {key} uses {used} but defines no such placeholder"
                ));
            }
        }
        messages.insert(
            key,
            Message {
                message,
                placeholders,
            },
        );
    }
    if problems.is_empty() {
        Ok(Catalogue {
            lang: lang.to_string(),
            messages,
        })
    } else {
        Err(problems)
    }
}

/// Every catalogue folder under extension/_locales, English first. Missing product languages,
/// unreadable or invalid files fail here.
fn catalogues() -> Vec<Catalogue> {
    let dir = locales_dir();
    let mut langs: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    langs.sort_by_key(|l| (l != "en", l.clone()));
    for lang in LANGUAGES {
        assert!(
            langs.iter().any(|l| l == lang),
            "no catalogue for {lang} in {}",
            dir.display()
        );
    }
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for lang in langs {
        let path = dir.join(&lang).join("messages.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        match parse(&lang, &text) {
            Ok(c) => out.push(c),
            Err(p) => problems.extend(p),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    out
}

/// The substitutions a message refers to, as Chrome reads them: `$1`…`$9` and `$name$`
/// (lower-cased); `$$` is a literal dollar sign.
fn placeholders_in(message: &str) -> BTreeSet<String> {
    let bytes = message.as_bytes();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => i += 2,
            Some(d) if d.is_ascii_digit() => {
                out.insert(format!("${}", *d as char));
                i += 2;
            }
            Some(_) => {
                let rest = &message[i + 1..];
                let len = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                if len > 0 && rest[len..].starts_with('$') {
                    out.insert(format!("${}$", rest[..len].to_ascii_lowercase()));
                    i += len + 2;
                } else {
                    i += 1;
                }
            }
            None => i += 1,
        }
    }
    out
}

/// Problems of each catalogue compared with English, by the rule `check`.
fn compare(check: impl Fn(&Catalogue, &Catalogue, &mut Vec<String>)) -> Vec<String> {
    let all = catalogues();
    let (en, others) = all.split_first().unwrap();
    assert_eq!(en.lang, "en");
    let mut problems = Vec::new();
    for other in others {
        check(en, other, &mut problems);
    }
    problems
}

#[test]
fn every_product_language_has_a_valid_catalogue_without_empty_messages() {
    let all = catalogues();
    let langs: Vec<&str> = all.iter().map(|c| c.lang.as_str()).collect();
    assert_eq!(langs[0], "en");
    for c in &all {
        assert!(!c.messages.is_empty(), "{} is empty", c.lang);
    }
}

#[test]
fn every_locale_has_exactly_the_english_keys() {
    let problems = compare(|en, other, problems| {
        for key in en.messages.keys() {
            if !other.messages.contains_key(key) {
                problems.push(format!("{}: missing {key}", other.lang));
            }
        }
        for key in other.messages.keys() {
            if !en.messages.contains_key(key) {
                problems.push(format!("{}: {key} is not in en", other.lang));
            }
        }
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn placeholders_match_english() {
    let problems = compare(|en, other, problems| {
        for (key, theirs) in &other.messages {
            let Some(ours) = en.messages.get(key) else {
                continue; // reported by every_locale_has_exactly_the_english_keys
            };
            let (want, got) = (
                placeholders_in(&ours.message),
                placeholders_in(&theirs.message),
            );
            if want != got {
                problems.push(format!(
                    "{}: {key} uses {got:?}, en uses {want:?}",
                    other.lang
                ));
            }
            // Same named placeholders standing for the same substitution.
            if ours.placeholders != theirs.placeholders {
                problems.push(format!(
                    "{}: {key} placeholders {:?}, en has {:?}",
                    other.lang, theirs.placeholders, ours.placeholders
                ));
            }
        }
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn share_controls_name_servicenow_in_every_language() {
    let all = catalogues();
    let mut problems = Vec::new();
    for c in &all {
        for key in SHARE_CONTROLS {
            match c.messages.get(key) {
                None => problems.push(format!("{}: missing share control {key}", c.lang)),
                Some(m) if !m.message.contains("ServiceNow") => problems.push(format!(
                    "{}: {key} {:?} does not contain \"ServiceNow\"",
                    c.lang, m.message
                )),
                Some(_) => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn brand_names_stay_untranslated() {
    let problems = compare(|en, other, problems| {
        for (key, ours) in &en.messages {
            let Some(theirs) = other.messages.get(key) else {
                continue;
            };
            for brand in BRANDS {
                if ours.message.contains(brand) && !theirs.message.contains(brand) {
                    problems.push(format!(
                        "{}: {key} {:?} lost \"{brand}\"",
                        other.lang, theirs.message
                    ));
                }
            }
        }
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Manifest fields with a length limit (Chrome Web Store and Edge Add-ons refuse longer ones):
/// name 75 characters, short_name 12, description 132.
const MANIFEST_LIMITS: [(&str, usize); 3] =
    [("name", 75), ("short_name", 12), ("description", 132)];

#[test]
fn manifest_texts_fit_the_store_limits_in_every_language() {
    let path = root().join("extension/manifest.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let manifest: Value = serde_json::from_str(&text).unwrap();
    let all = catalogues();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (field, limit) in MANIFEST_LIMITS {
        let Some(value) = manifest[field].as_str() else {
            continue;
        };
        let Some(key) = value
            .strip_prefix("__MSG_")
            .and_then(|k| k.strip_suffix("__"))
        else {
            if value.chars().count() > limit {
                problems.push(format!(
                    "manifest {field} is longer than {limit} characters"
                ));
            }
            continue;
        };
        checked += 1;
        for c in &all {
            match c.messages.get(key) {
                None => problems.push(format!("{}: manifest {field} needs {key}", c.lang)),
                Some(m) if m.message.chars().count() > limit => problems.push(format!(
                    "{}: {key} has {} characters, the manifest's {field} allows {limit}",
                    c.lang,
                    m.message.chars().count()
                )),
                Some(_) => {}
            }
        }
    }
    assert!(
        checked >= 2,
        "manifest name and description are no longer translated"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Files under `dir` (recursively) whose name ends with one of `exts`, skipping `skip`.
fn files(dir: &Path, exts: &[&str], skip: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path == skip {
            continue;
        }
        if path.is_dir() {
            files(&path, exts, skip, out);
        } else if exts
            .iter()
            .any(|ext| path.extension().is_some_and(|e| e == *ext))
        {
            out.push(path);
        }
    }
}

/// The text of every file that may use a message key: src/**/*.rs and the extension's own
/// html, js and json (not the catalogues themselves). A unit test that names a key counts as a
/// use; the code under test is what uses it in practice.
fn source_texts() -> Vec<String> {
    let mut paths = Vec::new();
    files(&root().join("src"), &["rs"], Path::new(""), &mut paths);
    let rust_files = paths.len();
    files(
        &root().join("extension"),
        &["html", "js", "json"],
        &locales_dir(),
        &mut paths,
    );
    assert!(rust_files > 0, "no Rust source found under src/");
    assert!(paths.len() > rust_files, "no extension files found");
    assert!(
        paths.iter().any(|p| p.ends_with("extension/manifest.json")),
        "manifest.json not scanned"
    );
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `text` names `word` as a whole identifier ("popup_refresh" is not named by
/// "popup_refreshing"), or as the manifest's `__MSG_word__`.
fn names(text: &str, word: &str) -> bool {
    if text.contains(&format!("__MSG_{word}__")) {
        return true;
    }
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

#[test]
fn every_english_key_is_used_in_the_source() {
    let texts = source_texts();
    let in_source = |s: &str| texts.iter().any(|t| t.contains(s));
    for (builder, _, _) in DYNAMIC_KEYS {
        assert!(
            in_source(builder),
            "no source builds keys with {builder} any more: update DYNAMIC_KEYS"
        );
    }
    let all = catalogues();
    let en = &all[0];
    let unused: Vec<&str> = en
        .messages
        .keys()
        .map(String::as_str)
        .filter(|key| !texts.iter().any(|t| names(t, key)))
        .filter(|key| {
            !DYNAMIC_KEYS.iter().any(|(_, prefix, suffix)| {
                key.strip_prefix(prefix)
                    .and_then(|rest| rest.strip_suffix(suffix))
                    .is_some_and(|name| !name.is_empty() && in_source(&format!("\"{name}\"")))
            })
        })
        .collect();
    assert!(
        unused.is_empty(),
        "keys in en/messages.json that no source file uses:\n{}",
        unused.join("\n")
    );
}

#[test]
fn placeholder_scanner_reads_what_chrome_reads() {
    let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(placeholders_in("$1–$2 of $3"), set(&["$1", "$2", "$3"]));
    assert_eq!(placeholders_in("Hi $User$, pay $$5"), set(&["$user$"]));
    assert_eq!(placeholders_in("$ alone, US$ and $"), set(&[]));
    assert!(names(
        "t(\"popup_refreshing\") t(\"popup_refresh\")",
        "popup_refresh"
    ));
    assert!(!names("t(\"popup_refreshing\")", "popup_refresh"));
    assert!(names("\"name\": \"__MSG_extName__\"", "extName"));
}
