//! incident and change_request: the record a share creates, the queries that find snshare's
//! tickets again, and their decoding into `TicketSummary`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::correlation;
use crate::domain::draft::{correlation_display, due_date_value, TaskDraft};
use crate::domain::instance::InstanceUrl;
use crate::domain::portal_url::CM_NAMESPACE;
use crate::domain::query::{sanitize_value, EncodedQuery, QueryError};
use crate::domain::settings::FieldMapping;
use crate::domain::state_names::StateName;
use crate::domain::state_names::{default_label, is_open, ChoiceLabel};
use crate::domain::ticket::{Category, Priority, RecommendationSource, TicketKind, TicketSummary};
use crate::domain::token::Secret;

use super::client::{Client, Record};
use super::error::ClientError;
use super::table::{DisplayValue, TableParams};
use super::transport::Transport;

/// The fields a `TicketSummary` needs, and no more (issue 6: `sysparm_fields` limited).
pub const TICKET_FIELDS: [&str; 8] = [
    "sys_id",
    "number",
    "short_description",
    "state",
    "priority",
    "assigned_to",
    "sys_updated_on",
    "correlation_id",
];

/// Biggest page the list asks for.
pub const MAX_PAGE: u32 = 1000;

/// The body of the create request. All values are strings, as ServiceNow writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewTicket {
    #[serde(skip)]
    pub kind: TicketKind,
    pub short_description: String,
    pub description: String,
    pub impact: String,
    pub urgency: String,
    /// change_request only: nothing computes a change's priority from impact and urgency
    /// (that lookup is incident's), so it is sent as chosen. Incident computes its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// UTC `YYYY-MM-DD HH:MM:SS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    pub correlation_id: String,
    /// "Microsoft Secure Score: <category>": the category's default place.
    pub correlation_display: String,
    /// sys_id of a sys_user_group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignment_group: Option<String>,
    /// sys_id of a sys_user (incident only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_id: Option<String>,
    /// change_request through the Table API: `normal` (the Change Management API's endpoint
    /// says the type itself).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub change_type: Option<String>,
    /// The field the administrator mapped the category to, with the instance's own choice
    /// value (never an invented one).
    #[serde(flatten)]
    pub mapped: BTreeMap<String, String>,
}

/// Fields snshare sets itself: a category mapping may not name them.
pub const OWN_FIELDS: [&str; 12] = [
    "short_description",
    "description",
    "impact",
    "urgency",
    "priority",
    "due_date",
    "correlation_id",
    "correlation_display",
    "assignment_group",
    "caller_id",
    "type",
    "sys_id",
];

impl NewTicket {
    /// The record for a validated draft (`TaskDraft::validate` first: an unparseable due date
    /// is left out rather than sent wrong). `utc_offset_minutes` is the user's offset, east
    /// positive, so the due date is the end of their local day.
    pub fn from_draft(
        draft: &TaskDraft,
        correlation_id: &str,
        utc_offset_minutes: i32,
        mapping: &FieldMapping,
    ) -> NewTicket {
        let priority = draft.priority.fit(draft.kind);
        let (impact, urgency) = priority.impact_urgency();
        let is_change = draft.kind == TicketKind::ChangeRequest;
        let mut mapped = BTreeMap::new();
        if let Some((field, value)) = mapping.category_field(draft.kind, draft.category) {
            if !OWN_FIELDS.contains(&field.as_str()) {
                mapped.insert(field, value);
            }
        }
        NewTicket {
            kind: draft.kind,
            short_description: draft.short_description(),
            description: draft.ticket_description(),
            impact: impact.to_string(),
            urgency: urgency.to_string(),
            priority: is_change.then(|| priority.value().to_string()),
            due_date: draft.due().map(|d| due_date_value(d, utc_offset_minutes)),
            correlation_id: correlation_id.to_owned(),
            correlation_display: draft.correlation_display(),
            assignment_group: draft
                .assignment_group
                .as_ref()
                .map(|g| g.sys_id.trim().to_owned())
                .filter(|id| !id.is_empty()),
            caller_id: (!is_change)
                .then(|| mapping.caller.as_ref().map(|c| c.sys_id.trim().to_owned()))
                .flatten()
                .filter(|id| !id.is_empty()),
            change_type: is_change.then(|| "normal".to_owned()),
            mapped,
        }
    }
}

/// How to order a ticket list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortField {
    #[default]
    Updated,
    Number,
    Priority,
    State,
}

impl SortField {
    fn column(self) -> &'static str {
        match self {
            SortField::Updated => "sys_updated_on",
            SortField::Number => "number",
            SortField::Priority => "priority",
            SortField::State => "state",
        }
    }
}

