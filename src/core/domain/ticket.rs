//! Tickets as snshare shows them: kinds, priorities, states, summaries.

use serde::{Deserialize, Serialize};

use super::correlation::{action_key, parse};
use super::names::names;

/// The two ServiceNow tables snshare creates records in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketKind {
    Incident,
    ChangeRequest,
}

names!(TicketKind {
    Incident => "incident",
    ChangeRequest => "change_request",
});

impl TicketKind {
    /// The ServiceNow table name: snshare names the kinds after their tables.
    pub fn table(self) -> &'static str {
        self.as_str()
    }

    /// i18n key of the kind's label.
    pub fn label_key(self) -> String {
        format!("common_kind_{}", self.as_str())
    }
}

/// ServiceNow's priorities. On incident the instance computes them from impact × urgency; on
/// change_request nothing computes them, so snshare sends `priority` itself there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Critical,
    High,
    Moderate,
    Low,
    Planning,
}

names!(Priority {
    Critical => "critical",
    High => "high",
    Moderate => "moderate",
    Low => "low",
    Planning => "planning",
});

impl Priority {
    /// i18n key of the priority's label.
    pub fn label_key(self) -> String {
        format!("common_priority_{}", self.as_str())
    }

    /// The priorities a ticket of this kind may have: change_request's choice list stops at
    /// 4 - Low (there is no Planning change), incident has all five.
    pub fn choices(kind: TicketKind) -> &'static [Priority] {
        match kind {
            TicketKind::Incident => &Priority::ALL,
            TicketKind::ChangeRequest => &[
                Priority::Critical,
                Priority::High,
                Priority::Moderate,
                Priority::Low,
            ],
        }
    }

    /// This priority if a ticket of `kind` may have it, else the nearest one it may have.
    pub fn fit(self, kind: TicketKind) -> Priority {
        let choices = Priority::choices(kind);
        if choices.contains(&self) {
            self
        } else {
            choices.last().copied().unwrap_or(self)
        }
    }

    /// ServiceNow's value, "1" (Critical) to "5" (Planning).
    pub fn value(self) -> u8 {
        match self {
            Priority::Critical => 1,
            Priority::High => 2,
            Priority::Moderate => 3,
            Priority::Low => 4,
            Priority::Planning => 5,
        }
    }

    /// Reads a `priority` value as the Table API returns it ("1".."5").
    pub fn from_value(value: &str) -> Option<Priority> {
        Priority::ALL
            .into_iter()
            .find(|p| value.trim() == p.value().to_string())
    }

    /// The (impact, urgency) pair to send. On incident `priority` is read-only: the instance
    /// computes it from these through its priority lookup rules, and these pairs give exactly
    /// this priority under ServiceNow's default priority matrix (`MATRIX` below).
    /// The diagonal-or-next pairs are used so a customized matrix is least likely to differ.
    pub fn impact_urgency(self) -> (u8, u8) {
        match self {
            Priority::Critical => (1, 1),
            Priority::High => (1, 2),
            Priority::Moderate => (2, 2),
            Priority::Low => (2, 3),
            Priority::Planning => (3, 3),
        }
    }

    /// ServiceNow's default priority matrix: impact and urgency 1 (High) to 3 (Low).
    pub fn from_impact_urgency(impact: u8, urgency: u8) -> Option<Priority> {
        if !(1..=3).contains(&impact) || !(1..=3).contains(&urgency) {
            return None;
        }
        // In the default matrix priority = impact + urgency - 1.
        Priority::ALL
            .get(usize::from(impact + urgency - 2))
            .copied()
    }
}

/// Where the recommendation came from, as the ticket says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecommendationSource {
    /// Shared from an improvement action.
    Microsoft,
    /// Created from a card's "Create ticket" without an action.
    User,
    /// Shared from a Compliance Manager improvement action (issue 20).
    ComplianceManager,
}

/// The improvement action's category, as the ticket names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Identity,
    Data,
    Devices,
    Apps,
    Infrastructure,
}

names!(RecommendationSource {
    Microsoft => "microsoft",
    User => "user",
    ComplianceManager => "compliance_manager",
});

impl RecommendationSource {
    /// i18n key of the source's label in the task form.
    pub fn label_key(self) -> String {
        format!("form_source_{}", self.as_str())
    }

    /// As written into the ticket ("User recommendation" or "Microsoft recommendation").
    pub fn label(self) -> &'static str {
        match self {
            RecommendationSource::Microsoft => "Microsoft recommendation",
            RecommendationSource::User => "User recommendation",
            RecommendationSource::ComplianceManager => "Compliance Manager",
        }
    }

    /// Where a ticket for this action (none: a card's "Create ticket") comes from.
    pub fn of_action(action_id: Option<&str>) -> Self {
        match action_id {
            None => RecommendationSource::User,
            Some(id) if super::portal_url::is_cm_id(id) => RecommendationSource::ComplianceManager,
            Some(_) => RecommendationSource::Microsoft,
        }
    }
}

