//! The task form's content and its validation.

use serde::{Deserialize, Serialize};

use super::action_status::ActionStatus;
use super::names::names;
use super::settings::RecordRef;
use super::ticket::{Category, Priority, RecommendationSource, TicketKind};

/// ServiceNow's default `short_description` length.
pub const TASK_NAME_MAX: usize = 160;

/// How far ahead a due date may be. Far enough for any real plan, and far from the end of the
/// calendar (9999-12-31, a common "no date" sentinel), where time-zone arithmetic overflows.
pub const DUE_DATE_MAX_YEARS: i32 = 10;

/// The longest description sent. ServiceNow's `description` is 4000 characters by default and
/// often raised; this bound is for the worker and its storage, which a page script could
/// otherwise fill through the form (one share, one draft, one outbox entry each).
pub const DESCRIPTION_MAX: usize = 32_000;

/// The longest "shared by" account (a UPN is at most 113 characters; e-mail addresses 254).
pub const USER_ID_MAX: usize = 256;

/// What the user is about to send: the task form's fields plus the read-only context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDraft {
    pub kind: TicketKind,
    /// ServiceNow's short description.
    pub name: String,
    pub description: String,
    pub priority: Priority,
    /// `YYYY-MM-DD`, the user's local date.
    pub due_date: String,
    /// The portal account that shares (UPN), never blank when sent.
    pub user_id: String,
    pub source: RecommendationSource,
    pub category: Option<Category>,
    /// The action's status in Secure Score, as the page showed it (absent in drafts saved
    /// before snshare read it, and when the page shows none).
    #[serde(default)]
    pub status: Option<ActionStatus>,
    /// The improvement action's id (`actionId`), absent for a card's "Create ticket".
    pub action_id: Option<String>,
    /// Link back to the action in the portal.
    pub action_url: Option<String>,
    /// The group the ticket is assigned to (the options' default, changeable per ticket).
    #[serde(default)]
    pub assignment_group: Option<RecordRef>,
    /// What Compliance Manager showed of the action (absent for Secure Score's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Boxed: most drafts are Secure Score's, and a draft travels by value in the form's state.
    pub compliance: Option<Box<ComplianceFacts>>,
}

/// What Compliance Manager shows of an improvement action (issue 20), as the page showed it (in
/// its language): each a line of the ticket's description, left out when empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ComplianceFacts {
    /// The assessment(s) the action belongs to.
    pub assessments: String,
    /// The regulation(s) or standard(s).
    pub regulations: String,
    /// The control family (the details page's controls section).
    pub control_family: String,
    /// Points achieved / possible, e.g. "0/27".
    pub points: String,
    pub implementation_status: String,
    pub test_status: String,
}

/// The longest value of a Compliance Manager fact kept (a list of many regulations included).
pub const FACT_MAX: usize = 2_000;

impl ComplianceFacts {
    /// The facts as (label, value) lines, in ticket order.
    pub fn lines(&self) -> [(&'static str, &str); 6] {
        [
            ("Assessments", &self.assessments),
            ("Regulations", &self.regulations),
            ("Control family", &self.control_family),
            ("Points", &self.points),
            ("Implementation status", &self.implementation_status),
            ("Test status", &self.test_status),
        ]
    }

    fn valid(&self) -> bool {
        self.lines()
            .iter()
            .all(|(_, v)| v.chars().count() <= FACT_MAX)
    }
}

/// Which field a validation message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftField {
    Name,
    Description,
    Priority,
    DueDate,
    UserId,
}

names!(DraftField {
    Name => "name",
    Description => "description",
    Priority => "priority",
    DueDate => "due_date",
    UserId => "user_id",
});

/// A validation failure: the field and the i18n message key saying what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: DraftField,
    pub message_key: String,
}

/// How a change request's short description reads (every change request snshare creates).
pub const CHANGE_REQUEST_TITLE: &str = "Microsoft 365 Security and Configuration Change Request";

