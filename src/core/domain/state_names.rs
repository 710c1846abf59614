//! State labels: ServiceNow's defaults, the instance's own labels, and the user's renames.
//!
//! Precedence when showing a state: the user's rename, else the instance's label (sys_choice,
//! or the record's display value), else the default below, else the raw value.

use serde::{Deserialize, Serialize};

use super::ticket::TicketKind;

/// A state's labels as the surfaces show and rename it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateName {
    pub kind: TicketKind,
    pub state: String,
    /// The instance's label (or the default).
    pub instance_label: String,
    /// The user's rename, if any.
    pub custom_label: Option<String>,
}

/// The user's rename of one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateNameOverride {
    pub kind: TicketKind,
    pub state: String,
    /// Empty or `None` removes the rename.
    pub label: Option<String>,
}

/// A state as ServiceNow ships it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultState {
    pub value: &'static str,
    pub label: &'static str,
    /// Not resolved, closed or canceled.
    pub open: bool,
}

const fn st(value: &'static str, label: &'static str, open: bool) -> DefaultState {
    DefaultState { value, label, open }
}

const INCIDENT: [DefaultState; 6] = [
    st("1", "New", true),
    st("2", "In Progress", true),
    st("3", "On Hold", true),
    st("6", "Resolved", false),
    st("7", "Closed", false),
    st("8", "Canceled", false),
];

const CHANGE_REQUEST: [DefaultState; 8] = [
    st("-5", "New", true),
    st("-4", "Assess", true),
    st("-3", "Authorize", true),
    st("-2", "Scheduled", true),
    st("-1", "Implement", true),
    st("0", "Review", true),
    st("3", "Closed", false),
    st("4", "Canceled", false),
];

/// States of change requests created before the current state model (old records may hold
/// 1, 2, 7). Known for labels and open/closed, not offered for renaming.
const CHANGE_REQUEST_LEGACY: [DefaultState; 3] = [
    st("1", "Open", true),
    st("2", "Work in Progress", true),
    st("7", "Closed Skipped", false),
];

/// A custom label is cut to this many characters: it has to fit a badge.
pub const CUSTOM_LABEL_MAX: usize = 40;

/// The current default states of `kind`, in workflow order.
pub fn default_states(kind: TicketKind) -> &'static [DefaultState] {
    match kind {
        TicketKind::Incident => &INCIDENT,
        TicketKind::ChangeRequest => &CHANGE_REQUEST,
    }
}

fn find_default(kind: TicketKind, value: &str) -> Option<&'static DefaultState> {
    let value = value.trim();
    let legacy: &[DefaultState] = match kind {
        TicketKind::Incident => &[],
        TicketKind::ChangeRequest => &CHANGE_REQUEST_LEGACY,
    };
    default_states(kind)
        .iter()
        .chain(legacy)
        .find(|s| s.value == value)
}

/// ServiceNow's default label for a state value.
pub fn default_label(kind: TicketKind, value: &str) -> Option<&'static str> {
    find_default(kind, value).map(|s| s.label)
}

/// Whether a state counts as open. A state the defaults do not know (an instance's custom
/// state) counts as open: showing a ticket that is really closed is the lesser harm than
/// hiding one that still needs work.
pub fn is_open(kind: TicketKind, value: &str) -> bool {
    find_default(kind, value).is_none_or(|s| s.open)
}

/// An instance's label for a state: a `sys_choice` row, or a record's display value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChoiceLabel {
    pub value: String,
    pub label: String,
    /// `sys_choice.sequence`; `None` for labels read from records.
    pub sequence: Option<i32>,
}

/// The state names of one kind: the instance's states in its order (else the defaults), the
/// current defaults the instance did not list, and the user's renames.
pub fn merge(
    kind: TicketKind,
    instance: &[ChoiceLabel],
    overrides: &[StateNameOverride],
) -> Vec<StateName> {
    let mut listed: Vec<&ChoiceLabel> = instance
        .iter()
        .filter(|c| !c.value.trim().is_empty())
        .collect();
    // Stable: rows without a sequence keep their order after those with one.
    listed.sort_by_key(|c| c.sequence.unwrap_or(i32::MAX));
    let mut out: Vec<StateName> = Vec::new();
    for c in listed {
        let value = c.value.trim();
        if out.iter().any(|s| s.state == value) {
            continue; // sys_choice may list a value twice (domains, duplicates): first wins.
        }
        let label = c.label.trim();
        let instance_label = if label.is_empty() {
            default_label(kind, value).unwrap_or(value).to_owned()
        } else {
            label.to_owned()
        };
        out.push(StateName {
            kind,
            state: value.to_owned(),
            instance_label,
            custom_label: None,
        });
    }
    for d in default_states(kind) {
        if !out.iter().any(|s| s.state == d.value) {
            out.push(StateName {
                kind,
                state: d.value.to_owned(),
                instance_label: d.label.to_owned(),
                custom_label: None,
            });
        }
    }
    for o in overrides.iter().filter(|o| o.kind == kind) {
        if let (Some(name), Some(label)) = (
            out.iter_mut().find(|s| s.state == o.state.trim()),
            clean_label(o.label.as_deref()),
        ) {
            name.custom_label = Some(label);
        }
    }
    out
}

