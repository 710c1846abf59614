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

/// What a badge and the status follow-up read of an action's shown ticket: 7 of a ticket's 13
/// fields. A list page receives only these, packed ([`pack_shown`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownTicket {
    pub kind: TicketKind,
    pub number: String,
    pub short_description: String,
    pub state: String,
    pub state_label: String,
    pub open: bool,
    pub link: String,
}

impl From<&TicketSummary> for ShownTicket {
    fn from(t: &TicketSummary) -> Self {
        ShownTicket {
            kind: t.kind,
            number: t.number.clone(),
            short_description: t.short_description.clone(),
            state: t.state.clone(),
            state_label: t.state_label.clone(),
            open: t.open,
            link: t.link.clone(),
        }
    }
}

/// One action's entry in a packed snapshot: its key, how many tickets it has, the one shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownAction {
    pub key: String,
    pub count: u32,
    pub shown: ShownTicket,
}

/// Fields per action in [`pack_shown`]'s text.
const SHOWN_FIELDS: usize = 9;

/// Each indexed action's shown ticket, in the index's key order, as one text: per action its
/// key, count, and the shown ticket's [`ShownTicket`] fields, each field written as its length
/// in bytes, `:`, then the field. A list page's badges read this with one string crossing into
/// the content script's wasm instead of a JS object and 13 property reads per ticket (issue 17:
/// 200 tickets cost the page ~6 ms read that way). Length-prefixed, so no text a ticket holds
/// can be taken for a separator.
pub fn pack_shown(tickets: &[TicketSummary], index: &[ActionIndex]) -> String {
    let mut out = String::new();
    for a in index {
        let Some(t) = tickets.get(a.shown as usize) else {
            continue;
        };
        let count = crate::decimal(a.count.into());
        let fields: [&str; SHOWN_FIELDS] = [
            &a.key,
            &count,
            t.kind.table(),
            &t.number,
            &t.short_description,
            &t.state,
            &t.state_label,
            if t.open { "1" } else { "0" },
            &t.link,
        ];
        for f in fields {
            crate::push_decimal(&mut out, f.len() as u64);
            out.push(':');
            out.push_str(f);
        }
    }
    out
}

/// [`pack_shown`]'s text read back. It stops at the first entry it cannot read (cut short, a
/// length that is not one, an unknown kind): what came before it is kept, sorted as written.
pub fn unpack_shown(packed: &str) -> Vec<ShownAction> {
    let mut out = Vec::new();
    let mut rest = packed;
    'entries: while !rest.is_empty() {
        let mut f: [&str; SHOWN_FIELDS] = [""; SHOWN_FIELDS];
        for slot in &mut f {
            let Some((len, tail)) = rest.split_once(':') else {
                break 'entries;
            };
            let Some((field, tail)) = len
                .parse::<usize>()
                .ok()
                .and_then(|n| Some((tail.get(..n)?, tail.get(n..)?)))
            else {
                break 'entries;
            };
            *slot = field;
            rest = tail;
        }
        let [key, count, kind, number, short_description, state, state_label, open, link] = f;
        let (Ok(count), Ok(kind)) = (count.parse::<u32>(), kind.parse::<TicketKind>()) else {
            break;
        };
        out.push(ShownAction {
            key: key.to_owned(),
            count,
            shown: ShownTicket {
                kind,
                number: number.to_owned(),
                short_description: short_description.to_owned(),
                state: state.to_owned(),
                state_label: state_label.to_owned(),
                open: open == "1",
                link: link.to_owned(),
            },
        });
    }
    out
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
    fn a_list_pages_snapshot_packs_each_actions_shown_ticket_and_its_count() {
        use crate::domain::correlation::correlation_id;
        let mut tickets = vec![
            summary(1, &correlation_id(Some("B"), "s1"), None, false),
            summary(2, &correlation_id(Some("A"), "s2"), None, true),
            summary(3, &correlation_id(Some("B"), "s3"), None, true),
            summary(4, "not ours", None, true),
            summary(5, &correlation_id(Some("A"), "s5"), None, false),
        ];
        // Texts a separator-based format would split: the length prefix carries them whole.
        tickets[1].short_description = "12:34 · état « ouvert » 🙂\n3:x".into();
        tickets[1].link = "https://x.service-now.com/nav_to.do?uri=a:b".into();
        tickets[2].kind = TicketKind::ChangeRequest;
        tickets[2].state_label = String::new();
        let index = index_by_action(&tickets);
        let packed = pack_shown(&tickets, &index);
        let read = unpack_shown(&packed);
        // B's open ticket (3), not its newer closed one; A's open one (2); in key order.
        let expected: Vec<ShownAction> = index
            .iter()
            .map(|a| ShownAction {
                key: a.key.clone(),
                count: a.count,
                shown: ShownTicket::from(&tickets[a.shown as usize]),
            })
            .collect();
        assert_eq!(read, expected);
        let numbers: Vec<&str> = read.iter().map(|a| a.shown.number.as_str()).collect();
        assert_eq!(numbers, ["INC0000002", "INC0000003"]);
        assert_eq!(read[0].count, 2);
        assert_eq!(read[1].shown.kind, TicketKind::ChangeRequest);
        assert!(unpack_shown(&pack_shown(&[], &[])).is_empty());
        // An index entry without its ticket is left out, not misread.
        let dangling = ActionIndex {
            key: "Z".into(),
            shown: 99,
            count: 1,
        };
        assert_eq!(unpack_shown(&pack_shown(&tickets, &[dangling])), Vec::new());
    }

    #[test]
    fn a_packed_snapshot_that_is_cut_or_wrong_keeps_what_came_before() {
        use crate::domain::correlation::correlation_id;
        let tickets = vec![
            summary(1, &correlation_id(Some("A"), "s1"), None, true),
            summary(2, &correlation_id(Some("B"), "s2"), None, true),
        ];
        let packed = pack_shown(&tickets, &index_by_action(&tickets));
        let whole = unpack_shown(&packed);
        assert_eq!(whole.len(), 2);
        // Cut anywhere inside the second entry: the first is read, nothing else, no panic.
        let first_end = {
            let one = pack_shown(&tickets[..1], &index_by_action(&tickets[..1]));
            one.len()
        };
        for cut in first_end..packed.len() {
            assert_eq!(unpack_shown(&packed[..cut]), whole[..1], "cut at {cut}");
        }
        // Lengths that are not numbers, that overrun, or that split a character.
        for bad in ["x:A", "99:A", "-1:A", "1:é", ":", "1", "3:abc"] {
            assert!(unpack_shown(bad).is_empty(), "{bad}");
        }
        // An unknown kind or count ends the reading there.
        let wrong_kind = packed.replacen("8:incident", "8:incidenT", 1);
        assert!(unpack_shown(&wrong_kind).is_empty());
        let wrong_count = packed.replacen("1:1", "1:x", 1);
        assert!(unpack_shown(&wrong_count).is_empty());
    }
}
