//! The task form's state and rules, free of the page: what each event does to the form, what
//! its fields say is wrong (one message per field), what Send does in each phase and why it
//! cannot send, and where focus goes after each step. The view (`portal::task_form`) only binds
//! controls, forwards events here and renders what this says.

use super::draft::{default_due_date, DraftField, FieldError, TaskDraft};
use super::settings::{RecordRef, TicketDefaults};
use super::ticket::{Priority, TicketKind, TicketSummary};

/// The form's fields, in the order they are shown (the first error is the first in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    Kind,
    Priority,
    Name,
    Description,
    DueDate,
    Group,
    UserId,
}

impl FormField {
    /// Form order.
    pub const ALL: [FormField; 7] = [
        FormField::Kind,
        FormField::Priority,
        FormField::Name,
        FormField::Description,
        FormField::DueDate,
        FormField::Group,
        FormField::UserId,
    ];

    fn of(field: DraftField) -> FormField {
        match field {
            DraftField::Name => FormField::Name,
            DraftField::Description => FormField::Description,
            DraftField::Priority => FormField::Priority,
            DraftField::DueDate => FormField::DueDate,
            DraftField::UserId => FormField::UserId,
        }
    }
}

/// The message key of a typed group name that is none of the instance's groups.
pub const GROUP_UNKNOWN_KEY: &str = "form_error_group_unknown";

/// One thing the user did to a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Kind(TicketKind),
    Priority(Priority),
    Name(String),
    Description(String),
    DueDate(String),
    UserId(String),
    /// The typed assignment group name (a group of the instance only once one matches).
    Group(String),
}

/// Where the form is, as the user sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Asking the worker whether the connection exists and whether the action has open tickets.
    Checking,
    Editing,
    Sending,
    /// A ticket was created or queued: only the result and Close remain.
    Sent,
    /// The last share failed: the result says why, with Retry (the same share).
    Failed,
    /// Open tickets exist for the action: Send waits for "Create another ticket".
    Duplicate,
    /// No connection: the Connect step replaces Send.
    NotConnected,
}

/// Why Send does not send now: the UI says it instead of silently disabling Send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// A field is wrong: its message, and where focus goes.
    Invalid(FormField, String),
    Checking,
    Sending,
    Sent,
    Duplicate,
    NotConnected,
}

impl Blocker {
    /// The message key the UI announces.
    pub fn message_key(&self) -> &str {
        match self {
            Blocker::Invalid(_, key) => key,
            Blocker::Checking => "form_checking",
            Blocker::Sending => "form_sending",
            Blocker::Sent => "form_created",
            Blocker::Duplicate => "form_duplicate_notice",
            Blocker::NotConnected => "form_not_connected",
        }
    }
}

/// Where focus goes after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Field(FormField),
    /// Send itself (it stays focusable while sending, so focus never leaves the dialog).
    Send,
    /// The created ticket's link.
    TicketLink,
    /// The result message (a queued share).
    Result,
    Retry,
    /// The open tickets notice.
    Duplicates,
    Connect,
}

/// What the UI does after a step: focus and what to announce.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Step {
    pub focus: Option<Focus>,
    /// A message key for the live region; `urgent` ones interrupt (assertive).
    pub announce: Option<(String, bool)>,
}

/// What Send led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Press {
    /// Send this draft now (the phase is `Sending`).
    Send(Box<TaskDraft>),
    /// Nothing is sent; the step says why and where focus goes.
    Refused(Step),
}

/// How a share ended, as the form needs it (the view maps the worker's answer to this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Queued,
    Failed,
    Invalid(Vec<FieldError>),
    Duplicate(Vec<TicketSummary>),
    NotConnected,
}

/// The form: its fields' values and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskForm {
    draft: TaskDraft,
    group_text: String,
    groups_found: Vec<RecordRef>,
    /// Checks (connection, open tickets) still running.
    checks: u8,
    connected: Option<bool>,
    duplicates: Vec<TicketSummary>,
    allow_duplicate: bool,
    sending: bool,
    sent: bool,
    failed: bool,
    /// The user typed something: late prefill (options, saved draft) no longer applies.
    edited: bool,
    kind_fixed: bool,
    user_id_known: bool,
    touched_name: bool,
    /// Send was pressed: every error shows, an untouched empty name included.
    attempted: bool,
    /// Errors the worker reported, shown until the next edit.
    server_errors: Vec<FieldError>,
}