/// Both kinds, incident first.
pub fn merge_all(
    incident: &[ChoiceLabel],
    change_request: &[ChoiceLabel],
    overrides: &[StateNameOverride],
) -> Vec<StateName> {
    let mut all = merge(TicketKind::Incident, incident, overrides);
    all.extend(merge(TicketKind::ChangeRequest, change_request, overrides));
    all
}

/// The label to display for a state.
pub fn label_for(names: &[StateName], kind: TicketKind, value: &str) -> String {
    let value = value.trim();
    if let Some(n) = names.iter().find(|n| n.kind == kind && n.state == value) {
        return n
            .custom_label
            .clone()
            .unwrap_or_else(|| n.instance_label.clone());
    }
    default_label(kind, value).unwrap_or(value).to_owned()
}

/// Applies renames from the options page to the stored list: a label sets or replaces the
/// rename, `None` or a blank label removes it.
pub fn apply_overrides(stored: &mut Vec<StateNameOverride>, changes: &[StateNameOverride]) {
    for change in changes {
        let state = change.state.trim().to_owned();
        stored.retain(|o| !(o.kind == change.kind && o.state == state));
        if let Some(label) = clean_label(change.label.as_deref()) {
            stored.push(StateNameOverride {
                kind: change.kind,
                state,
                label: Some(label),
            });
        }
    }
}

fn clean_label(label: Option<&str>) -> Option<String> {
    let collapsed: String = label?.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = collapsed.chars().take(CUSTOM_LABEL_MAX).collect();
    (!cut.is_empty()).then_some(cut)
}

