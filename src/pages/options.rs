//! The options page: connect, authorize, test and remove the connection; instance, OAuth
//! client and ticket defaults; the ticket state names.
//!
//! The form is built once and never re-rendered: what the user typed survives every failed
//! save. Status, messages, diagnostics and state names live in regions of their own.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlInputElement, HtmlSelectElement};

use crate::domain::connection::{ConnectionState, ConnectionStatus, WARNING_REVOKE_UNCONFIRMED};
use crate::domain::instance::InstanceUrl;
use crate::domain::settings::{SettingsInput, SettingsView, TicketDefaults};
use crate::domain::ticket::TicketKind;
use crate::messages::{
    AuthMethod, DiagnosticReport, RequestBody, ResponseBody, SettingsError, StateName,
    StateNameOverride,
};
use crate::platform::{chrome, messaging::send, t, t_with};

use super::common::error_text;
use super::common::{
    self, alert, kind_label, kind_value, priority_from_value, priority_label, priority_value,
    render_status, spinner, status_host, PRIORITIES,
};
use super::dom::build::{el, option, sr_only, Dispatch, El, Region, View};
use super::dom::{self, toggle_attr};

/// What the user asked for on the options page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionsAction {
    /// Save, request the host permission, authorize with the redirect flow.
    Connect,
    /// Save settings only.
    Save,
    /// Re-run authorization for the saved instance.
    Authorize,
    /// The password-grant fallback.
    PasswordSignIn,
    TestConnection,
    RemoveConnection,
    CopyRedirectUrl,
    SaveStateNames,
}

// ---------------------------------------------------------------------------------------------
// Instance → host permission pattern
// ---------------------------------------------------------------------------------------------

/// The host-permission match pattern for what the user typed as the instance, computed in the
/// page so the permission can be requested inside the click (the worker's answer comes back
/// too late for the user gesture). Same parser as the worker's: `dev12345` →
/// `https://dev12345.service-now.com/*`; `None` when the worker would refuse it too.
pub fn instance_origin_pattern(input: &str) -> Option<String> {
    InstanceUrl::parse(input)
        .ok()
        .map(|u| u.permission_pattern())
}

// ---------------------------------------------------------------------------------------------
// The settings form
// ---------------------------------------------------------------------------------------------