/// `correlation_display` on every snshare record (followed by the category when known).
pub const CORRELATION_DISPLAY: &str = "Microsoft Secure Score";
/// `correlation_display` of a Compliance Manager action's record.
pub const CM_CORRELATION_DISPLAY: &str = "Microsoft Purview Compliance Manager";

/// The record's `correlation_display`: where the Secure Score category is kept by default,
/// since it is no value of any ServiceNow choice field.
pub fn correlation_display(category: Option<Category>) -> String {
    match category {
        Some(c) => format!("{CORRELATION_DISPLAY}: {}", c.label()),
        None => CORRELATION_DISPLAY.to_owned(),
    }
}

impl FieldError {
    fn new(field: DraftField, message_key: &str) -> Self {
        FieldError {
            field,
            message_key: message_key.to_owned(),
        }
    }
}

impl TaskDraft {
    /// Every problem with the draft, in form order; empty when it may be sent. `today` is the
    /// user's local date (the due date is a local date too).
    pub fn validate(&self, today: time::Date) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.push(FieldError::new(
                DraftField::Name,
                "field_error_name_required",
            ));
        } else if name.chars().count() > TASK_NAME_MAX {
            errors.push(FieldError::new(
                DraftField::Name,
                "field_error_name_too_long",
            ));
        }
        let due = self.due_date.trim();
        if due.is_empty() {
            errors.push(FieldError::new(
                DraftField::DueDate,
                "field_error_due_date_required",
            ));
        } else {
            match parse_date(due) {
                None => errors.push(FieldError::new(
                    DraftField::DueDate,
                    "field_error_due_date_invalid",
                )),
                Some(d) if d < today => errors.push(FieldError::new(
                    DraftField::DueDate,
                    "field_error_due_date_past",
                )),
                Some(d) if d > latest_due_date(today) => errors.push(FieldError::new(
                    DraftField::DueDate,
                    "field_error_due_date_too_far",
                )),
                Some(_) => {}
            }
        }
        if self.description.chars().count() > DESCRIPTION_MAX {
            errors.push(FieldError::new(
                DraftField::Description,
                "field_error_description_too_long",
            ));
        }
        if self.user_id.trim().is_empty() {
            errors.push(FieldError::new(
                DraftField::UserId,
                "field_error_user_id_required",
            ));
        } else if self.user_id.chars().count() > USER_ID_MAX
            || self.user_id.chars().any(char::is_control)
        {
            errors.push(FieldError::new(
                DraftField::UserId,
                "field_error_user_id_invalid",
            ));
        }
        // The action comes from the page, not from a field; the worker checks it again since
        // it becomes the record's correlation id and back-link.
        if self
            .action_id
            .as_deref()
            .is_some_and(|a| !super::portal_url::is_action_id(a))
            || self.action_url.as_deref().is_some_and(|u| u.len() > 2048)
            || self.compliance.as_ref().is_some_and(|c| !c.valid())
        {
            errors.push(FieldError::new(
                DraftField::Name,
                "field_error_action_invalid",
            ));
        }
        errors
    }

    /// The record's `short_description`: the task name on one line; for a change request,
    /// prefixed so it reads as a "Microsoft 365 Security and Configuration Change Request",
    /// the name shortened (with "…") to keep within 160 characters. `description` then
    /// carries the full name.
    pub fn short_description(&self) -> String {
        let name = one_line(&self.name);
        match self.kind {
            TicketKind::Incident => truncate_chars(&name, TASK_NAME_MAX),
            TicketKind::ChangeRequest => {
                let prefix = format!("{CHANGE_REQUEST_TITLE}: ");
                let room = TASK_NAME_MAX - prefix.chars().count();
                format!("{prefix}{}", truncate_chars(&name, room))
            }
        }
    }

    /// The record's `description`, plain text: what the user wrote, then a block saying where
    /// the ticket comes from. The link is rebuilt from the action id rather than taken from the
    /// page, so a ticket never carries a link the portal did not make.
    pub fn ticket_description(&self) -> String {
        let mut out = String::new();
        let body = self.description.trim();
        if !body.is_empty() {
            out.push_str(body);
            out.push_str("\n\n");
        }
        let cm = self.source == RecommendationSource::ComplianceManager;
        out.push_str(if cm {
            "-- Shared from Microsoft Purview Compliance Manager by snshare --\n"
        } else {
            "-- Shared from Microsoft Secure Score by snshare --\n"
        });
        let name = one_line(&self.name);
        if !name.is_empty() && !self.short_description().ends_with(&name) {
            out.push_str(&format!("Task name: {name}\n"));
        }
        out.push_str(&format!("Recommendation source: {}\n", self.source.label()));
        if let Some(c) = self.category {
            out.push_str(&format!("Category: {}\n", c.label()));
        }
        if let Some(s) = self.status {
            out.push_str(&format!("Action status: {}\n", s.label()));
        }
        for (label, value) in self.compliance.iter().flat_map(|c| c.lines()) {
            let value = one_line(value);
            if !value.is_empty() {
                out.push_str(&format!("{label}: {value}\n"));
            }
        }
        out.push_str(&format!("Shared by: {}\n", one_line(&self.user_id)));
        if let Some(id) = self
            .action_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            out.push_str(&format!(
                "Improvement action: {}\n",
                super::portal_url::portal_id(id)
            ));
            // The link the page made (the portal the user is on), else the commercial one.
            let link = self
                .action_url
                .as_deref()
                .filter(|u| super::portal_url::PortalPage::from_url(u).is_some())
                .map_or_else(|| super::portal_url::action_link(id), str::to_owned);
            out.push_str(&format!("Link: {link}\n"));
        }
        out.truncate(out.trim_end().len());
        out
    }

    /// The record's `correlation_display`: Compliance Manager's name for its actions, else
    /// Secure Score's with the category.
    pub fn correlation_display(&self) -> String {
        if self.source == RecommendationSource::ComplianceManager {
            CM_CORRELATION_DISPLAY.to_owned()
        } else {
            correlation_display(self.category)
        }
    }

    /// The parsed due date, when valid.
    pub fn due(&self) -> Option<time::Date> {
        parse_date(self.due_date.trim())
    }
}