impl TaskForm {
    /// A form for `draft` as prefilled from the page; `kind_fixed` when its opener chose the
    /// ticket type (a card). Two checks run until [`TaskForm::connection_checked`] and
    /// [`TaskForm::duplicates_checked`].
    pub fn new(mut draft: TaskDraft, kind_fixed: bool) -> Self {
        draft.priority = draft.priority.fit(draft.kind);
        let user_id_known = !draft.user_id.trim().is_empty();
        let group_text = draft
            .assignment_group
            .as_ref()
            .map(|g| g.name.clone())
            .unwrap_or_default();
        TaskForm {
            groups_found: draft.assignment_group.iter().cloned().collect(),
            draft,
            group_text,
            checks: 2,
            connected: None,
            duplicates: Vec::new(),
            allow_duplicate: false,
            sending: false,
            sent: false,
            failed: false,
            edited: false,
            kind_fixed,
            user_id_known,
            touched_name: false,
            attempted: false,
            server_errors: Vec::new(),
        }
    }

    pub fn draft(&self) -> &TaskDraft {
        &self.draft
    }

    pub fn group_text(&self) -> &str {
        &self.group_text
    }

    /// The groups the last search found (the list the group field suggests).
    pub fn groups_found(&self) -> &[RecordRef] {
        &self.groups_found
    }

    pub fn duplicates(&self) -> &[TicketSummary] {
        &self.duplicates
    }

    /// The user chose "Create another ticket": the worker does not stop the share at an open
    /// ticket it finds.
    pub fn duplicate_allowed(&self) -> bool {
        self.allow_duplicate
    }

    /// The user ID came from the page or the options: it is shown read-only.
    pub fn user_id_known(&self) -> bool {
        self.user_id_known
    }

    /// The user typed: a pending draft is worth saving, and late prefill no longer applies.
    pub fn edited(&self) -> bool {
        self.edited
    }