/// Handles on the form's controls, kept by the page for reading and for showing errors.
pub struct ConnectionForm {
    pub instance: HtmlInputElement,
    pub client_id: HtmlInputElement,
    pub client_secret: HtmlInputElement,
    pub clear_secret: HtmlInputElement,
    pub default_kind: HtmlSelectElement,
    pub default_priority: HtmlSelectElement,
    pub due_in_days: HtmlInputElement,
    pub fallback_user_id: HtmlInputElement,
    pub refresh_minutes: HtmlInputElement,
    pub username: HtmlInputElement,
    pub password: HtmlInputElement,
    pub redirect_url: HtmlInputElement,
    pub connect_button: Element,
    pub save_button: Element,
    pub password_button: Element,
    /// Where save / connect messages appear.
    pub messages: Element,
    /// `(field name, control, error slot)`.
    fields: Vec<(&'static str, Element, Element)>,
}

/// A labelled control with its hint, its "set by your administrator" note and an error slot.
fn field(
    name: &'static str,
    label: &str,
    control: El,
    hint: Option<String>,
    locked: bool,
) -> (El, Element, Element) {
    let id = name.replace('_', "-");
    let hint_id = format!("{id}-hint");
    let locked_id = format!("{id}-locked");
    let error_id = format!("{id}-error");
    let mut described = Vec::new();
    if hint.is_some() {
        described.push(hint_id.clone());
    }
    if locked {
        described.push(locked_id.clone());
    }
    described.push(error_id.clone());
    let is_select = control.node().tag_name().eq_ignore_ascii_case("select");
    let control = control
        .id(&id)
        .attr("name", name)
        .attr("aria-describedby", &described.join(" "))
        .attr_if(locked && !is_select, "readonly", "")
        .attr_if(locked && is_select, "disabled", "")
        .attr_if(locked, "aria-readonly", "true");
    let control_node = control.node().clone();
    let error = el("p")
        .id(&error_id)
        .class("field-error")
        .attr("hidden", "");
    let error_node = error.node().clone();
    let wrapper = el("div")
        .class("field")
        .class_if(locked, "is-locked")
        .child(el("label").attr("for", &id).text(label))
        .child(control)
        .child_opt(hint.map(|h| el("p").id(&hint_id).class("field-hint").text(&h)))
        .child_opt(locked.then(|| {
            el("p")
                .id(&locked_id)
                .class("field-locked")
                .text(&t("options_locked_by_admin"))
        }))
        .child(error);
    (wrapper, control_node, error_node)
}

fn text_input(value: &str) -> El {
    el("input")
        .attr("type", "text")
        .attr("autocomplete", "off")
        .attr("spellcheck", "false")
        .value(value)
}

fn button(label: &str, primary: bool) -> El {
    el("button")
        .attr("type", "button")
        .class(if primary { "btn btn-primary" } else { "btn" })
        .text(label)
}

/// Which of `locked` (policy field names) covers the form field `name`.
fn is_locked(view: &SettingsView, name: &str) -> bool {
    view.locked.iter().any(|l| l == name)
}

/// The settings form, built from the saved settings. Buttons report through `dispatch`.
pub fn render_settings_form(
    view: &SettingsView,
    dispatch: &Dispatch<OptionsAction>,
) -> (El, ConnectionForm) {
    let mut fields: Vec<(&'static str, Element, Element)> = Vec::new();
    let mut place = |name: &'static str, f: (El, Element, Element)| {
        fields.push((name, f.1, f.2));
        f.0
    };

    // Redirect URL to register, with Copy.
    let redirect = el("input")
        .attr("type", "text")
        .attr("readonly", "")
        .id("redirect-url")
        .class("mono")
        .value(&view.redirect_url);
    let redirect_input: HtmlInputElement = redirect.handle();
    let d = dispatch.clone();
    let register = el("div")
        .class("callout")
        .child(el("h3").text(&t("options_register_heading")))
        .child(el("p").text(&t("options_register_text")))
        .child(
            el("div")
                .class("field")
                .child(
                    el("label")
                        .attr("for", "redirect-url")
                        .text(&t("options_redirect_url")),
                )
                .child(
                    el("div").class("input-row").child(redirect).child(
                        button(&t("options_copy"), false)
                            .id("copy-redirect")
                            .on("click", move |_| d(OptionsAction::CopyRedirectUrl)),
                    ),
                ),
        );

    let instance = text_input(view.instance.as_deref().unwrap_or(""))
        .attr("inputmode", "url")
        .attr("placeholder", &t("options_instance_placeholder"))
        .attr("aria-required", "true");
    let instance_h: HtmlInputElement = instance.handle();
    let instance = place(
        "instance",
        field(
            "instance",
            &t("options_instance"),
            instance,
            Some(t("options_instance_hint")),
            is_locked(view, "instance"),
        ),
    );

    let client_id =
        text_input(view.client_id.as_deref().unwrap_or("")).attr("aria-required", "true");
    let client_id_h: HtmlInputElement = client_id.handle();
    let client_id = place(
        "client_id",
        field(
            "client_id",
            &t("options_client_id"),
            client_id,
            None,
            is_locked(view, "client_id"),
        ),
    );

    let secret = el("input")
        .attr("type", "password")
        .attr("autocomplete", "new-password")
        .attr_if(
            view.has_client_secret,
            "placeholder",
            &t("options_client_secret_saved"),
        );
    let secret_h: HtmlInputElement = secret.handle();
    let secret = place(
        "client_secret",
        field(
            "client_secret",
            &t("options_client_secret"),
            secret,
            Some(t("options_client_secret_hint")),
            is_locked(view, "client_secret"),
        ),
    );
    let clear = el("input")
        .attr("type", "checkbox")
        .id("clear-secret")
        .attr("name", "clear_secret");
    let clear_h: HtmlInputElement = clear.handle();
    let clear = el("div")
        .class("check")
        .hidden_if(!view.has_client_secret)
        .child(clear)
        .child(
            el("label")
                .attr("for", "clear-secret")
                .text(&t("options_client_secret_clear")),
        );

    let integration_hint = el("div")
        .class("callout is-info")
        .child(el("strong").text(&t("options_integration_user_title")))
        .append_text(" ")
        .append_text(&t("options_integration_user_hint"));

    // Ticket defaults.
    let defaults = &view.defaults;
    let kind = el("select").children(
        TicketKind::ALL
            .into_iter()
            .map(|k| option(kind_value(k), &kind_label(k), k == defaults.kind)),
    );
    let kind_h: HtmlSelectElement = kind.handle();
    let kind = place(
        "default_kind",
        field(
            "default_kind",
            &t("options_default_kind"),
            kind,
            None,
            is_locked(view, "default_kind"),
        ),
    );
    let priority = el("select").children(PRIORITIES.into_iter().map(|p| {
        option(
            priority_value(p),
            &priority_label(p),
            p == defaults.priority,
        )
    }));
    let priority_h: HtmlSelectElement = priority.handle();
    let priority = place(
        "default_priority",
        field(
            "default_priority",
            &t("options_default_priority"),
            priority,
            None,
            is_locked(view, "default_priority"),
        ),
    );
    let due = el("input")
        .attr("type", "number")
        .attr("min", "1")
        .attr("max", "365")
        .attr("step", "1")
        .class("narrow")
        .value(&defaults.due_in_days.to_string());
    let due_h: HtmlInputElement = due.handle();
    let due = place(
        "due_in_days",
        field(
            "due_in_days",
            &t("options_due_in_days"),
            due,
            Some(t("options_due_in_days_hint")),
            is_locked(view, "due_in_days"),
        ),
    );
    let fallback =
        text_input(view.fallback_user_id.as_deref().unwrap_or("")).attr("autocomplete", "email");
    let fallback_h: HtmlInputElement = fallback.handle();
    let fallback = place(
        "fallback_user_id",
        field(
            "fallback_user_id",
            &t("options_fallback_user_id"),
            fallback,
            Some(t("options_fallback_user_id_hint")),
            is_locked(view, "fallback_user_id"),
        ),
    );
    let refresh = el("input")
        .attr("type", "number")
        .attr("min", "1")
        .attr("max", "1440")
        .attr("step", "1")
        .class("narrow")
        .value(&if view.refresh_minutes == 0 {
            String::new()
        } else {
            view.refresh_minutes.to_string()
        });
    let refresh_h: HtmlInputElement = refresh.handle();
    let refresh = place(
        "refresh_minutes",
        field(
            "refresh_minutes",
            &t("options_refresh_minutes"),
            refresh,
            None,
            is_locked(view, "refresh_minutes"),
        ),
    );

    let (d1, d2) = (dispatch.clone(), dispatch.clone());
    let connect_button = button(&t("options_connect"), true)
        .id("connect")
        .attr("type", "submit");
    let save_button = button(&t("options_save"), false)
        .id("save")
        .on("click", move |_| d2(OptionsAction::Save));
    let (connect_n, save_n) = (connect_button.node().clone(), save_button.node().clone());
    let actions = el("div")
        .class("actions")
        .child(connect_button)
        .child(save_button);
    // Save and connect outcomes show right under the buttons.
    let messages = el("div")
        .class("messages")
        .id("settings-messages")
        .attr("aria-live", "polite");
    let messages_n = messages.node().clone();

    let form = el("form")
        .id("settings-form")
        .attr("novalidate", "")
        .attr("aria-labelledby", "setup-heading")
        .on("submit", move |e| {
            e.prevent_default();
            d1(OptionsAction::Connect)
        })
        .child(register)
        .child(instance)
        .child(client_id)
        .child(secret)
        .child(clear)
        .child(integration_hint)
        .child(
            el("fieldset")
                .class("defaults")
                .child(el("legend").text(&t("options_defaults_heading")))
                .child(
                    el("div")
                        .class("grid")
                        .child(kind)
                        .child(priority)
                        .child(due)
                        .child(refresh),
                )
                .child(fallback),
        )
        .child(actions)
        .child(messages);

    // The password-grant fallback.
    let username = text_input("").attr("autocomplete", "username");
    let username_h: HtmlInputElement = username.handle();
    let username = place(
        "username",
        field("username", &t("options_username"), username, None, false),
    );
    let password = el("input")
        .attr("type", "password")
        .attr("autocomplete", "current-password");
    let password_h: HtmlInputElement = password.handle();
    let password = place(
        "password",
        field("password", &t("options_password"), password, None, false),
    );
    let d3 = dispatch.clone();
    let password_button = button(&t("options_password_sign_in"), false)
        .id("password-sign-in")
        .on("click", move |_| d3(OptionsAction::PasswordSignIn));
    let password_n = password_button.node().clone();
    let fallback_flow = el("details")
        .class("fallback")
        .id("password-grant")
        .child(el("summary").text(&t("options_password_summary")))
        .child(
            el("p")
                .class("field-hint")
                .text(&t("options_password_hint")),
        )
        .child(username)
        .child(password)
        .child(el("div").class("actions").child(password_button));

    let handles = ConnectionForm {
        instance: instance_h,
        client_id: client_id_h,
        client_secret: secret_h,
        clear_secret: clear_h,
        default_kind: kind_h,
        default_priority: priority_h,
        due_in_days: due_h,
        fallback_user_id: fallback_h,
        refresh_minutes: refresh_h,
        username: username_h,
        password: password_h,
        redirect_url: redirect_input,
        connect_button: connect_n,
        save_button: save_n,
        password_button: password_n,
        messages: messages_n,
        fields,
    };
    (
        el("div").class("settings").child(form).child(fallback_flow),
        handles,
    )
}

fn field_error(field: &str, key: &str) -> SettingsError {
    SettingsError {
        field: field.to_string(),
        message_key: key.to_string(),
    }
}

/// A form field name for what the worker calls it (`defaults.kind`, `priority`, …).
fn canonical_field(name: &str) -> &str {
    let last = name.rsplit(['.', '/']).next().unwrap_or(name);
    match last {
        "kind" | "ticket_type" => "default_kind",
        "priority" => "default_priority",
        "due_days" => "due_in_days",
        "user_name" => "username",
        other => other,
    }
}

impl ConnectionForm {
    /// What to send to save, or the fields refused before sending.
    pub fn read(&self, view: &SettingsView) -> Result<SettingsInput, Vec<SettingsError>> {
        let mut errors = Vec::new();
        let instance = self.instance.value().trim().to_string();
        if instance.is_empty() {
            errors.push(field_error("instance", "options_error_instance_required"));
        } else if let Err(e) = InstanceUrl::parse(&instance) {
            errors.push(field_error("instance", e.message_key()));
        }
        let client_id = self.client_id.value().trim().to_string();
        let due_in_days = match self.due_in_days.value().trim().parse::<u32>() {
            Ok(d) if (1..=365).contains(&d) => d,
            _ => {
                errors.push(field_error("due_in_days", "options_error_due_in_days"));
                view.defaults.due_in_days
            }
        };
        let refresh_text = self.refresh_minutes.value();
        let refresh_minutes = match refresh_text.trim() {
            "" => None,
            s => match s.parse::<u32>() {
                Ok(m) if (1..=1440).contains(&m) => Some(m),
                _ => {
                    errors.push(field_error(
                        "refresh_minutes",
                        "options_error_refresh_minutes",
                    ));
                    None
                }
            },
        };
        let kind =
            common::kind_from_value(&self.default_kind.value()).unwrap_or(view.defaults.kind);
        let priority =
            priority_from_value(&self.default_priority.value()).unwrap_or(view.defaults.priority);
        let secret = self.client_secret.value();
        let client_secret = if self.clear_secret.checked() {
            Some(String::new())
        } else if secret.is_empty() {
            None
        } else {
            Some(secret)
        };
        let fallback = self.fallback_user_id.value().trim().to_string();
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(SettingsInput {
            mapping: None,
            instance,
            client_id,
            client_secret,
            defaults: TicketDefaults {
                kind,
                priority,
                due_in_days,
            },
            fallback_user_id: (!fallback.is_empty()).then_some(fallback),
            refresh_minutes,
        })
    }