names!(Category {
    Identity => "identity",
    Data => "data",
    Devices => "devices",
    Apps => "apps",
    Infrastructure => "infrastructure",
});

impl Category {
    /// i18n key of the category's label.
    pub fn label_key(self) -> String {
        format!("common_category_{}", self.as_str())
    }

    /// As the ticket names it.
    pub fn label(self) -> &'static str {
        match self {
            Category::Identity => "Identity",
            Category::Data => "Data",
            Category::Devices => "Devices",
            Category::Apps => "Apps",
            Category::Infrastructure => "Infrastructure",
        }
    }

    /// snshare's own name for the category (`as_str`), kept for the callers still using this
    /// name. Never written into a ServiceNow choice field: the category goes to the
    /// description and the correlation display, or to a field and value the administrator
    /// maps (`FieldMapping`).
    pub fn value(self) -> &'static str {
        self.as_str()
    }

    /// Reads the portal's category text; the portal says "Device" where the ticket says
    /// "Devices".
    pub fn from_portal(text: &str) -> Option<Category> {
        let t = text.trim();
        Category::ALL
            .into_iter()
            .find(|c| t.eq_ignore_ascii_case(c.label()))
            .or_else(|| {
                t.eq_ignore_ascii_case("device")
                    .then_some(Category::Devices)
            })
            // Graph's beta names Identity "Account".
            .or_else(|| {
                t.eq_ignore_ascii_case("account")
                    .then_some(Category::Identity)
            })
    }
}

impl TicketSummary {
    /// Where the ticket comes from, read from its action (its correlation id's namespace).
    pub fn source(&self) -> RecommendationSource {
        RecommendationSource::of_action(self.action_id.as_deref())
    }
}

/// One ticket as the cards, badges, popup and list show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSummary {
    pub kind: TicketKind,
    pub sys_id: String,
    pub number: String,
    pub short_description: String,
    /// The raw state value, e.g. "1" or "-5".
    pub state: String,
    /// The label to display: the user's rename, else the instance's label, else the default.
    pub state_label: String,
    /// Whether the state counts as open (not resolved, closed or canceled).
    pub open: bool,
    pub priority: Option<Priority>,
    pub assigned_to: Option<String>,
    /// UTC, ServiceNow's `YYYY-MM-DD HH:MM:SS`.
    pub updated_on: String,
    pub correlation_id: String,
    /// The improvement action the ticket belongs to, if any (parsed from the correlation id).
    pub action_id: Option<String>,
    /// Link into ServiceNow (`nav_to.do?uri=…`).
    pub link: String,
}

/// One action's tickets in a snapshot, as its badge shows them: the ticket shown (an index into
/// the snapshot's tickets: the most recently updated open one, else the most recent) and how
/// many tickets the action has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionIndex {
    /// The action key (`correlation::action_key`) the tickets belong to.
    pub key: String,
    pub shown: u32,
    pub count: u32,
}

/// The action a ticket belongs to, as a key: from its correlation id, else its `action_id`.
pub fn ticket_action_key(t: &TicketSummary) -> Option<String> {
    parse(&t.correlation_id)
        .and_then(|c| c.action_key)
        .or_else(|| t.action_id.as_deref().map(action_key))
}

/// The snapshot's tickets (most recently updated first) grouped by action, in key order: what
/// the badges look rows up in. Built by the worker with each snapshot, so the portal page
/// neither parses 1,000 correlation ids nor hashes their keys (issue 17).
pub fn index_by_action(tickets: &[TicketSummary]) -> Vec<ActionIndex> {
    // Each keyed ticket as (key, index): sorted, an action's tickets are one run, in the
    // snapshot's order.
    let mut order: Vec<(String, usize)> = tickets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| Some((ticket_action_key(t)?, i)))
        .collect();
    order.sort_unstable();
    order
        .chunk_by(|a, b| a.0 == b.0)
        .filter_map(|run| {
            let (key, first) = run.first()?;
            let shown = run
                .iter()
                .map(|(_, i)| *i)
                .find(|&i| tickets.get(i).is_some_and(|t| t.open))
                .unwrap_or(*first);
            Some(ActionIndex {
                key: key.clone(),
                shown: u32::try_from(shown).ok()?,
                count: u32::try_from(run.len()).ok()?,
            })
        })
        .collect()
}