    /// The priorities a ticket of the chosen type offers.
    pub fn priority_choices(&self) -> &'static [Priority] {
        Priority::choices(self.draft.kind)
    }

    pub fn phase(&self) -> Phase {
        if self.sent {
            Phase::Sent
        } else if self.sending {
            Phase::Sending
        } else if self.connected == Some(false) {
            Phase::NotConnected
        } else if self.checks > 0 {
            Phase::Checking
        } else if !self.duplicates.is_empty() && !self.allow_duplicate {
            Phase::Duplicate
        } else if self.failed {
            Phase::Failed
        } else {
            Phase::Editing
        }
    }

    /// What one edit does: a type change refits the priority, a group name is a group only
    /// once it matches one found; the worker's errors are dropped. Returns whether the typed
    /// group name needs a search on the instance.
    pub fn edit(&mut self, edit: Edit) -> bool {
        if self.sent {
            return false;
        }
        self.edited = true;
        self.server_errors.clear();
        let mut search = false;
        match edit {
            Edit::Kind(kind) => {
                self.draft.kind = kind;
                self.draft.priority = self.draft.priority.fit(kind);
            }
            Edit::Priority(p) => self.draft.priority = p.fit(self.draft.kind),
            Edit::Name(name) => {
                self.draft.name = name;
                self.touched_name = true;
            }
            Edit::Description(d) => self.draft.description = d,
            Edit::DueDate(d) => self.draft.due_date = d,
            Edit::UserId(u) => {
                if !self.user_id_known {
                    self.draft.user_id = u.trim().to_owned();
                }
            }
            Edit::Group(text) => {
                let found = self.find_group(&text);
                search = found.is_none() && !text.trim().is_empty();
                self.draft.assignment_group = found;
                self.group_text = text;
            }
        }
        search
    }

    fn find_group(&self, text: &str) -> Option<RecordRef> {
        let text = text.trim();
        self.groups_found
            .iter()
            .find(|g| g.name.eq_ignore_ascii_case(text))
            .cloned()
    }

    /// The instance's groups matching `searched`; only the latest typed text picks one.
    pub fn groups_answered(&mut self, searched: &str, found: Vec<RecordRef>) {
        self.groups_found = found;
        if self.group_text.trim() == searched.trim() {
            self.draft.assignment_group = self.find_group(searched);
        }
    }

    /// The options' defaults, applied while the user has not typed. `fallback_user_id` fills a
    /// user ID the page did not give.
    pub fn defaults_answered(
        &mut self,
        defaults: &TicketDefaults,
        group: Option<RecordRef>,
        fallback_user_id: Option<&str>,
        today: time::Date,
    ) {
        if !self.edited && !self.sent {
            self.set_group(group);
            if !self.kind_fixed {
                self.draft.kind = defaults.kind;
            }
            self.draft.priority = defaults.priority.fit(self.draft.kind);
            self.draft.due_date = default_due_date(today, defaults.due_in_days);
        }
        if let Some(user) = fallback_user_id.map(str::trim).filter(|u| !u.is_empty()) {
            if !self.user_id_known {
                self.draft.user_id = user.to_owned();
                self.user_id_known = true;
            }
        }
    }

    /// A draft saved earlier, applied while the user has not typed; it then counts as edited
    /// (kept until a ticket exists). The page's user ID wins over the saved one.
    pub fn saved_draft_answered(&mut self, saved: TaskDraft) {
        if self.edited || self.sent {
            return;
        }
        self.draft.kind = saved.kind;
        self.draft.name = saved.name;
        self.draft.description = saved.description;
        self.draft.priority = saved.priority.fit(saved.kind);
        self.draft.due_date = saved.due_date;
        self.set_group(saved.assignment_group);
        if !self.user_id_known && !saved.user_id.trim().is_empty() {
            self.draft.user_id = saved.user_id.trim().to_owned();
        }
        self.edited = true;
    }

    fn set_group(&mut self, group: Option<RecordRef>) {
        self.group_text = group.as_ref().map(|g| g.name.clone()).unwrap_or_default();
        if let Some(g) = &group {
            if !self.groups_found.iter().any(|f| f.sys_id == g.sys_id) {
                self.groups_found.push(g.clone());
            }
        }
        self.draft.assignment_group = group;
    }

    /// The connection check answered (`None`: the worker could not say, which is no reason to
    /// hide Send: the share's own answer will tell). `initial` for the check made on opening.
    pub fn connection_checked(&mut self, connected: Option<bool>, initial: bool) -> Step {
        let was = self.phase();
        if connected.is_some() {
            self.connected = connected;
        }
        if initial {
            self.checks = self.checks.saturating_sub(1);
        }
        self.announce_notice(was)
    }

    /// The open tickets of the action (closed ones are no reason to wait).
    pub fn duplicates_checked(&mut self, found: Vec<TicketSummary>) -> Step {
        let was = self.phase();
        self.duplicates = found.into_iter().filter(|t| t.open).collect();
        self.checks = self.checks.saturating_sub(1);
        self.announce_notice(was)
    }

    /// A notice that appears on its own (not after Send) is announced politely, focus stays.
    fn announce_notice(&self, was: Phase) -> Step {
        let now = self.phase();
        let key = match now {
            _ if now == was => None,
            Phase::NotConnected => Some(Blocker::NotConnected),
            Phase::Duplicate => Some(Blocker::Duplicate),
            _ => None,
        };
        Step {
            focus: None,
            announce: key.map(|b| (b.message_key().to_owned(), false)),
        }
    }

    /// "Create another ticket": Send is offered despite the open tickets.
    pub fn allow_duplicate(&mut self) -> Step {
        self.allow_duplicate = true;
        Step {
            focus: Some(Focus::Send),
            announce: None,
        }
    }

    /// Every error, one per field, in form order: the draft's rules, the worker's, and a typed
    /// group name that is none of the instance's groups.
    pub fn errors(&self, today: time::Date) -> Vec<(FormField, String)> {
        let mut all: Vec<(FormField, String)> = self
            .draft
            .validate(today)
            .into_iter()
            .chain(self.server_errors.iter().cloned())
            .map(|e| (FormField::of(e.field), e.message_key))
            .collect();
        if !self.group_text.trim().is_empty() && self.draft.assignment_group.is_none() {
            all.push((FormField::Group, GROUP_UNKNOWN_KEY.to_owned()));
        }
        FormField::ALL
            .into_iter()
            .filter_map(|f| all.iter().find(|(g, _)| *g == f).cloned())
            .collect()
    }

    /// The error shown next to `field`: an untouched name the user has not written yet says
    /// nothing until Send is pressed (a prefilled one, too long, says it at once).
    pub fn shown_error(&self, field: FormField, today: time::Date) -> Option<String> {
        if field == FormField::Name
            && !(self.touched_name || self.attempted || !self.draft.name.trim().is_empty())
            && !self
                .server_errors
                .iter()
                .any(|e| e.field == DraftField::Name)
        {
            return None;
        }
        self.errors(today)
            .into_iter()
            .find(|(f, _)| *f == field)
            .map(|(_, key)| key)
    }

    /// Why Send would not send now; `None` when it would.
    pub fn blocker(&self, today: time::Date) -> Option<Blocker> {
        match self.phase() {
            Phase::Sent => return Some(Blocker::Sent),
            Phase::Sending => return Some(Blocker::Sending),
            Phase::NotConnected => return Some(Blocker::NotConnected),
            Phase::Checking => return Some(Blocker::Checking),
            Phase::Duplicate => return Some(Blocker::Duplicate),
            Phase::Editing | Phase::Failed => {}
        }
        self.errors(today)
            .into_iter()
            .next()
            .map(|(field, key)| Blocker::Invalid(field, key))
    }

    /// Send (or Retry) pressed by the user.
    pub fn press_send(&mut self, today: time::Date) -> Press {
        self.attempted = true;
        match self.blocker(today) {
            None => {
                self.sending = true;
                self.failed = false;
                Press::Send(Box::new(self.draft.clone()))
            }
            Some(blocker) => {
                let focus = match &blocker {
                    Blocker::Invalid(field, _) => Some(Focus::Field(*field)),
                    Blocker::Duplicate => Some(Focus::Duplicates),
                    Blocker::NotConnected => Some(Focus::Connect),
                    Blocker::Checking | Blocker::Sending | Blocker::Sent => None,
                };
                Press::Refused(Step {
                    focus,
                    announce: Some((blocker.message_key().to_owned(), true)),
                })
            }
        }
    }

    /// The share's answer. The result region announces itself (status or alert); the step
    /// says where focus lands so it is never left on a control that went away.
    pub fn share_answered(&mut self, outcome: Outcome) -> Step {
        self.sending = false;
        let focus = match outcome {
            Outcome::Created => {
                self.sent = true;
                self.edited = false;
                Focus::TicketLink
            }
            Outcome::Queued => {
                self.sent = true;
                self.edited = false;
                Focus::Result
            }
            Outcome::Failed => {
                self.failed = true;
                self.edited = true;
                Focus::Retry
            }
            Outcome::Invalid(errors) => {
                self.server_errors = errors;
                self.edited = true;
                let first = self.errors(time::Date::MIN).into_iter().find(|(f, _)| {
                    self.server_errors
                        .iter()
                        .any(|e| FormField::of(e.field) == *f)
                });
                first.map_or(Focus::Send, |(f, _)| Focus::Field(f))
            }
            Outcome::Duplicate(existing) => {
                self.duplicates = existing;
                self.allow_duplicate = false;
                self.edited = true;
                Focus::Duplicates
            }
            Outcome::NotConnected => {
                self.connected = Some(false);
                self.edited = true;
                Focus::Connect
            }
        };
        Step {
            focus: Some(focus),
            announce: None,
        }
    }
}