    /// The password grant's user name and password, or what is missing.
    pub fn read_password(&self) -> Result<(String, String), Vec<SettingsError>> {
        let username = self.username.value().trim().to_string();
        let password = self.password.value();
        let mut errors = Vec::new();
        if username.is_empty() {
            errors.push(field_error("username", "options_error_username_required"));
        }
        if password.is_empty() {
            errors.push(field_error("password", "options_error_password_required"));
        }
        if errors.is_empty() {
            Ok((username, password))
        } else {
            Err(errors)
        }
    }

    pub fn clear_errors(&self) {
        for (_, control, slot) in &self.fields {
            let _ = control.remove_attribute("aria-invalid");
            slot.set_text_content(None);
            let _ = slot.set_attribute("hidden", "");
        }
    }

    /// Shows each error next to its field (message through chrome.i18n) and focuses the first;
    /// returns those that belong to no field.
    pub fn show_errors(&self, errors: &[SettingsError]) -> Vec<SettingsError> {
        let mut rest = Vec::new();
        let mut first: Option<Element> = None;
        for e in errors {
            let name = canonical_field(&e.field);
            match self.fields.iter().find(|(n, _, _)| *n == name) {
                Some((_, control, slot)) => {
                    let _ = control.set_attribute("aria-invalid", "true");
                    let message = error_text(&e.message_key);
                    let existing = slot.text_content().unwrap_or_default();
                    let text = if existing.is_empty() {
                        message
                    } else {
                        format!("{existing} {message}")
                    };
                    slot.set_text_content(Some(&text));
                    let _ = slot.remove_attribute("hidden");
                    if first.is_none() {
                        first = Some(control.clone());
                    }
                }
                None => rest.push(e.clone()),
            }
        }
        if let Some(f) = first {
            dom::focus(&f);
        }
        rest
    }