/// Which snshare tickets of one kind to list. The default is every snshare ticket, most
/// recently updated first, 50 per page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFilter {
    /// Tickets of this improvement action (either correlation id format).
    pub action_id: Option<String>,
    /// Exactly this correlation id (the lookup before a retry).
    pub correlation_id: Option<String>,
    /// Tickets of any of these actions (a bulk share's duplicate check), when `action_id` and
    /// `correlation_id` are absent.
    pub actions: Vec<String>,
    /// `active=true` only.
    pub open_only: bool,
    /// Raw state values; empty = all.
    pub states: Vec<String>,
    pub category: Option<Category>,
    /// Where the tickets come from: by the correlation id's namespace.
    pub source: Option<RecommendationSource>,
    /// Free text matched against number and short description.
    pub search: Option<String>,
    pub sort: SortField,
    pub descending: bool,
    pub offset: u32,
    pub limit: u32,
    /// Only records this user (sys_id) opened.
    pub opened_by: Option<String>,
}

impl TicketFilter {
    /// This filter, narrowed to the records `owner` opened (when known and not set already).
    pub fn owned_by(&self, owner: Option<&str>) -> TicketFilter {
        let mut f = self.clone();
        if f.opened_by.is_none() {
            f.opened_by = owner.map(str::to_owned);
        }
        f
    }
}

impl Default for TicketFilter {
    fn default() -> Self {
        TicketFilter {
            action_id: None,
            correlation_id: None,
            actions: Vec::new(),
            open_only: false,
            states: Vec::new(),
            category: None,
            source: None,
            search: None,
            sort: SortField::Updated,
            descending: true,
            offset: 0,
            limit: 50,
            opened_by: None,
        }
    }
}

/// The encoded query of a filter (also usable for the instance's own list link).
pub fn ticket_query(filter: &TicketFilter) -> Result<String, QueryError> {
    let mut q = EncodedQuery::new();
    q = match (&filter.correlation_id, &filter.action_id) {
        (Some(cid), _) => q.eq("correlation_id", cid),
        (None, Some(action)) => {
            let key = correlation::action_key(action);
            q.starts_with("correlation_id", &correlation::action_prefix(action))
                .or_eq("correlation_id", &format!("{}{key}", correlation::PREFIX))
        }
        (None, None) if !filter.actions.is_empty() => {
            for (i, action) in filter.actions.iter().enumerate() {
                let prefix = correlation::action_prefix(action);
                q = if i == 0 {
                    q.starts_with("correlation_id", &prefix)
                } else {
                    q.or_starts_with("correlation_id", &prefix)
                };
                let legacy = format!("{}{}", correlation::PREFIX, correlation::action_key(action));
                q = q.or_eq("correlation_id", &legacy);
            }
            q
        }
        (None, None) => {
            let cm = format!("{}{}", correlation::PREFIX, CM_NAMESPACE);
            let user = format!("{}:", correlation::PREFIX);
            match filter.source {
                None => q.starts_with("correlation_id", correlation::PREFIX),
                Some(RecommendationSource::ComplianceManager) => {
                    q.starts_with("correlation_id", &cm)
                }
                Some(RecommendationSource::User) => q.starts_with("correlation_id", &user),
                Some(RecommendationSource::Microsoft) => q
                    .starts_with("correlation_id", correlation::PREFIX)
                    .not_like("correlation_id", &cm)
                    .not_like("correlation_id", &user),
            }
        }
    };
    if let Some(user) = filter.opened_by.as_deref().filter(|u| !u.is_empty()) {
        q = q.eq("opened_by", user);
    }
    if filter.open_only {
        q = q.eq("active", "true");
    }
    if !filter.states.is_empty() {
        q = q.in_("state", filter.states.iter().map(|s| s.trim()));
    }
    if let Some(c) = filter.category {
        q = q.eq("correlation_display", &correlation_display(Some(c)));
    }
    if let Some(text) = filter
        .search
        .as_deref()
        .map(sanitize_value)
        .filter(|s| !s.is_empty())
    {
        q = q.like("number", &text).or_like("short_description", &text);
    }
    q = if filter.descending {
        q.order_by_desc(filter.sort.column())
    } else {
        q.order_by(filter.sort.column())
    };
    // A unique tiebreak keeps pages stable when many records share a timestamp.
    q = q.order_by("sys_id");
    q.build()
}

/// The list request's parameters: the filter, only the summary's fields, display values for
/// labels and names, no reference links.
pub fn ticket_list_params(filter: &TicketFilter) -> Result<TableParams, QueryError> {
    Ok(TableParams {
        query: Some(ticket_query(filter)?),
        fields: TICKET_FIELDS.iter().map(|f| (*f).to_owned()).collect(),
        limit: Some(filter.limit.clamp(1, MAX_PAGE)),
        offset: Some(filter.offset),
        display_value: Some(DisplayValue::All),
        exclude_reference_link: true,
        no_count: false,
    })
}