/// `YYYY-MM-DD` exactly (what a date input gives), into a date.
pub fn parse_date(s: &str) -> Option<time::Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    let month = time::Month::try_from(u8::try_from(digits(5..7)?).ok()?).ok()?;
    let day = u8::try_from(digits(8..10)?).ok()?;
    time::Date::from_calendar_date(year, month, day).ok()
}

/// `YYYY-MM-DD` of a date (four-digit years only, as parse_date accepts).
pub fn format_date(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The default due date: `days` after today.
pub fn default_due_date(today: time::Date, days: u32) -> String {
    let due = today
        .checked_add(time::Duration::days(i64::from(days)))
        .unwrap_or(today);
    format_date(due)
}

/// The last due date `validate` accepts: `DUE_DATE_MAX_YEARS` after today (the 28th of
/// February when today is the 29th), the end of the calendar at most.
pub fn latest_due_date(today: time::Date) -> time::Date {
    let year = today.year().saturating_add(DUE_DATE_MAX_YEARS);
    today
        .replace_year(year)
        .or_else(|_| today.replace_day(28).and_then(|d| d.replace_year(year)))
        .unwrap_or(time::Date::MAX)
}

/// ServiceNow's `due_date` (UTC `YYYY-MM-DD HH:MM:SS`) for the end (23:59:59) of a local date,
/// given the user's offset from UTC in minutes (east positive, e.g. +120 for CEST).
/// Saturating: the last (or first) day of the calendar in a far time zone gives the calendar's
/// end rather than a panic, which would abort the worker mid-share.
pub fn due_date_value(local_date: time::Date, utc_offset_minutes: i32) -> String {
    let end_of_day = time::PrimitiveDateTime::new(local_date, time::Time::MIDNIGHT)
        .saturating_add(time::Duration::seconds(86_399))
        .saturating_sub(time::Duration::minutes(i64::from(utc_offset_minutes)));
    format!(
        "{} {:02}:{:02}:{:02}",
        format_date(end_of_day.date()),
        end_of_day.hour(),
        end_of_day.minute(),
        end_of_day.second()
    )
}

/// Drafts kept at most; saving one more evicts the least recently saved.
pub const DRAFTS_MAX: usize = 20;
/// A draft's largest stored form (JSON bytes): a full description in any script, plus fields.
pub const DRAFT_MAX_BYTES: usize = 4 * DESCRIPTION_MAX + 8 * 1024;
/// A draft not saved for this long is dropped.
pub const DRAFT_MAX_AGE_MS: u64 = 30 * 24 * 60 * 60 * 1000;

/// Which drafts exist and when each was last saved, so their number, size and age stay bounded
/// however many actions a user (or a page script driving the form) opens.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DraftIndex {
    pub saved: Vec<(String, u64)>,
}