    /// The text now shown under `field` (empty when none), for tests and e2e debugging.
    pub fn error_of(&self, field: &str) -> String {
        self.fields
            .iter()
            .find(|(n, _, _)| *n == field)
            .and_then(|(_, _, slot)| slot.text_content())
            .unwrap_or_default()
    }

    /// After a successful save: show the instance as the worker normalized it, forget the typed
    /// secret (it is stored now), and update the "saved secret" hints.
    fn saved(&self, view: &SettingsView) {
        if let Some(i) = &view.instance {
            self.instance.set_value(i);
        }
        self.client_secret.set_value("");
        self.clear_secret.set_checked(false);
        if view.has_client_secret {
            let _ = self
                .client_secret
                .set_attribute("placeholder", &t("options_client_secret_saved"));
        } else {
            let _ = self.client_secret.remove_attribute("placeholder");
        }
        if let Some(wrapper) = self.clear_secret.parent_element() {
            toggle_attr(&wrapper, "hidden", !view.has_client_secret);
        }
        self.redirect_url.set_value(&view.redirect_url);
    }
}

// ---------------------------------------------------------------------------------------------
// Diagnostics and state names
// ---------------------------------------------------------------------------------------------

/// "Test connection": one list item per step, passed or failed, with cause and fix.
pub fn render_diagnostics(report: &DiagnosticReport) -> El {
    let summary = if report.ok {
        t("options_test_ok")
    } else {
        t("options_test_failed")
    };
    let steps = report.steps.iter().map(|step| {
        let name = {
            let s = t(&step.step_key);
            if s == step.step_key {
                step.step_key.trim_start_matches("step_").replace('_', " ")
            } else {
                s
            }
        };
        el("li")
            .class("step")
            .class(if step.ok { "is-ok" } else { "is-error" })
            .child(
                el("div")
                    .class("step-line")
                    .child(el("span").class("step-icon").attr("aria-hidden", "true"))
                    .child(sr_only(&if step.ok {
                        t("options_step_passed")
                    } else {
                        t("options_step_failed")
                    }))
                    .child(el("span").class("step-name").text(&name))
                    .child(el("span").class("step-time").text(&t_with(
                        "options_step_ms",
                        &[&format!("{:.0}", step.elapsed_ms.max(0.0))],
                    ))),
            )
            .child_opt(step.diagnosis.as_ref().map(common::render_diagnosis))
    });
    el("div")
        .class("diagnostics")
        .class(if report.ok { "is-ok" } else { "is-error" })
        .child(el("h3").text(&summary))
        .child(el("ol").class("steps").children(steps))
}

/// The state names of both kinds as editable tables, and the inputs in `names` order.
pub fn render_state_names(names: &[StateName]) -> (El, Vec<HtmlInputElement>) {
    if names.is_empty() {
        return (
            el("p").class("muted").text(&t("options_state_names_empty")),
            Vec::new(),
        );
    }
    let mut inputs: Vec<(usize, HtmlInputElement)> = Vec::new();
    let mut tables = Vec::new();
    for kind in TicketKind::ALL {
        let rows: Vec<(usize, &StateName)> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| n.kind == kind)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let body = rows.into_iter().map(|(i, n)| {
            let input = el("input")
                .attr("type", "text")
                .attr("placeholder", &n.instance_label)
                .attr(
                    "aria-label",
                    &t_with("options_state_display_name_for", &[&n.instance_label]),
                )
                .attr("maxlength", "40")
                .value(n.custom_label.as_deref().unwrap_or(""));
            let handle: HtmlInputElement = input.handle();
            inputs.push((i, handle.clone()));
            el("tr")
                .child(el("td").child(el("code").text(&n.state)))
                .child(el("th").attr("scope", "row").text(&n.instance_label))
                .child(el("td").child(input))
                .child(
                    el("td").child(
                        button(&t("options_state_reset"), false)
                            .class("btn-small")
                            .attr(
                                "aria-label",
                                &t_with("options_state_reset_for", &[&n.instance_label]),
                            )
                            .on("click", move |_| {
                                handle.set_value("");
                                let _ = handle.focus();
                            }),
                    ),
                )
        });
        tables.push(
            el("table")
                .class("data-table state-names")
                .attr("data-kind", kind_value(kind))
                .child(el("caption").text(&kind_label(kind)))
                .child(
                    el("thead").child(
                        el("tr")
                            .child(
                                el("th")
                                    .attr("scope", "col")
                                    .text(&t("options_state_value")),
                            )
                            .child(
                                el("th")
                                    .attr("scope", "col")
                                    .text(&t("options_state_instance_label")),
                            )
                            .child(
                                el("th")
                                    .attr("scope", "col")
                                    .text(&t("options_state_display_name")),
                            )
                            .child(
                                el("th")
                                    .attr("scope", "col")
                                    .child(sr_only(&t("options_state_actions"))),
                            ),
                    ),
                )
                .child(el("tbody").children(body)),
        );
    }
    inputs.sort_by_key(|(i, _)| *i);
    (
        el("div").class("state-tables").children(tables),
        inputs.into_iter().map(|(_, h)| h).collect(),
    )
}