/// What a create asks back: the summary's fields, shaped like a list answer.
pub fn created_record_params() -> TableParams {
    TableParams {
        fields: TICKET_FIELDS.iter().map(|f| (*f).to_owned()).collect(),
        display_value: Some(DisplayValue::All),
        exclude_reference_link: true,
        ..TableParams::default()
    }
}

/// A record into a summary. The state label: the user's rename, else the record's display
/// value (the instance's own label), else the instance/default label from `names`, else the
/// default, else the raw value.
pub fn decode_ticket(
    kind: TicketKind,
    record: &Record,
    instance: &InstanceUrl,
    names: &[StateName],
) -> Result<TicketSummary, ClientError> {
    let sys_id = record.require("sys_id")?;
    let number = record
        .display("number")
        .filter(|n| !n.is_empty())
        .map_or_else(|| record.require("number"), Ok)?;
    let state = record.value("state").unwrap_or_default();
    let named = names.iter().find(|n| n.kind == kind && n.state == state);
    let state_label = named
        .and_then(|n| n.custom_label.clone())
        .or_else(|| {
            record
                .display("state")
                .filter(|d| !d.is_empty() && *d != state)
        })
        .or_else(|| named.map(|n| n.instance_label.clone()))
        .or_else(|| default_label(kind, &state).map(str::to_owned))
        .unwrap_or_else(|| state.clone());
    let correlation_id = record.value("correlation_id").unwrap_or_default();
    Ok(TicketSummary {
        kind,
        link: instance.record_link(kind, &sys_id),
        sys_id,
        number,
        short_description: record.value("short_description").unwrap_or_default(),
        open: is_open(kind, &state),
        state,
        state_label,
        priority: record
            .value("priority")
            .as_deref()
            .and_then(Priority::from_value),
        assigned_to: record
            .display("assigned_to")
            .filter(|a| !a.trim().is_empty()),
        updated_on: record.value("sys_updated_on").unwrap_or_default(),
        action_id: correlation::parse(&correlation_id).and_then(|c| c.action_key),
        correlation_id,
    })
}

/// One page of tickets, with the instance's state labels seen on them (the fallback when
/// sys_choice cannot be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketList {
    pub tickets: Vec<TicketSummary>,
    /// X-Total-Count.
    pub total: Option<u32>,
    pub labels: Vec<ChoiceLabel>,
}

fn labels_seen(records: &[Record]) -> Vec<ChoiceLabel> {
    let mut labels: Vec<ChoiceLabel> = Vec::new();
    for r in records {
        if let (Some(value), Some(label)) = (r.value("state"), r.display("state")) {
            if !value.is_empty()
                && !label.is_empty()
                && label != value
                && !labels.iter().any(|l| l.value == value)
            {
                labels.push(ChoiceLabel {
                    value,
                    label,
                    sequence: None,
                });
            }
        }
    }
    labels
}