impl DraftIndex {
    /// Records a save of `key` at `now`; returns the keys to delete: the expired ones and the
    /// least recently saved beyond `DRAFTS_MAX`.
    pub fn saved(&mut self, key: &str, now: u64) -> Vec<String> {
        self.saved.retain(|(k, _)| k != key);
        self.saved.push((key.to_owned(), now));
        let mut dropped = self.expire(now);
        self.saved.sort_by_key(|(_, at)| std::cmp::Reverse(*at));
        dropped.extend(
            self.saved
                .drain(DRAFTS_MAX.min(self.saved.len())..)
                .map(|(k, _)| k),
        );
        dropped
    }

    /// Removes and returns the drafts older than `DRAFT_MAX_AGE_MS`.
    pub fn expire(&mut self, now: u64) -> Vec<String> {
        let (old, kept) = std::mem::take(&mut self.saved)
            .into_iter()
            .partition(|(_, at)| now.saturating_sub(*at) > DRAFT_MAX_AGE_MS);
        self.saved = kept;
        old.into_iter().map(|(k, _): (String, u64)| k).collect()
    }

    pub fn removed(&mut self, key: &str) {
        self.saved.retain(|(k, _)| k != key);
    }
}

/// Collapses line breaks and runs of whitespace: a short description is one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn field_names_match_serde() {
        crate::domain::names::check_table(&DraftField::ALL, DraftField::as_str);
    }

    fn draft() -> TaskDraft {
        TaskDraft {
            kind: TicketKind::Incident,
            name: "Require MFA for administrative roles".into(),
            description: "Requiring MFA for admins reduces account compromise.".into(),
            priority: Priority::High,
            due_date: "2030-01-15".into(),
            user_id: "admin@contoso.onmicrosoft.com".into(),
            source: RecommendationSource::Microsoft,
            category: Some(Category::Identity),
            status: Some(ActionStatus::Planned),
            action_id: Some("AdminMFAV2".into()),
            action_url: Some("https://evil.example/".into()),
            assignment_group: None,
            compliance: None,
        }
    }

    #[test]
    fn a_compliance_manager_ticket_says_where_it_comes_from() {
        let mut d = draft();
        d.source = RecommendationSource::ComplianceManager;
        d.category = None;
        d.status = None;
        d.action_id = Some("cm:a1b2".into());
        d.action_url = Some(
            "https://compliance.microsoft.com/compliancemanager?viewid=ImprovementActions&actionId=a1b2"
                .into(),
        );
        d.compliance = Some(Box::new(ComplianceFacts {
            assessments: "Data Protection Baseline, ISO 27001".into(),
            regulations: "ISO/IEC 27001:2013\nNIST 800-53".into(),
            control_family: "Access control".into(),
            points: "0/27".into(),
            implementation_status: "Not implemented".into(),
            test_status: "None".into(),
        }));
        assert!(d.validate(TODAY).is_empty());
        let text = d.ticket_description();
        for line in [
            "-- Shared from Microsoft Purview Compliance Manager by snshare --",
            "Recommendation source: Compliance Manager",
            "Assessments: Data Protection Baseline, ISO 27001",
            "Regulations: ISO/IEC 27001:2013 NIST 800-53",
            "Control family: Access control",
            "Points: 0/27",
            "Implementation status: Not implemented",
            "Test status: None",
            "Improvement action: a1b2",
            "Link: https://compliance.microsoft.com/compliancemanager?viewid=ImprovementActions&actionId=a1b2",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} in {text}");
        }
        assert!(!text.contains("Secure Score"), "{text}");
        assert_eq!(d.correlation_display(), CM_CORRELATION_DISPLAY);
        // A link that is no portal page's is rebuilt from the id, on Compliance Manager.
        d.action_url = Some("https://evil.example/".into());
        assert!(d.ticket_description().contains(
            "Link: https://purview.microsoft.com/compliancemanager?viewid=ImprovementActions&actionId=a1b2"
        ));
        // Empty facts are left out; oversized ones refused.
        d.compliance = Some(Box::new(ComplianceFacts {
            points: "5/5".into(),
            ..ComplianceFacts::default()
        }));
        let text = d.ticket_description();
        assert!(
            text.contains("Points: 5/5") && !text.contains("Assessments:"),
            "{text}"
        );
        d.compliance = Some(Box::new(ComplianceFacts {
            regulations: "x".repeat(FACT_MAX + 1),
            ..ComplianceFacts::default()
        }));
        assert_eq!(
            keys(&d),
            vec![(DraftField::Name, "field_error_action_invalid".into())]
        );
        // Secure Score's stay as they were.
        let ss = draft();
        assert!(ss
            .ticket_description()
            .contains("-- Shared from Microsoft Secure Score by snshare --"));
        assert_eq!(ss.correlation_display(), "Microsoft Secure Score: Identity");
        // Drafts saved before the facts existed read back without them.
        let mut json = serde_json::to_value(draft()).unwrap();
        assert!(json.get("compliance").is_none());
        json.as_object_mut().unwrap().remove("compliance");
        assert_eq!(serde_json::from_value::<TaskDraft>(json).unwrap(), draft());
    }

    const TODAY: time::Date = date!(2030 - 01 - 10);

    fn keys(d: &TaskDraft) -> Vec<(DraftField, String)> {
        d.validate(TODAY)
            .into_iter()
            .map(|e| (e.field, e.message_key))
            .collect()
    }

    #[test]
    fn a_complete_draft_is_valid() {
        assert!(draft().validate(TODAY).is_empty());
        let mut d = draft();
        d.due_date = "2030-01-10".into(); // today is fine
        assert!(d.validate(TODAY).is_empty());
    }

    #[test]
    fn name_is_required_and_limited_in_characters() {
        let mut d = draft();
        d.name = "   ".into();
        assert_eq!(
            keys(&d),
            [(DraftField::Name, "field_error_name_required".to_owned())]
        );
        d.name = "é".repeat(160); // 320 bytes, 160 characters
        assert!(d.validate(TODAY).is_empty());
        d.name = "x".repeat(161);
        assert_eq!(
            keys(&d),
            [(DraftField::Name, "field_error_name_too_long".to_owned())]
        );
    }

    #[test]
    fn due_date_is_required_valid_and_not_past() {
        let mut d = draft();
        for (value, key) in [
            ("", "field_error_due_date_required"),
            ("2030-1-15", "field_error_due_date_invalid"),
            ("15/01/2030", "field_error_due_date_invalid"),
            ("2030-02-30", "field_error_due_date_invalid"),
            ("2030-13-01", "field_error_due_date_invalid"),
            ("+030-01-15", "field_error_due_date_invalid"),
            ("2030-01-09", "field_error_due_date_past"),
            ("2040-01-11", "field_error_due_date_too_far"),
            ("9999-12-31", "field_error_due_date_too_far"),
        ] {
            d.due_date = value.into();
            assert_eq!(
                keys(&d),
                [(DraftField::DueDate, key.to_owned())],
                "{value:?}"
            );
        }
    }

    #[test]
    fn user_id_is_never_blank_and_errors_accumulate() {
        let mut d = draft();
        d.user_id = " ".into();
        d.name = String::new();
        d.due_date = String::new();
        assert_eq!(
            keys(&d),
            [
                (DraftField::Name, "field_error_name_required".to_owned()),
                (
                    DraftField::DueDate,
                    "field_error_due_date_required".to_owned()
                ),
                (
                    DraftField::UserId,
                    "field_error_user_id_required".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn description_carries_the_context_block() {
        let text = draft().ticket_description();
        assert_eq!(
            text,
            "Requiring MFA for admins reduces account compromise.\n\n\
             -- Shared from Microsoft Secure Score by snshare --\n\
             Recommendation source: Microsoft recommendation\n\
             Category: Identity\n\
             Action status: Planned\n\
             Shared by: admin@contoso.onmicrosoft.com\n\
             Improvement action: AdminMFAV2\n\
             Link: https://security.microsoft.com/securescore?viewid=actions&actionId=AdminMFAV2"
        );
        assert!(!text.contains("evil.example"));
    }

    #[test]
    fn description_without_action_or_body() {
        let mut d = draft();
        d.description = " ".into();
        d.action_id = None;
        d.category = None;
        d.status = None;
        d.source = RecommendationSource::User;
        assert_eq!(
            d.ticket_description(),
            "-- Shared from Microsoft Secure Score by snshare --\n\
             Recommendation source: User recommendation\n\
             Shared by: admin@contoso.onmicrosoft.com"
        );
    }

    #[test]
    fn page_text_stays_text() {
        let mut d = draft();
        d.name = "<img src=x onerror=alert(1)>\nsecond line".into();
        assert_eq!(
            d.short_description(),
            "<img src=x onerror=alert(1)> second line"
        );
    }

    #[test]
    fn change_requests_read_as_m365_change_requests_within_160() {
        let mut d = draft();
        d.kind = TicketKind::ChangeRequest;
        assert_eq!(
            d.short_description(),
            "Microsoft 365 Security and Configuration Change Request: Require MFA for administrative roles"
        );
        assert!(!d.ticket_description().contains("Task name:"));
        d.name = "n".repeat(160);
        let s = d.short_description();
        assert_eq!(s.chars().count(), TASK_NAME_MAX);
        assert!(s.starts_with(CHANGE_REQUEST_TITLE));
        assert!(s.ends_with('…'));
        // The full name is kept in the description.
        assert!(d
            .ticket_description()
            .contains(&format!("Task name: {}", "n".repeat(160))));
        // Incidents keep the name as is.
        d.kind = TicketKind::Incident;
        assert_eq!(d.short_description(), "n".repeat(160));
    }

    #[test]
    fn every_field_error_key_has_english_text() {
        // Compiled in: a moved catalogue fails the build rather than skipping the check.
        let messages: serde_json::Value =
            serde_json::from_str(include_str!("../../../extension/_locales/en/messages.json"))
                .unwrap();
        let mut d = draft();
        let mut seen = Vec::new();
        for (name, due, user) in [
            ("", "", ""),
            (&*"x".repeat(161), "x", "u"),
            ("n", "2000-01-01", "u"),
        ] {
            d.name = name.into();
            d.due_date = due.into();
            d.user_id = user.into();
            seen.extend(d.validate(TODAY).into_iter().map(|e| e.message_key));
        }
        assert_eq!(seen.len(), 6);
        for k in seen {
            assert!(k.starts_with("field_error_"));
            assert!(messages[&k]["message"].is_string(), "missing {k}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2030-01-15"), Some(date!(2030 - 01 - 15)));
        assert_eq!(parse_date("2028-02-29"), Some(date!(2028 - 02 - 29)));
        assert_eq!(parse_date("2029-02-29"), None);
        assert_eq!(parse_date("2030-01-15 "), None);
        assert_eq!(format_date(date!(2030 - 01 - 05)), "2030-01-05");
        assert_eq!(default_due_date(date!(2030 - 12 - 25), 14), "2031-01-08");
        assert_eq!(draft().due(), Some(date!(2030 - 01 - 15)));
    }

    #[test]
    fn due_date_is_the_end_of_the_local_day_in_utc() {
        let d = date!(2030 - 01 - 15);
        assert_eq!(due_date_value(d, 0), "2030-01-15 23:59:59");
        assert_eq!(due_date_value(d, 120), "2030-01-15 21:59:59");
        assert_eq!(due_date_value(d, -300), "2030-01-16 04:59:59");
        assert_eq!(due_date_value(d, 14 * 60), "2030-01-15 09:59:59");
    }

    #[test]
    fn the_worker_bounds_what_a_page_could_send() {
        let mut d = draft();
        d.description = "x".repeat(DESCRIPTION_MAX);
        assert!(keys(&d).is_empty());
        d.description.push('x');
        assert_eq!(
            keys(&d),
            [(
                DraftField::Description,
                "field_error_description_too_long".into()
            )]
        );
        let mut d = draft();
        for bad in ["a".repeat(USER_ID_MAX + 1), "admin@contoso.com\n".into()] {
            d.user_id = bad;
            assert_eq!(
                keys(&d),
                [(DraftField::UserId, "field_error_user_id_invalid".into())]
            );
        }
        let mut d = draft();
        for bad in ["x".repeat(201), "Admin\u{1}MFA".into(), String::new()] {
            d.action_id = Some(bad);
            assert_eq!(
                keys(&d),
                [(DraftField::Name, "field_error_action_invalid".into())]
            );
        }
        let mut d = draft();
        d.action_url = Some(format!(
            "https://security.microsoft.com/{}",
            "a".repeat(4096)
        ));
        assert_eq!(
            keys(&d),
            [(DraftField::Name, "field_error_action_invalid".into())]
        );
    }

    #[test]
    fn drafts_are_bounded_in_number_and_age() {
        let mut index = DraftIndex::default();
        let mut dropped = Vec::new();
        for i in 0..DRAFTS_MAX + 5 {
            dropped.extend(index.saved(&format!("draft:a{i}"), 1_000 + i as u64));
        }
        assert_eq!(index.saved.len(), DRAFTS_MAX);
        assert_eq!(
            dropped,
            (0..5).map(|i| format!("draft:a{i}")).collect::<Vec<_>>()
        );
        // Saving an old draft again makes it the newest, not a second entry.
        assert!(index.saved("draft:a5", 5_000).is_empty());
        assert_eq!(index.saved.len(), DRAFTS_MAX);
        assert_eq!(index.saved[0], ("draft:a5".to_owned(), 5_000));
        // So the next new draft evicts a6, not a5.
        assert_eq!(index.saved("draft:c", 5_001), vec!["draft:a6".to_owned()]);
        let later = 5_001 + DRAFT_MAX_AGE_MS + 1;
        let expired = index.saved("draft:b", later);
        assert_eq!(expired.len(), DRAFTS_MAX);
        assert!(!expired.contains(&"draft:b".to_owned()));
        assert_eq!(index.saved, vec![("draft:b".to_owned(), later)]);
        index.removed("draft:b");
        assert!(index.saved.is_empty());
    }

    #[test]
    fn the_ends_of_the_calendar_never_overflow() {
        // West of UTC the end of 9999-12-31 is past the last representable instant.
        assert_eq!(
            due_date_value(date!(9999 - 12 - 31), -300),
            "9999-12-31 23:59:59"
        );
        assert_eq!(
            due_date_value(date!(9999 - 12 - 31), -12 * 60),
            "9999-12-31 23:59:59"
        );
        assert_eq!(
            due_date_value(date!(0000 - 01 - 01), 14 * 60),
            "0000-01-01 09:59:59"
        );
        assert_eq!(
            latest_due_date(date!(2028 - 02 - 29)),
            date!(2038 - 02 - 28)
        );
        assert_eq!(latest_due_date(date!(9995 - 06 - 01)), time::Date::MAX);
        let mut d = draft();
        d.due_date = "2040-01-10".into();
        assert!(d.validate(date!(2030 - 01 - 10)).is_empty());
    }
}