/// A snapshot cut to what a list page's badges show: each action's shown ticket only, in the
/// index's key order, with the index pointing at them (`shown` = the ticket's new place; `count`
/// still every ticket of the action). A list of 200 actions over a cache of 1,000 tickets, or
/// 10,000, crosses the worker's messaging with one ticket per action (issue 17).
pub fn shown_only(
    tickets: Vec<TicketSummary>,
    index: Vec<ActionIndex>,
) -> (Vec<TicketSummary>, Vec<ActionIndex>) {
    let mut slots: Vec<Option<TicketSummary>> = tickets.into_iter().map(Some).collect();
    let mut shown = Vec::with_capacity(index.len());
    let mut kept = Vec::with_capacity(index.len());
    for a in index {
        // Each index entry names its own ticket (one shown per action): taken, not cloned.
        let Some(t) = slots.get_mut(a.shown as usize).and_then(Option::take) else {
            continue;
        };
        let Ok(at) = u32::try_from(shown.len()) else {
            break;
        };
        shown.push(t);
        kept.push(ActionIndex { shown: at, ..a });
    }
    (shown, kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ServiceNow's default priority lookup, row = impact, column = urgency (1 = high).
    const MATRIX: [[u8; 3]; 3] = [[1, 2, 3], [2, 3, 4], [3, 4, 5]];

    #[test]
    fn each_priority_maps_to_a_pair_the_matrix_turns_back_into_it() {
        for p in Priority::ALL {
            let (impact, urgency) = p.impact_urgency();
            assert_eq!(
                MATRIX[usize::from(impact - 1)][usize::from(urgency - 1)],
                p.value(),
                "{p:?}"
            );
            assert_eq!(Priority::from_impact_urgency(impact, urgency), Some(p));
        }
        assert_eq!(Priority::Critical.impact_urgency(), (1, 1));
        assert_eq!(Priority::High.impact_urgency(), (1, 2));
        assert_eq!(Priority::Moderate.impact_urgency(), (2, 2));
        assert_eq!(Priority::Low.impact_urgency(), (2, 3));
        assert_eq!(Priority::Planning.impact_urgency(), (3, 3));
    }

    #[test]
    fn the_whole_matrix_is_reproduced() {
        for impact in 1..=3u8 {
            for urgency in 1..=3u8 {
                let p = Priority::from_impact_urgency(impact, urgency).unwrap();
                assert_eq!(
                    p.value(),
                    MATRIX[usize::from(impact - 1)][usize::from(urgency - 1)]
                );
            }
        }
        assert_eq!(Priority::from_impact_urgency(0, 1), None);
        assert_eq!(Priority::from_impact_urgency(1, 4), None);
    }

    #[test]
    fn priority_values_round_trip() {
        for p in Priority::ALL {
            assert_eq!(Priority::from_value(&p.value().to_string()), Some(p));
        }
        assert_eq!(Priority::from_value(" 3 "), Some(Priority::Moderate));
        assert_eq!(Priority::from_value(""), None);
        assert_eq!(Priority::from_value("6"), None);
    }

    #[test]
    fn every_name_table_matches_serde_and_reads_back() {
        use crate::domain::names::check_table;
        check_table(&TicketKind::ALL, TicketKind::as_str);
        check_table(&Priority::ALL, Priority::as_str);
        check_table(&Category::ALL, Category::as_str);
        check_table(&RecommendationSource::ALL, RecommendationSource::as_str);
        for k in TicketKind::ALL {
            assert_eq!(k.table(), k.as_str());
        }
        assert_eq!(TicketKind::ChangeRequest.table(), "change_request");
        assert_eq!(Priority::Planning.label_key(), "common_priority_planning");
        assert_eq!(Category::Apps.label_key(), "common_category_apps");
        assert_eq!(
            TicketKind::ChangeRequest.label_key(),
            "common_kind_change_request"
        );
        assert_eq!(RecommendationSource::User.label_key(), "form_source_user");
    }

    /// Every label key has English text (the same catalogue the extension ships).
    #[test]
    fn every_label_key_is_in_the_catalogue() {
        let messages: serde_json::Value =
            serde_json::from_str(include_str!("../../../extension/_locales/en/messages.json"))
                .unwrap();
        let keys = TicketKind::ALL
            .map(TicketKind::label_key)
            .into_iter()
            .chain(Priority::ALL.map(Priority::label_key))
            .chain(Category::ALL.map(Category::label_key))
            .chain(RecommendationSource::ALL.map(RecommendationSource::label_key));
        for key in keys {
            assert!(messages[&key]["message"].is_string(), "missing {key}");
        }
    }

    #[test]
    fn a_change_request_has_no_planning_priority() {
        assert_eq!(Priority::choices(TicketKind::Incident), &Priority::ALL);
        assert_eq!(
            Priority::choices(TicketKind::ChangeRequest),
            &[
                Priority::Critical,
                Priority::High,
                Priority::Moderate,
                Priority::Low
            ]
        );
        assert_eq!(
            Priority::Planning.fit(TicketKind::ChangeRequest),
            Priority::Low
        );
        assert_eq!(
            Priority::Planning.fit(TicketKind::Incident),
            Priority::Planning
        );
        assert_eq!(
            Priority::High.fit(TicketKind::ChangeRequest),
            Priority::High
        );
    }

    #[test]
    fn categories_read_the_portal_words() {
        assert_eq!(Category::from_portal("Device"), Some(Category::Devices));
        assert_eq!(
            Category::from_portal(" identity "),
            Some(Category::Identity)
        );
        assert_eq!(Category::from_portal("Apps"), Some(Category::Apps));
        assert_eq!(Category::from_portal("Other"), None);
        assert_eq!(Category::from_portal("Account"), Some(Category::Identity));
        assert_eq!(Category::Infrastructure.value(), "infrastructure");
        assert_eq!(
            RecommendationSource::Microsoft.label(),
            "Microsoft recommendation"
        );
    }

    #[test]
    fn the_source_follows_the_actions_namespace() {
        use RecommendationSource::*;
        assert_eq!(RecommendationSource::of_action(None), User);
        assert_eq!(
            RecommendationSource::of_action(Some("AdminMFAV2")),
            Microsoft
        );
        assert_eq!(
            RecommendationSource::of_action(Some("cm:AdminMFAV2")),
            ComplianceManager
        );
        assert_eq!(ComplianceManager.label(), "Compliance Manager");
        assert_eq!(ComplianceManager.as_str(), "compliance_manager");
    }

    fn summary(n: u32, correlation_id: &str, action_id: Option<&str>, open: bool) -> TicketSummary {
        TicketSummary {
            kind: TicketKind::Incident,
            sys_id: format!("s{n}"),
            number: format!("INC{n:07}"),
            short_description: String::new(),
            state: if open { "1" } else { "7" }.into(),
            state_label: String::new(),
            open,
            priority: None,
            assigned_to: None,
            updated_on: String::new(),
            correlation_id: correlation_id.into(),
            action_id: action_id.map(str::to_owned),
            link: String::new(),
        }
    }

    #[test]
    fn the_index_groups_by_action_key_and_shows_the_latest_open_ticket() {
        use crate::domain::correlation::correlation_id;
        let long = "a".repeat(90);
        // Most recently updated first, as the cache holds them.
        let tickets = vec![
            summary(1, &correlation_id(Some("B"), "s1"), None, false),
            summary(2, &correlation_id(Some("A"), "s2"), None, true),
            summary(3, &correlation_id(Some("B"), "s3"), None, true),
            summary(4, "not ours", None, true),
            // Written before correlation ids carried the action: its action_id says it.
            summary(5, "snshare", Some(" A "), true),
            summary(6, &correlation_id(Some("C"), "s6"), None, false),
            summary(7, &correlation_id(Some(&long), "s7"), None, true),
            summary(8, &correlation_id(Some("C"), "s8"), None, false),
        ];
        let index = index_by_action(&tickets);
        let found: Vec<(String, u32, u32)> = index
            .iter()
            .map(|a| (a.key.clone(), a.shown, a.count))
            .collect();
        let mut expected = vec![
            ("A".to_owned(), 1, 2),
            ("B".to_owned(), 2, 2),
            ("C".to_owned(), 5, 2),
            (action_key(&long), 6, 1),
        ];
        expected.sort();
        assert_eq!(found, expected);
        // Sorted by key: a binary search finds each action.
        assert!(index.windows(2).all(|w| w[0].key < w[1].key));
        assert!(index_by_action(&[]).is_empty());
    }

    #[test]
    fn a_list_pages_snapshot_keeps_each_actions_shown_ticket_and_its_count() {
        use crate::domain::correlation::correlation_id;
        let tickets = vec![
            summary(1, &correlation_id(Some("B"), "s1"), None, false),
            summary(2, &correlation_id(Some("A"), "s2"), None, true),
            summary(3, &correlation_id(Some("B"), "s3"), None, true),
            summary(4, "not ours", None, true),
            summary(5, &correlation_id(Some("A"), "s5"), None, false),
        ];
        let index = index_by_action(&tickets);
        let (shown, cut) = shown_only(tickets.clone(), index.clone());
        // One ticket per action, found through the cut index as through the whole one.
        assert_eq!(shown.len(), 2);
        assert_eq!(cut.len(), index.len());
        for (whole, part) in index.iter().zip(&cut) {
            assert_eq!((&whole.key, whole.count), (&part.key, part.count));
            assert_eq!(
                tickets.get(whole.shown as usize),
                shown.get(part.shown as usize)
            );
        }
        // B's open ticket (3), not its newer closed one; A's open one (2).
        let numbers: Vec<&str> = shown.iter().map(|t| t.number.as_str()).collect();
        assert_eq!(numbers, ["INC0000002", "INC0000003"]);
        assert_eq!(shown_only(Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
    }
}