/// The keys open tickets of an action are looked up under: its id, and its title key (shares
/// made while only the title was known), each once; none without an action.
pub fn duplicate_keys(action_key: Option<String>, title_key: Option<String>) -> Vec<String> {
    let mut keys: Vec<String> = action_key.into_iter().collect();
    if let Some(k) = title_key.filter(|k| !keys.contains(k)) {
        if !keys.is_empty() {
            keys.push(k);
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ticket::RecommendationSource;
    use time::macros::date;

    const TODAY: time::Date = date!(2026 - 03 - 02);

    fn draft(name: &str) -> TaskDraft {
        TaskDraft {
            kind: TicketKind::Incident,
            name: name.to_owned(),
            description: String::new(),
            priority: Priority::Moderate,
            due_date: "2026-03-16".into(),
            user_id: "megan@contoso.example".into(),
            source: RecommendationSource::Microsoft,
            category: None,
            status: None,
            action_id: Some("AdminMFAV2".into()),
            action_url: None,
            assignment_group: None,
            compliance: None,
        }
    }

    fn ready(name: &str) -> TaskForm {
        let mut f = TaskForm::new(draft(name), false);
        f.connection_checked(Some(true), true);
        f.duplicates_checked(Vec::new());
        f
    }

    fn ticket(open: bool) -> TicketSummary {
        TicketSummary {
            kind: TicketKind::Incident,
            sys_id: "a1".into(),
            number: "INC0010001".into(),
            short_description: "Require MFA".into(),
            state: "1".into(),
            state_label: "New".into(),
            open,
            priority: None,
            assigned_to: None,
            updated_on: "2026-03-01 10:00:00".into(),
            correlation_id: "snshare:AdminMFAV2:1".into(),
            action_id: Some("AdminMFAV2".into()),
            link: String::new(),
        }
    }

    fn group(name: &str) -> RecordRef {
        RecordRef {
            sys_id: format!("id-{name}"),
            name: name.into(),
        }
    }

    #[test]
    fn the_form_checks_before_it_offers_send() {
        let mut f = TaskForm::new(draft("Require MFA"), false);
        assert_eq!(f.phase(), Phase::Checking);
        assert_eq!(f.blocker(TODAY), Some(Blocker::Checking));
        assert_eq!(f.connection_checked(None, true), Step::default());
        assert_eq!(f.phase(), Phase::Checking);
        f.duplicates_checked(vec![ticket(false)]);
        // A worker that cannot say, and only closed tickets: Send is offered.
        assert_eq!(f.phase(), Phase::Editing);
        assert_eq!(f.blocker(TODAY), None);
    }

    #[test]
    fn a_kind_change_refits_the_priority() {
        let mut f = ready("x");
        f.edit(Edit::Priority(Priority::Planning));
        assert_eq!(f.draft().priority, Priority::Planning);
        f.edit(Edit::Kind(TicketKind::ChangeRequest));
        assert_eq!(f.draft().priority, Priority::Low);
        assert!(!f.priority_choices().contains(&Priority::Planning));
        // A priority the type lacks is never chosen.
        f.edit(Edit::Priority(Priority::Planning));
        assert_eq!(f.draft().priority, Priority::Low);
        f.edit(Edit::Kind(TicketKind::Incident));
        assert_eq!(f.priority_choices().len(), 5);
        assert!(f.edited());
    }

    #[test]
    fn one_error_per_field_in_form_order() {
        let mut f = ready("");
        f.edit(Edit::DueDate("2000-01-01".into()));
        f.edit(Edit::Group("Nobody".into()));
        let errors = f.errors(TODAY);
        assert_eq!(
            errors,
            vec![
                (FormField::Name, "field_error_name_required".into()),
                (FormField::DueDate, "field_error_due_date_past".into()),
                (FormField::Group, GROUP_UNKNOWN_KEY.into()),
            ]
        );
        // A bad action id is the name's error too, but the field still says one thing.
        let mut d = draft("");
        d.action_id = Some("bad id <".into());
        let f = TaskForm::new(d, false);
        let names: Vec<_> = f
            .errors(TODAY)
            .into_iter()
            .filter(|(f, _)| *f == FormField::Name)
            .collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn an_untouched_empty_name_is_quiet_until_send_but_a_prefilled_long_one_speaks_at_once() {
        let mut f = ready("");
        assert_eq!(f.shown_error(FormField::Name, TODAY), None);
        let Press::Refused(step) = f.press_send(TODAY) else {
            panic!("an empty name is not sent")
        };
        assert_eq!(step.focus, Some(Focus::Field(FormField::Name)));
        assert_eq!(
            step.announce,
            Some(("field_error_name_required".into(), true))
        );
        assert_eq!(
            f.shown_error(FormField::Name, TODAY).as_deref(),
            Some("field_error_name_required")
        );
        let long = ready(&"x".repeat(232));
        assert_eq!(
            long.shown_error(FormField::Name, TODAY).as_deref(),
            Some("field_error_name_too_long")
        );
    }

    #[test]
    fn send_says_why_it_cannot_send_in_each_phase() {
        let mut f = TaskForm::new(draft("Require MFA"), false);
        let Press::Refused(step) = f.press_send(TODAY) else {
            panic!("not while checking")
        };
        assert_eq!(step.focus, None);
        assert_eq!(step.announce, Some(("form_checking".into(), true)));

        f.connection_checked(Some(true), true);
        let step = f.duplicates_checked(vec![ticket(true)]);
        assert_eq!(f.phase(), Phase::Duplicate);
        assert_eq!(step.announce, Some(("form_duplicate_notice".into(), false)));
        assert_eq!(step.focus, None, "a notice never takes focus on its own");
        let Press::Refused(step) = f.press_send(TODAY) else {
            panic!("not with open tickets")
        };
        assert_eq!(step.focus, Some(Focus::Duplicates));
        assert!(!f.duplicate_allowed());
        assert_eq!(f.allow_duplicate().focus, Some(Focus::Send));
        assert!(f.duplicate_allowed());

        let Press::Send(sent) = f.press_send(TODAY) else {
            panic!("sent")
        };
        assert_eq!(sent.name, "Require MFA");
        assert_eq!(f.phase(), Phase::Sending);
        let Press::Refused(step) = f.press_send(TODAY) else {
            panic!("never twice")
        };
        assert_eq!(step.announce, Some(("form_sending".into(), true)));
        assert_eq!(step.focus, None, "focus stays on Send while sending");
    }

    #[test]
    fn not_connected_is_announced_and_send_leads_to_connect() {
        let mut f = TaskForm::new(draft("x"), false);
        let step = f.connection_checked(Some(false), true);
        assert_eq!(f.phase(), Phase::NotConnected);
        assert_eq!(step.announce, Some(("form_not_connected".into(), false)));
        let Press::Refused(step) = f.press_send(TODAY) else {
            panic!("not connected")
        };
        assert_eq!(step.focus, Some(Focus::Connect));
        // Back from the options page, connected now.
        f.connection_checked(Some(true), false);
        f.duplicates_checked(Vec::new());
        assert_eq!(f.phase(), Phase::Editing);
    }

    #[test]
    fn every_answer_puts_focus_somewhere_in_the_dialog() {
        let sent = |outcome| {
            let mut f = ready("Require MFA");
            assert!(matches!(f.press_send(TODAY), Press::Send(_)));
            let step = f.share_answered(outcome);
            (f, step.focus)
        };
        let (f, focus) = sent(Outcome::Created);
        assert_eq!((f.phase(), focus), (Phase::Sent, Some(Focus::TicketLink)));
        assert!(!f.edited(), "nothing left to save");
        let (f, focus) = sent(Outcome::Queued);
        assert_eq!((f.phase(), focus), (Phase::Sent, Some(Focus::Result)));
        let (mut f, focus) = sent(Outcome::Failed);
        assert_eq!((f.phase(), focus), (Phase::Failed, Some(Focus::Retry)));
        assert!(f.edited(), "a failed share keeps its draft");
        assert!(matches!(f.press_send(TODAY), Press::Send(_)), "Retry sends");
        let (f, focus) = sent(Outcome::Duplicate(vec![ticket(true)]));
        assert_eq!(
            (f.phase(), focus),
            (Phase::Duplicate, Some(Focus::Duplicates))
        );
        let (f, focus) = sent(Outcome::NotConnected);
        assert_eq!(
            (f.phase(), focus),
            (Phase::NotConnected, Some(Focus::Connect))
        );
        let (mut f, focus) = sent(Outcome::Invalid(vec![FieldError {
            field: DraftField::UserId,
            message_key: "field_error_user_id_invalid".into(),
        }]));
        assert_eq!(focus, Some(Focus::Field(FormField::UserId)));
        assert_eq!(
            f.shown_error(FormField::UserId, TODAY).as_deref(),
            Some("field_error_user_id_invalid")
        );
        // The worker's error lasts until the next edit.
        f.edit(Edit::Description("more".into()));
        assert_eq!(f.shown_error(FormField::UserId, TODAY), None);
    }

    #[test]
    fn a_sent_form_takes_no_more_edits_or_sends() {
        let mut f = ready("Require MFA");
        assert!(matches!(f.press_send(TODAY), Press::Send(_)));
        f.share_answered(Outcome::Created);
        f.edit(Edit::Name("changed".into()));
        assert_eq!(f.draft().name, "Require MFA");
        assert!(matches!(
            f.press_send(TODAY),
            Press::Refused(Step { focus: None, .. })
        ));
    }

    #[test]
    fn a_group_is_one_of_the_instance_groups_never_free_text() {
        let mut f = ready("x");
        assert!(f.edit(Edit::Group("Net".into())), "searched");
        assert_eq!(
            f.errors(TODAY),
            vec![(FormField::Group, GROUP_UNKNOWN_KEY.into())]
        );
        f.groups_answered("Net", vec![group("Network"), group("net")]);
        assert_eq!(f.draft().assignment_group, Some(group("net")));
        // Typing on: an older answer no longer picks.
        assert!(!f.edit(Edit::Group("network".into())), "found, no search");
        assert_eq!(f.draft().assignment_group, Some(group("Network")));
        f.edit(Edit::Group("Netw".into()));
        f.groups_answered("Net", vec![group("Net")]);
        assert_eq!(f.draft().assignment_group, None);
        assert!(!f.edit(Edit::Group(" ".into())), "nothing to search");
        assert!(f.errors(TODAY).is_empty());
    }

    #[test]
    fn prefill_applies_only_until_the_user_types() {
        let mut d = draft("Require MFA");
        d.user_id.clear();
        let mut f = TaskForm::new(d, true);
        let defaults = TicketDefaults {
            kind: TicketKind::ChangeRequest,
            priority: Priority::Planning,
            due_in_days: 7,
        };
        f.defaults_answered(&defaults, Some(group("Ops")), Some(" ops@x "), TODAY);
        assert_eq!(
            f.draft().kind,
            TicketKind::Incident,
            "the opener's kind stays"
        );
        assert_eq!(f.draft().priority, Priority::Planning);
        assert_eq!(f.draft().due_date, "2026-03-09");
        assert_eq!(f.group_text(), "Ops");
        assert_eq!(f.draft().user_id, "ops@x");
        assert!(f.user_id_known());
        assert!(!f.edited());
        let mut saved = draft("Saved name");
        saved.user_id = "other@x".into();
        saved.assignment_group = Some(group("Sec"));
        f.saved_draft_answered(saved.clone());
        assert_eq!(f.draft().name, "Saved name");
        assert_eq!(f.draft().user_id, "ops@x", "a known user ID stays");
        assert!(f.edited());
        saved.name = "Late".into();
        f.saved_draft_answered(saved);
        f.defaults_answered(&TicketDefaults::default(), None, None, TODAY);
        assert_eq!(f.draft().name, "Saved name");
        assert_eq!(f.group_text(), "Sec");
    }

    #[test]
    fn duplicates_are_looked_up_under_the_id_and_the_title_key() {
        assert_eq!(duplicate_keys(None, Some("t".into())), Vec::<String>::new());
        assert_eq!(duplicate_keys(Some("a".into()), None), vec!["a"]);
        assert_eq!(
            duplicate_keys(Some("a".into()), Some("t".into())),
            vec!["a", "t"]
        );
        assert_eq!(
            duplicate_keys(Some("a".into()), Some("a".into())),
            vec!["a"]
        );
    }
}
