//! The tables the sandbox knows, their columns, and the choice lists of a default instance.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Free text with a maximum length.
    Text(usize),
    /// A choice list whose values are integers (`state`, `impact`, …).
    IntChoice,
    /// A choice list of text values (`category`, `type`).
    TextChoice,
    Integer,
    Boolean,
    /// UTC `YYYY-MM-DD HH:MM:SS`.
    DateTime,
    /// A reference to a record of another table (the value is its sys_id).
    Reference(&'static str),
}

impl Kind {
    pub fn numeric(self) -> bool {
        matches!(self, Kind::IntChoice | Kind::Integer)
    }
}

pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub label: &'static str,
}

pub struct Table {
    pub name: &'static str,
    /// The field shown as a reference's display value.
    pub display_field: &'static str,
    /// Number prefix and first number, for task tables.
    pub numbering: Option<(&'static str, u64)>,
    pub fields: &'static [Field],
}

impl Table {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

const fn f(name: &'static str, kind: Kind, label: &'static str) -> Field {
    Field { name, kind, label }
}

use Kind::*;

macro_rules! sys_fields {
    () => {
        [
            f("sys_id", Text(32), "Sys ID"),
            f("sys_created_on", DateTime, "Created"),
            f("sys_created_by", Text(40), "Created by"),
            f("sys_updated_on", DateTime, "Updated"),
            f("sys_updated_by", Text(40), "Updated by"),
            f("sys_mod_count", Integer, "Updates"),
        ]
    };
}

macro_rules! table_fields {
    ($($field:expr),* $(,)?) => {{
        const SYS: [Field; 6] = sys_fields!();
        const OWN: &[Field] = &[$($field),*];
        const N: usize = SYS.len() + OWN.len();
        const ALL: [Field; N] = {
            let mut out = [const { f("", Integer, "") }; N];
            let mut i = 0;
            while i < OWN.len() {
                out[i] = f(OWN[i].name, OWN[i].kind, OWN[i].label);
                i += 1;
            }
            let mut j = 0;
            while j < SYS.len() {
                out[i + j] = f(SYS[j].name, SYS[j].kind, SYS[j].label);
                j += 1;
            }
            out
        };
        &ALL
    }};
}

pub static INCIDENT: Table = Table {
    name: "incident",
    display_field: "number",
    numbering: Some(("INC", 10001)),
    fields: table_fields![
        f("number", Text(40), "Number"),
        f("short_description", Text(160), "Short description"),
        f("description", Text(4000), "Description"),
        f("state", IntChoice, "State"),
        f("incident_state", IntChoice, "Incident state"),
        f("impact", IntChoice, "Impact"),
        f("urgency", IntChoice, "Urgency"),
        f("priority", IntChoice, "Priority"),
        f("category", TextChoice, "Category"),
        f("subcategory", TextChoice, "Subcategory"),
        f("contact_type", TextChoice, "Channel"),
        f("caller_id", Reference("sys_user"), "Caller"),
        f("opened_by", Reference("sys_user"), "Opened by"),
        f("opened_at", DateTime, "Opened"),
        f("assigned_to", Reference("sys_user"), "Assigned to"),
        f(
            "assignment_group",
            Reference("sys_user_group"),
            "Assignment group"
        ),
        f("due_date", DateTime, "Due date"),
        f("correlation_id", Text(100), "Correlation ID"),
        f("correlation_display", Text(100), "Correlation display"),
        f("active", Boolean, "Active"),
        f("close_code", TextChoice, "Resolution code"),
        f("close_notes", Text(4000), "Resolution notes"),
        f("resolved_at", DateTime, "Resolved"),
        f("closed_at", DateTime, "Closed"),
        f("sys_class_name", Text(80), "Task type"),
    ],
};

pub static CHANGE_REQUEST: Table = Table {
    name: "change_request",
    display_field: "number",
    numbering: Some(("CHG", 30001)),
    fields: table_fields![
        f("number", Text(40), "Number"),
        f("short_description", Text(160), "Short description"),
        f("description", Text(4000), "Description"),
        f("type", TextChoice, "Type"),
        f("state", IntChoice, "State"),
        f("impact", IntChoice, "Impact"),
        f("urgency", IntChoice, "Urgency"),
        f("priority", IntChoice, "Priority"),
        f("risk", IntChoice, "Risk"),
        f("category", TextChoice, "Category"),
        f("chg_model", Reference("chg_model"), "Model"),
        f(
            "std_change_producer_version",
            Reference("std_change_record_producer"),
            "Standard change template"
        ),
        f("requested_by", Reference("sys_user"), "Requested by"),
        f("opened_by", Reference("sys_user"), "Opened by"),
        f("opened_at", DateTime, "Opened"),
        f("assigned_to", Reference("sys_user"), "Assigned to"),
        f(
            "assignment_group",
            Reference("sys_user_group"),
            "Assignment group"
        ),
        f("start_date", DateTime, "Planned start date"),
        f("end_date", DateTime, "Planned end date"),
        f("due_date", DateTime, "Due date"),
        f("justification", Text(4000), "Justification"),
        f("implementation_plan", Text(4000), "Implementation plan"),
        f("backout_plan", Text(4000), "Backout plan"),
        f("test_plan", Text(4000), "Test plan"),
        f("correlation_id", Text(100), "Correlation ID"),
        f("correlation_display", Text(100), "Correlation display"),
        f("active", Boolean, "Active"),
        f("close_code", TextChoice, "Close code"),
        f("close_notes", Text(4000), "Close notes"),
        f("closed_at", DateTime, "Closed"),
        f("sys_class_name", Text(80), "Task type"),
    ],
};

pub static SYS_USER: Table = Table {
    name: "sys_user",
    display_field: "name",
    numbering: None,
    fields: table_fields![
        f("user_name", Text(40), "User ID"),
        f("name", Text(151), "Name"),
        f("first_name", Text(50), "First name"),
        f("last_name", Text(50), "Last name"),
        f("email", Text(100), "Email"),
        f("title", Text(60), "Title"),
        f("active", Boolean, "Active"),
        f("locked_out", Boolean, "Locked out"),
        f(
            "web_service_access_only",
            Boolean,
            "Web service access only"
        ),
        f(
            "internal_integration_user",
            Boolean,
            "Internal integration user"
        ),
        f("roles", Text(4000), "Roles"),
        f("time_zone", TextChoice, "Time zone"),
    ],
};

pub static SYS_USER_GROUP: Table = Table {
    name: "sys_user_group",
    display_field: "name",
    numbering: None,
    fields: table_fields![
        f("name", Text(80), "Name"),
        f("description", Text(1000), "Description"),
        f("email", Text(100), "Group email"),
        f("manager", Reference("sys_user"), "Manager"),
        f("type", Text(1024), "Type"),
        f("active", Boolean, "Active"),
    ],
};

pub static SYS_CHOICE: Table = Table {
    name: "sys_choice",
    display_field: "label",
    numbering: None,
    fields: table_fields![
        f("name", Text(80), "Table"),
        f("element", Text(80), "Element"),
        f("value", Text(40), "Value"),
        f("label", Text(100), "Label"),
        f("sequence", Integer, "Sequence"),
        f("language", Text(40), "Language"),
        f("inactive", Boolean, "Inactive"),
        f("dependent_value", Text(100), "Dependent value"),
    ],
};

pub static SYS_USER_ROLE: Table = Table {
    name: "sys_user_role",
    display_field: "name",
    numbering: None,
    fields: table_fields![
        f("name", Text(100), "Name"),
        f("description", Text(1000), "Description"),
    ],
};

/// A user's role grants (the "Roles" related list of a user), one row per user and role.
pub static SYS_USER_HAS_ROLE: Table = Table {
    name: "sys_user_has_role",
    display_field: "role",
    numbering: None,
    fields: table_fields![
        f("user", Reference("sys_user"), "User"),
        f("role", Reference("sys_user_role"), "Role"),
        f("state", Text(40), "State"),
        f("inherited", Boolean, "Inherited"),
    ],
};

/// Change models (Normal, Standard, Emergency): what the Change Management API applies.
pub static CHG_MODEL: Table = Table {
    name: "chg_model",
    display_field: "name",
    numbering: None,
    fields: table_fields![
        f("name", Text(100), "Name"),
        f("description", Text(1000), "Description"),
        f("type", TextChoice, "Type"),
        f("active", Boolean, "Active"),
    ],
};

/// Standard change templates (the catalog items of the standard change catalog).
/// `template_value` holds the change's field values as an encoded query
/// (`short_description=…^category=Network^risk=4`), as a template record does.
pub static STD_CHANGE_RECORD_PRODUCER: Table = Table {
    name: "std_change_record_producer",
    display_field: "name",
    numbering: None,
    fields: table_fields![
        f("name", Text(100), "Name"),
        f("short_description", Text(160), "Short description"),
        f("category", Text(80), "Category"),
        f("template_value", Text(4000), "Template"),
        f("active", Boolean, "Active"),
    ],
};

pub static TABLES: [&Table; 9] = [
    &INCIDENT,
    &CHANGE_REQUEST,
    &SYS_USER,
    &SYS_USER_GROUP,
    &SYS_CHOICE,
    &SYS_USER_ROLE,
    &SYS_USER_HAS_ROLE,
    &CHG_MODEL,
    &STD_CHANGE_RECORD_PRODUCER,
];

pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().copied().find(|t| t.name == name)
}

/// (table, element, [(value, label)]) in the order of a default instance.
/// (table, element, choices)
pub type ChoiceList = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

pub static CHOICES: &[ChoiceList] = &[
    (
        "incident",
        "state",
        &[
            ("1", "New"),
            ("2", "In Progress"),
            ("3", "On Hold"),
            ("6", "Resolved"),
            ("7", "Closed"),
            ("8", "Canceled"),
        ],
    ),
    (
        "incident",
        "incident_state",
        &[
            ("1", "New"),
            ("2", "In Progress"),
            ("3", "On Hold"),
            ("6", "Resolved"),
            ("7", "Closed"),
            ("8", "Canceled"),
        ],
    ),
    (
        "incident",
        "impact",
        &[("1", "1 - High"), ("2", "2 - Medium"), ("3", "3 - Low")],
    ),
    (
        "incident",
        "urgency",
        &[("1", "1 - High"), ("2", "2 - Medium"), ("3", "3 - Low")],
    ),
    (
        "incident",
        "priority",
        &[
            ("1", "1 - Critical"),
            ("2", "2 - High"),
            ("3", "3 - Moderate"),
            ("4", "4 - Low"),
            ("5", "5 - Planning"),
        ],
    ),
    (
        "incident",
        "category",
        &[
            ("inquiry", "Inquiry / Help"),
            ("software", "Software"),
            ("hardware", "Hardware"),
            ("network", "Network"),
            ("database", "Database"),
        ],
    ),
    (
        "incident",
        "contact_type",
        &[
            ("email", "Email"),
            ("phone", "Phone"),
            ("self-service", "Self-service"),
            ("walk-in", "Walk-in"),
            ("integration", "Integration"),
        ],
    ),
    (
        "incident",
        "close_code",
        &[
            ("Solved (Permanently)", "Solved (Permanently)"),
            ("Solved (Work Around)", "Solved (Work Around)"),
            (
                "Not Solved (Not Reproducible)",
                "Not Solved (Not Reproducible)",
            ),
            ("Closed/Resolved by Caller", "Closed/Resolved by Caller"),
        ],
    ),
    (
        "change_request",
        "state",
        &[
            ("-5", "New"),
            ("-4", "Assess"),
            ("-3", "Authorize"),
            ("-2", "Scheduled"),
            ("-1", "Implement"),
            ("0", "Review"),
            ("3", "Closed"),
            ("4", "Canceled"),
        ],
    ),
    (
        "change_request",
        "type",
        &[
            ("standard", "Standard"),
            ("normal", "Normal"),
            ("emergency", "Emergency"),
        ],
    ),
    (
        "change_request",
        "impact",
        &[("1", "1 - High"), ("2", "2 - Medium"), ("3", "3 - Low")],
    ),
    (
        "change_request",
        "urgency",
        &[("1", "1 - High"), ("2", "2 - Medium"), ("3", "3 - Low")],
    ),
    (
        "change_request",
        "priority",
        &[
            ("1", "1 - Critical"),
            ("2", "2 - High"),
            ("3", "3 - Moderate"),
            ("4", "4 - Low"),
        ],
    ),
    (
        "change_request",
        "risk",
        &[("2", "High"), ("3", "Moderate"), ("4", "Low")],
    ),
    (
        "change_request",
        "category",
        &[
            ("Hardware", "Hardware"),
            ("Software", "Software"),
            ("Service", "Service"),
            ("System Software", "System Software"),
            ("Applications Software", "Applications Software"),
            ("Network", "Network"),
            ("Telecom", "Telecom"),
            ("Documentation", "Documentation"),
            ("Other", "Other"),
        ],
    ),
    (
        "change_request",
        "close_code",
        &[
            ("successful", "Successful"),
            ("successful_issues", "Successful with issues"),
            ("unsuccessful", "Unsuccessful"),
        ],
    ),
];

/// The priority lookup rules of a default instance (incident): impact × urgency.
pub fn priority(impact: &str, urgency: &str) -> &'static str {
    let i: u8 = impact.trim().parse().unwrap_or(3).clamp(1, 3);
    let u: u8 = urgency.trim().parse().unwrap_or(3).clamp(1, 3);
    match i + u {
        2 => "1",
        3 => "2",
        4 => "3",
        5 => "4",
        _ => "5",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_matrix_of_the_default_lookup_rules() {
        let expected = [["1", "2", "3"], ["2", "3", "4"], ["3", "4", "5"]];
        for (i, row) in expected.iter().enumerate() {
            for (u, p) in row.iter().enumerate() {
                assert_eq!(priority(&(i + 1).to_string(), &(u + 1).to_string()), *p);
            }
        }
    }

    #[test]
    fn tables_end_with_the_system_fields() {
        for t in TABLES {
            assert!(t.field("sys_id").is_some(), "{}", t.name);
            assert!(t.field(t.display_field).is_some(), "{}", t.name);
            let mut names: Vec<_> = t.fields.iter().map(|f| f.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), t.fields.len(), "duplicate field in {}", t.name);
        }
    }
}