/// The overrides to save: every row, a blank or unchanged name meaning "no rename".
pub fn state_name_overrides(
    names: &[StateName],
    inputs: &[HtmlInputElement],
) -> Vec<StateNameOverride> {
    names
        .iter()
        .zip(inputs)
        .map(|(n, input)| {
            let v = input.value().trim().to_string();
            StateNameOverride {
                kind: n.kind,
                state: n.state.clone(),
                label: (!v.is_empty() && v != n.instance_label).then_some(v),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------

struct Buttons {
    connect: Element,
    save: Element,
    authorize: Element,
    password: Element,
    test: Element,
    remove: Element,
    save_names: Element,
}

struct OptionsPage {
    view: RefCell<SettingsView>,
    status: RefCell<Option<ConnectionStatus>>,
    form: RefCell<Option<ConnectionForm>>,
    buttons: RefCell<Option<Buttons>>,
    status_region: RefCell<Option<Region>>,
    connection_msg: RefCell<Option<Region>>,
    form_msg: RefCell<Option<Region>>,
    diag: RefCell<Option<Region>>,
    names_region: RefCell<Option<Region>>,
    names_msg: RefCell<Option<Region>>,
    names: RefCell<(Vec<StateName>, Vec<HtmlInputElement>)>,
    /// The page skeleton's listeners (form, buttons): live as long as the page.
    skeleton: RefCell<Option<View>>,
    mapping: RefCell<Option<Rc<super::mapping::MappingSection>>>,
    busy: Cell<bool>,
}

thread_local! {
    static PAGE: RefCell<Option<Rc<OptionsPage>>> = const { RefCell::new(None) };
}

pub fn start() {
    let Some(root) = super::page_root("options_title") else {
        return;
    };
    let page = Rc::new(OptionsPage {
        view: RefCell::new(SettingsView::default()),
        status: RefCell::new(None),
        form: RefCell::new(None),
        buttons: RefCell::new(None),
        status_region: RefCell::new(None),
        connection_msg: RefCell::new(None),
        form_msg: RefCell::new(None),
        diag: RefCell::new(None),
        names_region: RefCell::new(None),
        names_msg: RefCell::new(None),
        names: RefCell::new((Vec::new(), Vec::new())),
        skeleton: RefCell::new(None),
        mapping: RefCell::new(None),
        busy: Cell::new(false),
    });
    PAGE.with(|p| *p.borrow_mut() = Some(page.clone()));
    let loading = el("p")
        .class("muted")
        .child(spinner(&t("common_loading")))
        .append_text(&t("common_loading"));
    let _ = root.append_child(loading.node());
    let p = page.clone();
    spawn_local(async move {
        let (mut view, error) = match send(RequestBody::GetSettings).await {
            ResponseBody::Settings(v) => (v, None),
            other => (SettingsView::default(), Some(common::unexpected(&other))),
        };
        if view.redirect_url.is_empty() {
            // What chrome.identity.getRedirectURL() answers, so it shows even without the worker.
            let id = chrome::RUNTIME_ID
                .with(|id| id.as_string())
                .unwrap_or_default();
            if !id.is_empty() {
                view.redirect_url = format!("https://{id}.chromiumapp.org/");
            }
        }
        p.build(&root, view);
        if let Some(e) = error {
            p.message(
                &p.form_msg,
                Some(alert(&t_with("options_settings_load_failed", &[&e]))),
            );
        }
        p.refresh_status().await;
        p.load_state_names().await;
    });
    let p = page.clone();
    super::on_storage_changed(move || {
        let p = p.clone();
        spawn_local(async move { p.refresh_status().await });
    });
}

impl OptionsPage {
    fn dispatch(self: &Rc<Self>) -> Dispatch<OptionsAction> {
        let weak = Rc::downgrade(self);
        Rc::new(move |action| {
            if let Some(page) = weak.upgrade() {
                page.on_action(action);
            }
        })
    }

    fn build(self: &Rc<Self>, root: &Element, view: SettingsView) {
        let dispatch = self.dispatch();
        let (form, handles) = render_settings_form(&view, &dispatch);

        let status = status_host().id("connection-status");
        let status_node = status.node().clone();
        let (da, dt, dr, dn) = (
            dispatch.clone(),
            dispatch.clone(),
            dispatch.clone(),
            dispatch.clone(),
        );
        let authorize = button(&t("options_authorize"), true)
            .id("authorize")
            .hidden_if(true)
            .on("click", move |_| da(OptionsAction::Authorize));
        let test = button(&t("options_test"), false)
            .id("test-connection")
            .on("click", move |_| dt(OptionsAction::TestConnection));
        let remove = button(&t("options_remove"), false)
            .id("remove-connection")
            .class("btn-danger")
            .on("click", move |_| dr(OptionsAction::RemoveConnection));
        let (authorize_n, test_n, remove_n) = (
            authorize.node().clone(),
            test.node().clone(),
            remove.node().clone(),
        );
        let connection_msg = el("div").class("messages").attr("aria-live", "polite");
        let connection_msg_n = connection_msg.node().clone();
        let diag = el("div")
            .id("diagnostics")
            .class("diagnostics-host")
            .attr("aria-live", "polite");
        let diag_n = diag.node().clone();

        let form_msg_n = handles.messages.clone();

        let names = el("div").id("state-names");
        let names_n = names.node().clone();
        let names_msg = el("div").class("messages").attr("aria-live", "polite");
        let names_msg_n = names_msg.node().clone();
        let save_names = button(&t("options_state_names_save"), false)
            .id("save-state-names")
            .on("click", move |_| dn(OptionsAction::SaveStateNames));
        let save_names_n = save_names.node().clone();
        let (mapping, mapping_section) = super::mapping::render(&view);

        let skeleton = el("div")
            .class("page")
            .child(
                el("header")
                    .class("page-header")
                    .child(el("span").class("brand-mark").attr("aria-hidden", "true"))
                    .child(el("h1").text(&t("options_heading"))),
            )
            .child(
                el("section")
                    .class("card")
                    .attr("aria-labelledby", "connection-heading")
                    .child(
                        el("h2")
                            .id("connection-heading")
                            .text(&t("options_connection_heading")),
                    )
                    .child(status)
                    .child(
                        el("div")
                            .class("actions")
                            .child(authorize)
                            .child(test)
                            .child(remove),
                    )
                    .child(connection_msg)
                    .child(diag),
            )
            .child(
                el("section")
                    .class("card")
                    .attr("aria-labelledby", "setup-heading")
                    .child(
                        el("h2")
                            .id("setup-heading")
                            .text(&t("options_setup_heading")),
                    )
                    .child(form),
            )
            .child(mapping)
            .child(
                el("section")
                    .class("card")
                    .attr("aria-labelledby", "state-names-heading")
                    .child(
                        el("h2")
                            .id("state-names-heading")
                            .text(&t("options_state_names_heading")),
                    )
                    .child(
                        el("p")
                            .class("field-hint")
                            .text(&t("options_state_names_hint")),
                    )
                    .child(names)
                    .child(el("div").class("actions").child(save_names))
                    .child(names_msg),
            )
            .build();
        root.replace_children_with_node_1(skeleton.root());

        let form = handles;
        let buttons = Buttons {
            connect: form.connect_button.clone(),
            save: form.save_button.clone(),
            authorize: authorize_n,
            password: form.password_button.clone(),
            test: test_n,
            remove: remove_n,
            save_names: save_names_n,
        };
        *self.view.borrow_mut() = view;
        *self.form.borrow_mut() = Some(form);
        *self.buttons.borrow_mut() = Some(buttons);
        *self.status_region.borrow_mut() = Some(Region::new(status_node));
        *self.connection_msg.borrow_mut() = Some(Region::new(connection_msg_n));
        *self.form_msg.borrow_mut() = Some(Region::new(form_msg_n));
        *self.diag.borrow_mut() = Some(Region::new(diag_n));
        *self.names_region.borrow_mut() = Some(Region::new(names_n));
        *self.names_msg.borrow_mut() = Some(Region::new(names_msg_n));
        *self.skeleton.borrow_mut() = Some(skeleton);
        *self.mapping.borrow_mut() = Some(mapping_section);
        self.render_status();
    }

    fn message(&self, region: &RefCell<Option<Region>>, content: Option<El>) {
        if let Some(r) = region.borrow_mut().as_mut() {
            match content {
                Some(c) => r.set(c.build()),
                None => r.clear(),
            }
        }
    }

    fn notice(&self, region: &RefCell<Option<Region>>, text: &str) {
        self.message(region, Some(el("p").class("notice").text(text)));
    }

    fn progress(&self, region: &RefCell<Option<Region>>, text: &str) {
        self.message(
            region,
            Some(
                el("p")
                    .class("notice")
                    .child(spinner(text))
                    .append_text(text),
            ),
        );
    }

    fn success(&self, region: &RefCell<Option<Region>>, text: &str) {
        self.message(
            region,
            Some(
                el("p")
                    .class("notice is-ok")
                    .child(el("span").class("ok-icon").attr("aria-hidden", "true"))
                    .append_text(text),
            ),
        );
    }

    fn set_busy(&self, busy: bool) {
        self.busy.set(busy);
        if let Some(b) = self.buttons.borrow().as_ref() {
            for n in [
                &b.connect,
                &b.save,
                &b.authorize,
                &b.password,
                &b.test,
                &b.remove,
            ] {
                toggle_attr(n, "disabled", busy);
            }
        }
    }

    fn render_status(&self) {
        let status = self.status.borrow();
        if let Some(r) = self.status_region.borrow_mut().as_mut() {
            r.set(render_status(status.as_ref(), true).build());
        }
        let needs_authorization = status
            .as_ref()
            .map(|s| s.state == ConnectionState::AuthorizationNeeded)
            .unwrap_or(false);
        let connected = status
            .as_ref()
            .map(|s| s.state != ConnectionState::NotConnected)
            .unwrap_or(false);
        if let Some(b) = self.buttons.borrow().as_ref() {
            toggle_attr(&b.authorize, "hidden", !needs_authorization);
            toggle_attr(
                &b.remove,
                "hidden",
                !connected && self.view.borrow().instance.is_none(),
            );
        }
    }

    async fn refresh_status(&self) {
        match send(RequestBody::GetStatus).await {
            ResponseBody::Status(s) => {
                *self.status.borrow_mut() = Some(s);
                self.render_status();
            }
            other => {
                // Keep the last known status; say why it could not be refreshed.
                if self.status.borrow().is_none() {
                    *self.status.borrow_mut() = Some(ConnectionStatus::not_connected(None));
                    self.render_status();
                }
                self.message(
                    &self.connection_msg,
                    Some(alert(&common::unexpected(&other))),
                );
            }
        }
    }

    async fn load_state_names(&self) {
        match send(RequestBody::GetStateNames).await {
            ResponseBody::StateNames(names) => {
                let (content, inputs) = render_state_names(&names);
                if let Some(r) = self.names_region.borrow_mut().as_mut() {
                    r.set(content.build());
                }
                if let Some(b) = self.buttons.borrow().as_ref() {
                    toggle_attr(&b.save_names, "hidden", names.is_empty());
                }
                *self.names.borrow_mut() = (names, inputs);
            }
            other => {
                // Not connected: nothing went wrong, the names just come with the connection.
                let connected = self
                    .status
                    .borrow()
                    .as_ref()
                    .is_some_and(|s| s.state != ConnectionState::NotConnected);
                if let Some(r) = self.names_region.borrow_mut().as_mut() {
                    r.set(
                        el("div")
                            .child(
                                el("p")
                                    .class("muted")
                                    .text(&t("options_state_names_unavailable")),
                            )
                            .child_opt(connected.then(|| alert(&common::unexpected(&other))))
                            .build(),
                    );
                }
                if let Some(b) = self.buttons.borrow().as_ref() {
                    toggle_attr(&b.save_names, "hidden", true);
                }
                *self.names.borrow_mut() = (Vec::new(), Vec::new());
            }
        }
    }

    fn on_action(self: &Rc<Self>, action: OptionsAction) {
        match action {
            OptionsAction::Connect => self.connect(AuthKind::Redirect),
            OptionsAction::PasswordSignIn => self.connect(AuthKind::Password),
            OptionsAction::Authorize => self.authorize(),
            OptionsAction::Save => {
                if self.busy.get() {
                    return;
                }
                let Some(input) = self.read_form() else {
                    return;
                };
                let p = self.clone();
                spawn_local(async move {
                    p.set_busy(true);
                    p.progress(&p.form_msg, &t("options_saving"));
                    if p.save(input).await {
                        p.success(&p.form_msg, &t("options_saved"));
                    }
                    p.set_busy(false);
                });
            }
            OptionsAction::TestConnection => {
                if self.busy.get() {
                    return;
                }
                let p = self.clone();
                spawn_local(async move { p.test_connection().await });
            }
            OptionsAction::RemoveConnection => {
                if self.busy.get() {
                    return;
                }
                let confirmed = web_sys::window()
                    .and_then(|w| w.confirm_with_message(&t("options_remove_confirm")).ok())
                    .unwrap_or(false);
                if !confirmed {
                    return;
                }
                let p = self.clone();
                spawn_local(async move { p.remove_connection().await });
            }
            OptionsAction::CopyRedirectUrl => {
                let url = self.view.borrow().redirect_url.clone();
                let p = self.clone();
                spawn_local(async move {
                    if !url.is_empty() && dom::copy_text(&url).await {
                        p.success(&p.form_msg, &t("options_copied"));
                    } else {
                        if let Some(f) = p.form.borrow().as_ref() {
                            f.redirect_url.select();
                        }
                        p.notice(&p.form_msg, &t("options_copy_failed"));
                    }
                });
            }
            OptionsAction::SaveStateNames => {
                let overrides = {
                    let names = self.names.borrow();
                    state_name_overrides(&names.0, &names.1)
                };
                let p = self.clone();
                spawn_local(async move {
                    p.progress(&p.names_msg, &t("options_saving"));
                    match send(RequestBody::SaveStateNames(overrides)).await {
                        ResponseBody::Done | ResponseBody::StateNames(_) => {
                            p.load_state_names().await;
                            p.success(&p.names_msg, &t("options_state_names_saved"));
                        }
                        other => p.message(&p.names_msg, Some(alert(&common::unexpected(&other)))),
                    }
                });
            }
        }
    }

    /// Reads the form, showing local validation errors; `None` when something is refused.
    fn read_form(&self) -> Option<SettingsInput> {
        let form = self.form.borrow();
        let form = form.as_ref()?;
        form.clear_errors();
        match form.read(&self.view.borrow()) {
            Ok(input) => Some(input),
            Err(errors) => {
                form.show_errors(&errors);
                self.message(&self.form_msg, Some(alert(&t("options_fix_fields"))));
                None
            }
        }
    }

    /// Saves the settings; shows per-field errors and keeps every typed value when refused.
    async fn save(&self, input: SettingsInput) -> bool {
        match send(RequestBody::SaveSettings(input)).await {
            ResponseBody::SettingsSaved { errors } if !errors.is_empty() => {
                let rest = self
                    .form
                    .borrow()
                    .as_ref()
                    .map(|f| f.show_errors(&errors))
                    .unwrap_or_default();
                let mut text = t("options_fix_fields");
                for e in rest {
                    text.push(' ');
                    text.push_str(&error_text(&e.message_key));
                }
                self.message(&self.form_msg, Some(alert(&text)));
                false
            }
            ResponseBody::SettingsSaved { .. } | ResponseBody::Done | ResponseBody::Settings(_) => {
                if let ResponseBody::Settings(v) = send(RequestBody::GetSettings).await {
                    if let Some(f) = self.form.borrow().as_ref() {
                        f.saved(&v);
                    }
                    *self.view.borrow_mut() = v;
                }
                true
            }
            other => {
                self.message(&self.form_msg, Some(alert(&common::unexpected(&other))));
                false
            }
        }
    }

    /// Connect (or the password fallback): save, then the host permission — requested right
    /// here, inside the click, for the user gesture — then authorize.
    fn connect(self: &Rc<Self>, kind: AuthKind) {
        if self.busy.get() {
            return;
        }
        let Some(input) = self.read_form() else {
            return;
        };
        let method = match kind {
            AuthKind::Redirect => AuthMethod::AuthorizationCode,
            AuthKind::Password => {
                let creds = self
                    .form
                    .borrow()
                    .as_ref()
                    .map(ConnectionForm::read_password);
                match creds {
                    Some(Ok((username, password))) => AuthMethod::Password { username, password },
                    Some(Err(errors)) => {
                        if let Some(f) = self.form.borrow().as_ref() {
                            f.show_errors(&errors);
                        }
                        return;
                    }
                    None => return,
                }
            }
        };
        let pattern = instance_origin_pattern(&input.instance);
        let permission = pattern.as_deref().and_then(super::request_host_permission);
        let p = self.clone();
        spawn_local(async move {
            p.set_busy(true);
            p.message(&p.connection_msg, None);
            p.progress(&p.form_msg, &t("options_saving"));
            if p.save(input).await {
                p.authorize_after_permission(method, pattern, permission)
                    .await;
            }
            p.set_busy(false);
        });
    }

    /// Authorize for the saved instance (status "authorization needed").
    fn authorize(self: &Rc<Self>) {
        if self.busy.get() {
            return;
        }
        let pattern = self
            .view
            .borrow()
            .instance
            .as_deref()
            .and_then(instance_origin_pattern);
        let permission = pattern.as_deref().and_then(super::request_host_permission);
        let p = self.clone();
        spawn_local(async move {
            p.set_busy(true);
            p.authorize_after_permission(AuthMethod::AuthorizationCode, pattern, permission)
                .await;
            p.set_busy(false);
        });
    }

    async fn authorize_after_permission(
        &self,
        method: AuthMethod,
        requested: Option<String>,
        permission: Option<js_sys::Promise>,
    ) {
        let is_password = matches!(method, AuthMethod::Password { .. });
        let mut outcome = match permission {
            Some(p) => super::permission_outcome(p).await,
            None => Ok(false),
        };
        // Should the saved instance differ from what was typed (it is parsed the same way, so
        // only if the worker changed it), ask for its origin too: Chrome still honours the
        // click's activation for a few seconds. Never ask twice for the same origin.
        let saved = self
            .view
            .borrow()
            .instance
            .as_deref()
            .and_then(instance_origin_pattern);
        if let Some(saved) = saved.filter(|s| Some(s) != requested.as_ref()) {
            if let Some(p) = super::request_host_permission(&saved) {
                outcome = super::permission_outcome(p).await;
            }
        }
        let origin = self.view.borrow().instance.clone().unwrap_or_default();
        match outcome {
            Ok(true) => {}
            Ok(false) => {
                self.message(
                    &self.form_msg,
                    Some(alert(&t_with("options_permission_denied", &[&origin]))),
                );
                return;
            }
            Err(e) => {
                let text = format!("{} {}", t_with("options_permission_failed", &[&origin]), e);
                self.message(&self.form_msg, Some(alert(text.trim())));
                return;
            }
        }
        self.progress(
            &self.form_msg,
            &if is_password {
                t("options_signing_in")
            } else {
                t("options_authorizing")
            },
        );
        let answer = send(RequestBody::Authorize(method)).await;
        match answer {
            ResponseBody::Status(s) => {
                let connected = s.state == ConnectionState::Connected;
                *self.status.borrow_mut() = Some(s);
                self.render_status();
                if connected {
                    self.after_connected().await;
                } else {
                    self.message(
                        &self.form_msg,
                        Some(alert(&t("options_authorize_incomplete"))),
                    );
                }
            }
            ResponseBody::Done => {
                self.refresh_status().await;
                let connected = self
                    .status
                    .borrow()
                    .as_ref()
                    .map(|s| s.state == ConnectionState::Connected)
                    .unwrap_or(false);
                if connected {
                    self.after_connected().await;
                } else {
                    self.message(
                        &self.form_msg,
                        Some(alert(&t("options_authorize_incomplete"))),
                    );
                }
            }
            ResponseBody::Diagnostics(report) => {
                self.message(&self.form_msg, Some(alert(&t("options_authorize_failed"))));
                if let Some(r) = self.diag.borrow_mut().as_mut() {
                    r.set(render_diagnostics(&report).build());
                }
                self.refresh_status().await;
            }
            other => {
                self.message(&self.form_msg, Some(alert(&common::unexpected(&other))));
                self.refresh_status().await;
            }
        }
    }

    async fn after_connected(&self) {
        if let Some(f) = self.form.borrow().as_ref() {
            f.password.set_value("");
        }
        self.success(&self.form_msg, &t("options_connected"));
        self.load_state_names().await;
    }

    async fn test_connection(&self) {
        self.set_busy(true);
        self.message(&self.connection_msg, None);
        if let Some(r) = self.diag.borrow_mut().as_mut() {
            let text = t("options_testing");
            r.set(
                el("p")
                    .class("notice")
                    .child(spinner(&text))
                    .append_text(&text)
                    .build(),
            );
        }
        let answer = send(RequestBody::TestConnection).await;
        let content = match &answer {
            ResponseBody::Diagnostics(report) => render_diagnostics(report),
            other => alert(&common::unexpected(other)),
        };
        if let Some(r) = self.diag.borrow_mut().as_mut() {
            r.set(content.build());
        }
        self.refresh_status().await;
        self.set_busy(false);
    }

    async fn remove_connection(&self) {
        self.set_busy(true);
        self.progress(&self.connection_msg, &t("options_removing"));
        match send(RequestBody::Disconnect).await {
            answer @ (ResponseBody::Done | ResponseBody::Status(_)) => {
                if let Some(r) = self.diag.borrow_mut().as_mut() {
                    r.clear();
                }
                let unconfirmed = matches!(&answer, ResponseBody::Status(s)
                    if s.warnings.iter().any(|w| w == WARNING_REVOKE_UNCONFIRMED));
                if unconfirmed {
                    self.message(
                        &self.connection_msg,
                        Some(alert(&t(WARNING_REVOKE_UNCONFIRMED))),
                    );
                } else {
                    self.success(&self.connection_msg, &t("options_removed"));
                }
                self.refresh_status().await;
                self.load_state_names().await;
            }
            other => self.message(
                &self.connection_msg,
                Some(alert(&common::unexpected(&other))),
            ),
        }
        self.set_busy(false);
    }
}

#[derive(Clone, Copy)]
enum AuthKind {
    Redirect,
    Password,
}