/// ServiceNow's code for the language of a browser tag (`chrome.i18n.getUILanguage()`: `en-US`,
/// `zh-TW`, `it`): what sys_choice rows are kept under. ServiceNow's language records use the
/// ISO 639-1 code, except for the variants it gives codes of their own (`fq` French Canadian,
/// `pb` Brazilian Portuguese, `zt` Traditional Chinese). snshare speaks Traditional Chinese,
/// so a browser in the `Hant` script, or in Taiwan's, Hong Kong's or Macau's Chinese without a
/// script, asks for `zt`; other Chinese asks for `zh`. Canadian French and Brazilian Portuguese
/// keep `fr` and `pt`, which more instances have. Whatever the code, an instance without that
/// language answers in English (`Client::field_choices`). Not checked against a live instance
/// here.
pub fn servicenow_language(browser_tag: &str) -> String {
    let subtags: Vec<String> = browser_tag
        .split(['-', '_'])
        .map(str::to_ascii_lowercase)
        .collect();
    let primary = subtags.first().map(String::as_str).unwrap_or_default();
    if primary.is_empty() {
        return "en".to_owned();
    }
    if primary != "zh" {
        return primary.to_owned();
    }
    // The script decides where the tag names one (`zh-Hans-HK` is Simplified), else the region.
    let rest = subtags.get(1..).unwrap_or_default();
    let traditional = match rest.iter().find(|s| *s == "hans" || *s == "hant") {
        Some(script) => script == "hant",
        None => rest
            .iter()
            .any(|s| matches!(s.as_str(), "tw" | "hk" | "mo")),
    };
    if traditional { "zt" } else { "zh" }.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(value: &str, label: &str, sequence: Option<i32>) -> ChoiceLabel {
        ChoiceLabel {
            value: value.into(),
            label: label.into(),
            sequence,
        }
    }

    fn rename(kind: TicketKind, state: &str, label: Option<&str>) -> StateNameOverride {
        StateNameOverride {
            kind,
            state: state.into(),
            label: label.map(Into::into),
        }
    }

    #[test]
    fn defaults_match_servicenow() {
        use TicketKind::*;
        let inc: Vec<_> = default_states(Incident)
            .iter()
            .map(|s| (s.value, s.label))
            .collect();
        assert_eq!(
            inc,
            [
                ("1", "New"),
                ("2", "In Progress"),
                ("3", "On Hold"),
                ("6", "Resolved"),
                ("7", "Closed"),
                ("8", "Canceled")
            ]
        );
        let chg: Vec<_> = default_states(ChangeRequest)
            .iter()
            .map(|s| (s.value, s.label))
            .collect();
        assert_eq!(
            chg,
            [
                ("-5", "New"),
                ("-4", "Assess"),
                ("-3", "Authorize"),
                ("-2", "Scheduled"),
                ("-1", "Implement"),
                ("0", "Review"),
                ("3", "Closed"),
                ("4", "Canceled")
            ]
        );
        assert_eq!(default_label(ChangeRequest, "7"), Some("Closed Skipped"));
        assert_eq!(default_label(Incident, "42"), None);
    }

    #[test]
    fn open_and_closed() {
        use TicketKind::*;
        for v in ["1", "2", "3"] {
            assert!(is_open(Incident, v), "{v}");
        }
        for v in ["6", "7", "8"] {
            assert!(!is_open(Incident, v), "{v}");
        }
        for v in ["-5", "-4", "-3", "-2", "-1", "0", "1", "2"] {
            assert!(is_open(ChangeRequest, v), "{v}");
        }
        for v in ["3", "4", "7"] {
            assert!(!is_open(ChangeRequest, v), "{v}");
        }
        // Custom states count as open.
        assert!(is_open(Incident, "-40"));
        assert!(is_open(ChangeRequest, "99"));
    }

    #[test]
    fn instance_labels_replace_defaults_and_add_custom_states() {
        let names = merge(
            TicketKind::Incident,
            &[
                choice("2", "Work in progress", Some(200)),
                choice("1", "Nouveau", Some(100)),
                choice("9", "Awaiting vendor", Some(250)),
                choice("1", "dup", Some(1000)),
            ],
            &[],
        );
        let got: Vec<_> = names
            .iter()
            .map(|n| (n.state.as_str(), n.instance_label.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("1", "Nouveau"),
                ("2", "Work in progress"),
                ("9", "Awaiting vendor"),
                ("3", "On Hold"),
                ("6", "Resolved"),
                ("7", "Closed"),
                ("8", "Canceled")
            ]
        );
        assert!(names
            .iter()
            .all(|n| n.custom_label.is_none() && n.kind == TicketKind::Incident));
    }

    #[test]
    fn without_instance_labels_the_defaults_are_used() {
        let names = merge(TicketKind::ChangeRequest, &[], &[]);
        assert_eq!(names.len(), 8);
        assert_eq!(names[0].instance_label, "New");
        assert_eq!(names[0].state, "-5");
        let blank = merge(TicketKind::Incident, &[choice("6", " ", None)], &[]);
        assert_eq!(blank[0].instance_label, "Resolved");
    }

    #[test]
    fn user_renames_win_and_apply_per_kind() {
        let overrides = [
            rename(TicketKind::Incident, "1", Some("  Triage  ")),
            rename(TicketKind::ChangeRequest, "1", Some("Legacy open")),
            rename(TicketKind::Incident, "2", Some("   ")),
        ];
        let all = merge_all(&[choice("1", "New", Some(1))], &[], &overrides);
        assert_eq!(label_for(&all, TicketKind::Incident, "1"), "Triage");
        assert_eq!(label_for(&all, TicketKind::Incident, "2"), "In Progress");
        assert_eq!(label_for(&all, TicketKind::ChangeRequest, "-5"), "New");
        // Not in the merged list (legacy state): default label, then the raw value.
        assert_eq!(label_for(&all, TicketKind::ChangeRequest, "1"), "Open");
        assert_eq!(label_for(&all, TicketKind::Incident, "77"), "77");
    }

    #[test]
    fn apply_overrides_sets_replaces_and_removes() {
        let mut stored = vec![];
        apply_overrides(
            &mut stored,
            &[rename(TicketKind::Incident, "1", Some("Triage"))],
        );
        apply_overrides(
            &mut stored,
            &[
                rename(TicketKind::Incident, " 1 ", Some("Inbox")),
                rename(TicketKind::ChangeRequest, "-5", Some("Draft")),
            ],
        );
        assert_eq!(
            stored,
            vec![
                rename(TicketKind::Incident, "1", Some("Inbox")),
                rename(TicketKind::ChangeRequest, "-5", Some("Draft"))
            ]
        );
        apply_overrides(
            &mut stored,
            &[
                rename(TicketKind::Incident, "1", Some("")),
                rename(TicketKind::ChangeRequest, "-5", None),
            ],
        );
        assert!(stored.is_empty());
        apply_overrides(
            &mut stored,
            &[rename(TicketKind::Incident, "1", Some(&"x".repeat(100)))],
        );
        assert_eq!(
            stored[0].label.as_ref().map(|l| l.chars().count()),
            Some(CUSTOM_LABEL_MAX)
        );
    }

    #[test]
    fn a_browser_language_becomes_servicenows_code_traditional_chinese_its_own() {
        for (tag, code) in [
            ("en-US", "en"),
            ("it", "it"),
            ("sv_SE", "sv"),
            ("fr-CA", "fr"),
            ("NL", "nl"),
            ("zh-TW", "zt"),
            ("zh_TW", "zt"),
            ("zh-HK", "zt"),
            ("zh-Hant-TW", "zt"),
            ("zh-Hant", "zt"),
            ("zh-CN", "zh"),
            ("zh-Hans-HK", "zh"),
            ("zh-MO", "zt"),
            ("zh", "zh"),
            ("", "en"),
        ] {
            assert_eq!(servicenow_language(tag), code, "{tag}");
        }
    }
}