impl TicketList {
    /// A list answer's page, decoded.
    pub fn from_page(
        kind: TicketKind,
        page: &super::table::Page,
        instance: &InstanceUrl,
        names: &[StateName],
    ) -> Result<TicketList, ClientError> {
        // One damaged record (a field removed by an ACL, a broken business rule) costs that
        // ticket, not the page; a page of which nothing reads is an error the user sees.
        let mut tickets = Vec::with_capacity(page.records.len());
        let mut first_error = None;
        for r in &page.records {
            match decode_ticket(kind, r, instance, names) {
                Ok(t) => tickets.push(t),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let (true, Some(e)) = (tickets.is_empty(), first_error) {
            return Err(e);
        }
        Ok(TicketList {
            tickets,
            total: page.total,
            labels: labels_seen(&page.records),
        })
    }
}

impl<T: Transport> Client<T> {
    /// Creates the ticket (POST, not idempotent: after an unknown outcome use
    /// `find_by_correlation` before sending again).
    pub async fn create_ticket(
        &self,
        token: &Secret,
        ticket: &NewTicket,
        names: &[StateName],
    ) -> Result<TicketSummary, ClientError> {
        let record = self
            .create(token, ticket.kind.table(), ticket, &created_record_params())
            .await?;
        decode_ticket(ticket.kind, &record, self.instance(), names)
    }

    /// The record of one share, if it exists (the check before any retry).
    pub async fn find_by_correlation(
        &self,
        token: &Secret,
        kind: TicketKind,
        correlation_id: &str,
        names: &[StateName],
    ) -> Result<Option<TicketSummary>, ClientError> {
        let filter = TicketFilter {
            correlation_id: Some(correlation_id.to_owned()),
            limit: 1,
            ..TicketFilter::default()
        }
        .owned_by(self.owner());
        let mut params = ticket_list_params(&filter)?;
        params.no_count = true;
        let page = self.list(token, kind.table(), &params).await?;
        page.records
            .first()
            .map(|r| decode_ticket(kind, r, self.instance(), names))
            .transpose()
    }

    /// One page of snshare tickets of one kind: one request, whatever the number of actions.
    pub async fn list_tickets(
        &self,
        token: &Secret,
        kind: TicketKind,
        filter: &TicketFilter,
        names: &[StateName],
    ) -> Result<TicketList, ClientError> {
        let page = self
            .list(
                token,
                kind.table(),
                &ticket_list_params(&filter.owned_by(self.owner()))?,
            )
            .await?;
        TicketList::from_page(kind, &page, self.instance(), names)
    }

    /// Open tickets of an improvement action, both kinds, most recently updated first (the
    /// duplicate warning before a share).
    pub async fn find_open_for_action(
        &self,
        token: &Secret,
        action_id: &str,
        names: &[StateName],
    ) -> Result<Vec<TicketSummary>, ClientError> {
        let filter = TicketFilter {
            action_id: Some(action_id.to_owned()),
            open_only: true,
            limit: 20,
            ..TicketFilter::default()
        };
        let mut all = Vec::new();
        for kind in TicketKind::ALL {
            all.extend(
                self.list_tickets(token, kind, &filter, names)
                    .await?
                    .tickets
                    .into_iter()
                    // STARTSWITH may be a SQL LIKE where `_` matches any character: only the
                    // exact action's tickets are duplicates (security review L5).
                    .filter(|t| {
                        t.open && correlation::matches_action(&t.correlation_id, action_id)
                    }),
            );
        }
        all.sort_by(|a, b| b.updated_on.cmp(&a.updated_on));
        Ok(all)
    }
}

/// Actions per request of a bulk duplicate check: keeps the URL of each request short.
pub const ACTIONS_PER_LOOKUP: usize = 40;

impl<T: Transport> Client<T> {
    /// Open tickets of several improvement actions, both kinds: one request per kind for up to
    /// `ACTIONS_PER_LOOKUP` actions (a bulk share's duplicate check).
    pub async fn find_open_for_actions(
        &self,
        token: &Secret,
        action_ids: &[String],
        names: &[StateName],
    ) -> Result<Vec<TicketSummary>, ClientError> {
        let mut all = Vec::new();
        for chunk in action_ids.chunks(ACTIONS_PER_LOOKUP) {
            let filter = TicketFilter {
                actions: chunk.to_vec(),
                open_only: true,
                limit: MAX_PAGE,
                ..TicketFilter::default()
            };
            for kind in TicketKind::ALL {
                all.extend(
                    self.list_tickets(token, kind, &filter, names)
                        .await?
                        .tickets
                        .into_iter()
                        // STARTSWITH may be a SQL LIKE where `_` matches any character.
                        .filter(|t| {
                            t.open
                                && chunk
                                    .iter()
                                    .any(|a| correlation::matches_action(&t.correlation_id, a))
                        }),
                );
            }
        }
        all.sort_by(|a, b| b.updated_on.cmp(&a.updated_on));
        Ok(all)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::client::fake::{block_on, FakeTransport};
    use super::super::transport::Method;
    use super::*;
    use crate::domain::query::{parse_query_string, query_param};
    use crate::domain::ticket::RecommendationSource;

    fn instance() -> InstanceUrl {
        InstanceUrl::parse("dev1").unwrap()
    }

    pub(crate) fn draft(kind: TicketKind) -> TaskDraft {
        TaskDraft {
            kind,
            name: "Require MFA for administrative roles".into(),
            description: "Admins need MFA.".into(),
            priority: Priority::High,
            due_date: "2030-01-15".into(),
            user_id: "admin@contoso.com".into(),
            source: RecommendationSource::Microsoft,
            category: Some(Category::Identity),
            status: None,
            action_id: Some("AdminMFAV2".into()),
            action_url: None,
            assignment_group: None,
            compliance: None,
        }
    }

    fn none() -> FieldMapping {
        FieldMapping::default()
    }

    /// A record as the Table API returns it with display_value=all and no reference links.
    const INCIDENT_ALL: &str = r#"{
        "sys_id": {"display_value": "9d385017c611228701d22104cc95c371", "value": "9d385017c611228701d22104cc95c371"},
        "number": {"display_value": "INC0010001", "value": "INC0010001"},
        "short_description": {"display_value": "Require MFA", "value": "Require MFA"},
        "state": {"display_value": "In Progress", "value": "2"},
        "priority": {"display_value": "2 - High", "value": "2"},
        "assigned_to": {"display_value": "Beth Anglin", "value": "46d44a23a9fe19810012d100cca80666"},
        "sys_updated_on": {"display_value": "2030-01-10 10:00:00", "value": "2030-01-10 09:00:00"},
        "correlation_id": {"display_value": "snshare:AdminMFAV2:s-1", "value": "snshare:AdminMFAV2:s-1"}
    }"#;

    #[test]
    fn incident_payload_from_a_draft() {
        let t = NewTicket::from_draft(
            &draft(TicketKind::Incident),
            "snshare:AdminMFAV2:s-1",
            60,
            &none(),
        );
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(
            json["short_description"],
            "Require MFA for administrative roles"
        );
        assert!(json["description"]
            .as_str()
            .unwrap()
            .starts_with("Admins need MFA.\n\n-- Shared from Microsoft Secure Score"));
        assert_eq!(
            (json["impact"].as_str(), json["urgency"].as_str()),
            (Some("1"), Some("2"))
        );
        assert_eq!(json["due_date"], "2030-01-15 22:59:59");
        assert_eq!(json["correlation_id"], "snshare:AdminMFAV2:s-1");
        // The category is no value of incident's category choices: it goes to the
        // correlation display (and the description), and `category` stays untouched.
        assert_eq!(
            json["correlation_display"],
            "Microsoft Secure Score: Identity"
        );
        assert!(json.get("category").is_none());
        assert!(json["description"]
            .as_str()
            .unwrap()
            .contains("\nCategory: Identity\n"));
        // Incident computes its priority from impact and urgency.
        assert!(json.get("priority").is_none());
        assert!(json.get("assignment_group").is_none());
        assert!(json.get("type").is_none());
        assert!(json.get("kind").is_none());
        assert!(
            json.as_object().unwrap().values().all(|v| v.is_string()),
            "ServiceNow values are strings"
        );
    }

    #[test]
    fn change_request_payload_is_normal_and_titled() {
        let t = NewTicket::from_draft(
            &draft(TicketKind::ChangeRequest),
            "snshare:AdminMFAV2:s-1",
            0,
            &none(),
        );
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["type"], "normal");
        // Nothing computes a change's priority: it is sent as the form chose it.
        assert_eq!(json["priority"], "2");
        assert_eq!(
            json["short_description"],
            "Microsoft 365 Security and Configuration Change Request: Require MFA for administrative roles"
        );
        let mut bad = draft(TicketKind::Incident);
        bad.due_date = "soon".into();
        assert_eq!(NewTicket::from_draft(&bad, "c", 0, &none()).due_date, None);
    }

    #[test]
    fn each_change_priority_is_sent_and_planning_is_not_a_change_priority() {
        for (p, v) in [
            (Priority::Critical, "1"),
            (Priority::High, "2"),
            (Priority::Moderate, "3"),
            (Priority::Low, "4"),
            (Priority::Planning, "4"),
        ] {
            let mut d = draft(TicketKind::ChangeRequest);
            d.priority = p;
            let t = NewTicket::from_draft(&d, "c", 0, &none());
            assert_eq!(t.priority.as_deref(), Some(v), "{p:?}");
        }
    }

    #[test]
    fn mapped_fields_group_and_caller_go_into_the_record() {
        use crate::domain::settings::{CategoryMapping, CategoryValue, RecordRef};
        let group = RecordRef {
            sys_id: "a715cd759f2002002920bde8132e7018".into(),
            name: "Security Operations".into(),
        };
        let mapping = FieldMapping {
            assignment_group: None,
            caller: Some(RecordRef {
                sys_id: "caller1".into(),
                name: "Megan".into(),
            }),
            category: vec![CategoryMapping {
                kind: TicketKind::Incident,
                field: "category".into(),
                values: vec![CategoryValue {
                    category: Category::Identity,
                    value: "software".into(),
                }],
            }],
            standard_change_template: None,
        };
        let mut d = draft(TicketKind::Incident);
        d.assignment_group = Some(group.clone());
        let json = serde_json::to_value(NewTicket::from_draft(&d, "c", 0, &mapping)).unwrap();
        assert_eq!(json["category"], "software");
        assert_eq!(json["assignment_group"], group.sys_id);
        assert_eq!(json["caller_id"], "caller1");
        // Another category, or the other kind: not mapped, nothing written.
        d.category = Some(Category::Data);
        let json = serde_json::to_value(NewTicket::from_draft(&d, "c", 0, &mapping)).unwrap();
        assert!(json.get("category").is_none());
        let mut c = draft(TicketKind::ChangeRequest);
        c.assignment_group = Some(group);
        let json = serde_json::to_value(NewTicket::from_draft(&c, "c", 0, &mapping)).unwrap();
        assert!(json.get("category").is_none());
        assert!(json.get("caller_id").is_none(), "caller is incident's");
        assert!(json.get("assignment_group").is_some());
        // A mapping may never overwrite snshare's own fields.
        let mut evil = mapping.clone();
        evil.category[0].field = "correlation_id".into();
        let json = serde_json::to_value(NewTicket::from_draft(
            &draft(TicketKind::Incident),
            "c",
            0,
            &evil,
        ))
        .unwrap();
        assert_eq!(json["correlation_id"], "c");
    }

    #[test]
    fn the_list_query_is_one_per_kind() {
        let params = ticket_list_params(&TicketFilter::default()).unwrap();
        assert_eq!(
            params.query.as_deref(),
            Some("correlation_idSTARTSWITHsnshare:^ORDERBYDESCsys_updated_on^ORDERBYsys_id")
        );
        assert_eq!(params.fields.join(","), "sys_id,number,short_description,state,priority,assigned_to,sys_updated_on,correlation_id");
        assert_eq!(params.display_value, Some(DisplayValue::All));
        assert!(params.exclude_reference_link);
        assert_eq!((params.limit, params.offset), (Some(50), Some(0)));
    }

    #[test]
    fn only_the_connected_users_records_are_snshare_tickets() {
        let f = TicketFilter {
            action_id: Some("AdminMFAV2".into()),
            ..TicketFilter::default()
        }
        .owned_by(Some("5137153cc611227c000bbd1bd8cd2005"));
        assert_eq!(
            ticket_query(&f).unwrap(),
            "correlation_idSTARTSWITHsnshare:AdminMFAV2:^ORcorrelation_id=snshare:AdminMFAV2^opened_by=5137153cc611227c000bbd1bd8cd2005^ORDERBYDESCsys_updated_on^ORDERBYsys_id"
        );
        let fake = FakeTransport::new().json(200, r#"{"result":[]}"#);
        let client = Client::new(&fake, instance()).with_owner(Some("u1".into()));
        block_on(client.find_by_correlation(
            &Secret::new("AT"),
            TicketKind::Incident,
            "snshare:a:b",
            &[],
        ))
        .unwrap();
        let q = parse_query_string(fake.last().url.split_once('?').unwrap().1);
        assert!(query_param(&q, "sysparm_query")
            .unwrap()
            .contains("^opened_by=u1^"));
    }

    #[test]
    fn the_source_filter_reads_the_correlation_namespace() {
        let q = |source| {
            ticket_query(&TicketFilter {
                source: Some(source),
                ..TicketFilter::default()
            })
            .unwrap()
        };
        let order = "^ORDERBYDESCsys_updated_on^ORDERBYsys_id";
        assert_eq!(
            q(RecommendationSource::ComplianceManager),
            format!("correlation_idSTARTSWITHsnshare:cm:{order}")
        );
        assert_eq!(
            q(RecommendationSource::User),
            format!("correlation_idSTARTSWITHsnshare::{order}")
        );
        assert_eq!(
            q(RecommendationSource::Microsoft),
            format!("correlation_idSTARTSWITHsnshare:^correlation_idNOT LIKEsnshare:cm:^correlation_idNOT LIKEsnshare::{order}")
        );
        // An action's tickets in Compliance Manager's namespace.
        let cm = TicketFilter {
            action_id: Some("cm:a1".into()),
            ..TicketFilter::default()
        };
        assert!(ticket_query(&cm)
            .unwrap()
            .starts_with("correlation_idSTARTSWITHsnshare:cm:a1:^ORcorrelation_id=snshare:cm:a1^"));
    }

    #[test]
    fn filters_build_the_query() {
        let f = TicketFilter {
            action_id: Some("AdminMFAV2".into()),
            open_only: true,
            states: vec!["1".into(), " 2".into()],
            category: Some(Category::Identity),
            search: Some("mfa^ORactive=false".into()),
            sort: SortField::Number,
            descending: false,
            offset: 20,
            limit: 10_000,
            ..TicketFilter::default()
        };
        assert_eq!(
            ticket_query(&f).unwrap(),
            "correlation_idSTARTSWITHsnshare:AdminMFAV2:^ORcorrelation_id=snshare:AdminMFAV2^active=true^stateIN1,2^correlation_display=Microsoft Secure Score: Identity^numberLIKEmfaORactive=false^ORshort_descriptionLIKEmfaORactive=false^ORDERBYnumber^ORDERBYsys_id"
        );
        assert_eq!(ticket_list_params(&f).unwrap().limit, Some(MAX_PAGE));
        let exact = TicketFilter {
            correlation_id: Some("snshare:A:s1".into()),
            ..TicketFilter::default()
        };
        assert!(ticket_query(&exact)
            .unwrap()
            .starts_with("correlation_id=snshare:A:s1^"));
        let bad = TicketFilter {
            states: vec!["1,2".into()],
            ..TicketFilter::default()
        };
        assert!(ticket_query(&bad).is_err());
    }

    fn record(json: &str) -> Record {
        Record::new("incident", serde_json::from_str(json).unwrap())
    }

    #[test]
    fn decodes_the_display_value_all_shape() {
        let t = decode_ticket(
            TicketKind::Incident,
            &record(INCIDENT_ALL),
            &instance(),
            &[],
        )
        .unwrap();
        assert_eq!(t.sys_id, "9d385017c611228701d22104cc95c371");
        assert_eq!(t.number, "INC0010001");
        assert_eq!(t.short_description, "Require MFA");
        assert_eq!(
            (t.state.as_str(), t.state_label.as_str(), t.open),
            ("2", "In Progress", true)
        );
        assert_eq!(t.priority, Some(Priority::High));
        assert_eq!(t.assigned_to.as_deref(), Some("Beth Anglin"));
        assert_eq!(
            t.updated_on, "2030-01-10 09:00:00",
            "UTC value, not the display"
        );
        assert_eq!(t.action_id.as_deref(), Some("AdminMFAV2"));
        assert_eq!(t.link, "https://dev1.service-now.com/nav_to.do?uri=incident.do%3Fsys_id%3D9d385017c611228701d22104cc95c371");
    }

    #[test]
    fn decodes_plain_strings_and_applies_renames() {
        let plain = record(
            r#"{"sys_id":"abc","number":"CHG0030001","short_description":"x","state":"-5","priority":"4","assigned_to":"","sys_updated_on":"2030-01-01 00:00:00","correlation_id":"other"}"#,
        );
        let t = decode_ticket(TicketKind::ChangeRequest, &plain, &instance(), &[]).unwrap();
        assert_eq!(
            (t.state_label.as_str(), t.open, t.assigned_to, t.action_id),
            ("New", true, None, None)
        );
        assert_eq!(t.priority, Some(Priority::Low));
        let names = [StateName {
            kind: TicketKind::ChangeRequest,
            state: "-5".into(),
            instance_label: "New".into(),
            custom_label: Some("Draft".into()),
        }];
        assert_eq!(
            decode_ticket(TicketKind::ChangeRequest, &plain, &instance(), &names)
                .unwrap()
                .state_label,
            "Draft"
        );
        // A renamed incident state wins over the display value too.
        let names = [StateName {
            kind: TicketKind::Incident,
            state: "2".into(),
            instance_label: "In Progress".into(),
            custom_label: Some("Working".into()),
        }];
        assert_eq!(
            decode_ticket(
                TicketKind::Incident,
                &record(INCIDENT_ALL),
                &instance(),
                &names
            )
            .unwrap()
            .state_label,
            "Working"
        );
        let closed = record(r#"{"sys_id":"a","number":"INC1","state":"7"}"#);
        assert!(
            !decode_ticket(TicketKind::Incident, &closed, &instance(), &[])
                .unwrap()
                .open
        );
    }

    #[test]
    fn decode_names_the_missing_field() {
        let err = decode_ticket(
            TicketKind::Incident,
            &record(r#"{"number":"INC1"}"#),
            &instance(),
            &[],
        )
        .unwrap_err();
        assert!(
            matches!(err, ClientError::Decode { ref context, .. } if context == "incident.sys_id"),
            "{err:?}"
        );
        let err = decode_ticket(
            TicketKind::Incident,
            &record(r#"{"sys_id":"a"}"#),
            &instance(),
            &[],
        )
        .unwrap_err();
        assert!(
            matches!(err, ClientError::Decode { ref context, .. } if context == "incident.number"),
            "{err:?}"
        );
    }

    #[test]
    fn creates_a_ticket_and_reads_it_back() {
        let fake = FakeTransport::new().reply(
            201,
            &[
                ("Content-Type", "application/json"),
                (
                    "Location",
                    "https://dev1.service-now.com/api/now/table/incident/9d38",
                ),
            ],
            &format!(r#"{{"result":{INCIDENT_ALL}}}"#),
        );
        let client = Client::new(&fake, instance());
        let ticket = NewTicket::from_draft(
            &draft(TicketKind::Incident),
            "snshare:AdminMFAV2:s-1",
            0,
            &none(),
        );
        let t = block_on(client.create_ticket(&Secret::new("AT"), &ticket, &[])).unwrap();
        assert_eq!(t.number, "INC0010001");
        let req = fake.last();
        assert_eq!(req.method, Method::Post);
        assert!(req
            .url
            .starts_with("https://dev1.service-now.com/api/now/table/incident?sysparm_fields="));
        assert!(req.url.contains("sysparm_display_value=all"));
        let body: serde_json::Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["correlation_id"], "snshare:AdminMFAV2:s-1");
    }

    #[test]
    fn finds_a_share_by_correlation_id() {
        let fake = FakeTransport::new()
            .json(200, &format!(r#"{{"result":[{INCIDENT_ALL}]}}"#))
            .json(200, r#"{"result":[]}"#);
        let client = Client::new(&fake, instance());
        let found = block_on(client.find_by_correlation(
            &Secret::new("AT"),
            TicketKind::Incident,
            "snshare:AdminMFAV2:s-1",
            &[],
        ))
        .unwrap();
        assert_eq!(found.map(|t| t.number), Some("INC0010001".into()));
        let q = parse_query_string(fake.last().url.split_once('?').unwrap().1);
        assert_eq!(
            query_param(&q, "sysparm_query"),
            Some("correlation_id=snshare:AdminMFAV2:s-1^ORDERBYDESCsys_updated_on^ORDERBYsys_id")
        );
        assert_eq!(query_param(&q, "sysparm_limit"), Some("1"));
        assert_eq!(query_param(&q, "sysparm_no_count"), Some("true"));
        assert_eq!(
            block_on(client.find_by_correlation(
                &Secret::new("AT"),
                TicketKind::Incident,
                "snshare:x:y",
                &[]
            ))
            .unwrap(),
            None
        );
    }

    #[test]
    fn lists_tickets_with_total_and_seen_labels() {
        let fake = FakeTransport::new().reply(
            200,
            &[("X-Total-Count", "300")],
            &format!(r#"{{"result":[{INCIDENT_ALL},{INCIDENT_ALL}]}}"#),
        );
        let client = Client::new(&fake, instance());
        let list = block_on(client.list_tickets(
            &Secret::new("AT"),
            TicketKind::Incident,
            &TicketFilter::default(),
            &[],
        ))
        .unwrap();
        assert_eq!(list.tickets.len(), 2);
        assert_eq!(list.total, Some(300));
        assert_eq!(
            list.labels,
            vec![ChoiceLabel {
                value: "2".into(),
                label: "In Progress".into(),
                sequence: None
            }]
        );
        assert_eq!(fake.sent.borrow().len(), 1, "one request per kind");
    }

    #[test]
    fn open_tickets_of_an_action_cover_both_kinds() {
        let chg = INCIDENT_ALL
            .replace("INC0010001", "CHG0030001")
            .replace("\"value\": \"2\"}", "\"value\": \"-1\"}")
            .replace("2030-01-10 09:00:00", "2030-01-11 09:00:00");
        // STARTSWITH read as LIKE: `_` in another action's key matches any character there.
        let look_alike = INCIDENT_ALL
            .replace("INC0010001", "INC0010002")
            .replace("snshare:AdminMFAV2:s-1", "snshare:AdminMFAV2x:s-9");
        let fake = FakeTransport::new()
            .json(
                200,
                &format!(r#"{{"result":[{INCIDENT_ALL},{look_alike}]}}"#),
            )
            .json(200, &format!(r#"{{"result":[{chg}]}}"#));
        let client = Client::new(&fake, instance());
        let open =
            block_on(client.find_open_for_action(&Secret::new("AT"), "AdminMFAV2", &[])).unwrap();
        assert_eq!(
            open.iter().map(|t| t.number.as_str()).collect::<Vec<_>>(),
            ["CHG0030001", "INC0010001"]
        );
        let sent = fake.sent.borrow();
        assert!(sent[0].url.contains("/table/incident?"));
        assert!(sent[1].url.contains("/table/change_request?"));
        assert!(sent[1].url.contains("active%3Dtrue"));
    }

    #[test]
    fn open_tickets_of_many_actions_take_one_request_per_kind() {
        let other = INCIDENT_ALL
            .replace("INC0010001", "INC0010003")
            .replace("snshare:AdminMFAV2:s-1", "snshare:Other:s-2");
        let stranger = INCIDENT_ALL
            .replace("INC0010001", "INC0010004")
            .replace("snshare:AdminMFAV2:s-1", "snshare:Stranger:s-3");
        let fake = FakeTransport::new()
            .json(
                200,
                &format!(r#"{{"result":[{INCIDENT_ALL},{other},{stranger}]}}"#),
            )
            .json(200, r#"{"result":[]}"#);
        let client = Client::new(&fake, instance());
        let ids = vec!["AdminMFAV2".to_owned(), "Other".to_owned()];
        let open = block_on(client.find_open_for_actions(&Secret::new("AT"), &ids, &[])).unwrap();
        let mut numbers: Vec<_> = open.iter().map(|t| t.number.as_str()).collect();
        numbers.sort();
        assert_eq!(numbers, ["INC0010001", "INC0010003"]);
        let sent = fake.sent.borrow();
        assert_eq!(sent.len(), 2, "one request per kind for every action");
        let pairs = parse_query_string(sent[0].url.split_once('?').unwrap().1);
        let q = query_param(&pairs, "sysparm_query").unwrap();
        assert!(q.starts_with(
            "correlation_idSTARTSWITHsnshare:AdminMFAV2:^ORcorrelation_id=snshare:AdminMFAV2^ORcorrelation_idSTARTSWITHsnshare:Other:^ORcorrelation_id=snshare:Other"
        ), "{q}");
        assert!(q.contains("^active=true"), "{q}");
    }
}
