//! The options page: connect, authorize, test and remove the connection; instance, OAuth
//! client and ticket defaults; the ticket state names.
//!
//! The page's structure is `extension/options.html`; this file binds it: values in, values out,
//! errors by field, locked fields, and the actions. The form is bound once and never
//! re-rendered: what the user typed survives every failed save. Status, messages, diagnostics
//! and state names live in regions of their own, filled from the page's `<template>`s.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Document, Element, Event, HtmlInputElement, HtmlSelectElement};

use crate::domain::connection::{ConnectionState, ConnectionStatus, WARNING_REVOKE_UNCONFIRMED};
use crate::domain::instance::InstanceUrl;
use crate::domain::settings::{SettingsInput, SettingsView, TicketDefaults};
use crate::domain::ticket::TicketKind;
use crate::messages::{
    AuthMethod, DiagnosticReport, RequestBody, ResponseBody, SettingsError, StateName,
    StateNameOverride,
};
use crate::platform::template::{instantiate_by_id, part};
use crate::platform::{chrome, messaging::send, t, t_with};

use super::common::{
    self, alert_view, diagnosis_view, error_text, kind_label, kind_value, page_document,
    priority_from_value, priority_value, status_from_markup, text_view,
};
use super::dom::build::{wrap, Dispatch, Region, View};
use super::dom::{self, toggle_attr, Listener};

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

/// The form's fields by name (`data-part` of the control; `error-<name>` is its error slot):
/// the settings, then the password grant's.
const FIELDS: [&str; 10] = [
    "instance",
    "client_id",
    "client_secret",
    "default_kind",
    "default_priority",
    "due_in_days",
    "refresh_minutes",
    "fallback_user_id",
    "username",
    "password",
];

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
    /// Submit and button listeners: live as long as the form.
    _listeners: Vec<Listener>,
}

/// Which of `locked` (policy field names) covers the form field `name`.
fn is_locked(view: &SettingsView, name: &str) -> bool {
    view.locked.iter().any(|l| l == name)
}

/// Makes a field read-only (a select: disabled, it has no read-only) and says who set it: the
/// "set by your administrator" note goes between hint and error, and into the description.
fn lock_field(doc: &Document, control: &Element, error: &Element) {
    let attr = if control.tag_name().eq_ignore_ascii_case("select") {
        "disabled"
    } else {
        "readonly"
    };
    let _ = control.set_attribute(attr, "");
    let _ = control.set_attribute("aria-readonly", "true");
    if let Some(wrapper) = control.parent_element() {
        let _ = wrapper.class_list().add_1("is-locked");
    }
    let Some(note) = instantiate_by_id(doc, "tpl-locked-note") else {
        return;
    };
    let note_id = format!("{}-locked", control.id());
    note.set_id(&note_id);
    let _ = error.before_with_node_1(&note);
    let described = control
        .get_attribute("aria-describedby")
        .unwrap_or_default();
    let described: Vec<&str> = described
        .split_whitespace()
        .flat_map(|id| {
            if id == error.id() {
                vec![note_id.as_str(), id]
            } else {
                vec![id]
            }
        })
        .collect();
    let _ = control.set_attribute("aria-describedby", &described.join(" "));
}

/// A click (or submit) on `node` reported as `action`.
fn on(
    node: &Element,
    kind: &'static str,
    dispatch: &Dispatch<OptionsAction>,
    action: OptionsAction,
) -> Listener {
    let d = dispatch.clone();
    Listener::new(node.unchecked_ref(), kind, move |e: Event| {
        e.prevent_default();
        d(action.clone())
    })
}

/// Binds the settings form in `root` (the page's markup) to the saved settings. Buttons report
/// through `dispatch`; submitting the form is Connect. `None` when the markup lacks a part.
pub fn bind_settings_form(
    root: &Element,
    view: &SettingsView,
    dispatch: &Dispatch<OptionsAction>,
) -> Option<ConnectionForm> {
    let doc = root.owner_document()?;
    let mut fields = Vec::new();
    for name in FIELDS {
        let control: Element = part(root, name)?;
        let error: Element = part(root, &format!("error-{name}"))?;
        if is_locked(view, name) {
            lock_field(&doc, &control, &error);
        }
        fields.push((name, control, error));
    }
    let input = |name: &str| part::<HtmlInputElement>(root, name);
    let form = ConnectionForm {
        instance: input("instance")?,
        client_id: input("client_id")?,
        client_secret: input("client_secret")?,
        clear_secret: input("clear-secret")?,
        default_kind: part(root, "default_kind")?,
        default_priority: part(root, "default_priority")?,
        due_in_days: input("due_in_days")?,
        fallback_user_id: input("fallback_user_id")?,
        refresh_minutes: input("refresh_minutes")?,
        username: input("username")?,
        password: input("password")?,
        redirect_url: input("redirect-url")?,
        connect_button: part(root, "connect")?,
        save_button: part(root, "save")?,
        password_button: part(root, "password-sign-in")?,
        messages: part(root, "settings-messages")?,
        fields,
        _listeners: vec![
            on(
                &part(root, "settings-form")?,
                "submit",
                dispatch,
                OptionsAction::Connect,
            ),
            on(&part(root, "save")?, "click", dispatch, OptionsAction::Save),
            on(
                &part(root, "copy-redirect")?,
                "click",
                dispatch,
                OptionsAction::CopyRedirectUrl,
            ),
            on(
                &part(root, "password-sign-in")?,
                "click",
                dispatch,
                OptionsAction::PasswordSignIn,
            ),
        ],
    };
    form.instance
        .set_value(view.instance.as_deref().unwrap_or(""));
    form.client_id
        .set_value(view.client_id.as_deref().unwrap_or(""));
    form.default_kind.set_value(kind_value(view.defaults.kind));
    form.default_priority
        .set_value(priority_value(view.defaults.priority));
    form.due_in_days
        .set_value(&view.defaults.due_in_days.to_string());
    form.fallback_user_id
        .set_value(view.fallback_user_id.as_deref().unwrap_or(""));
    form.refresh_minutes
        .set_value(&if view.refresh_minutes == 0 {
            String::new()
        } else {
            view.refresh_minutes.to_string()
        });
    form.show_saved_secret(view);
    form.redirect_url.set_value(&view.redirect_url);
    Some(form)
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
        self.show_saved_secret(view);
        self.redirect_url.set_value(&view.redirect_url);
    }

    /// A stored secret is never shown: the field says one is saved and offers to clear it.
    fn show_saved_secret(&self, view: &SettingsView) {
        if view.has_client_secret {
            let _ = self
                .client_secret
                .set_attribute("placeholder", &t("options_client_secret_saved"));
        } else {
            let _ = self.client_secret.remove_attribute("placeholder");
        }
        if let Some(row) = self.clear_secret.parent_element() {
            toggle_attr(&row, "hidden", !view.has_client_secret);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Diagnostics and state names
// ---------------------------------------------------------------------------------------------

/// `node`'s `data-part="name"` descendant, given `text`.
fn set_part_text(node: &Element, name: &str, text: &str) -> Option<()> {
    part::<Element>(node, name)?.set_text_content(Some(text));
    Some(())
}

/// "Test connection": one list item per step, passed or failed, with cause and fix.
pub fn render_diagnostics(report: &DiagnosticReport) -> Option<Element> {
    let doc = page_document()?;
    let view = instantiate_by_id(&doc, "tpl-diagnostics")?;
    let outcome = if report.ok { "is-ok" } else { "is-error" };
    let _ = view.class_list().add_1(outcome);
    let summary = if report.ok {
        t("options_test_ok")
    } else {
        t("options_test_failed")
    };
    set_part_text(&view, "summary", &summary)?;
    let steps: Element = part(&view, "steps")?;
    for step in &report.steps {
        let name = {
            let s = t(&step.step_key);
            if s == step.step_key {
                step.step_key.trim_start_matches("step_").replace('_', " ")
            } else {
                s
            }
        };
        let item = instantiate_by_id(&doc, "tpl-step")?;
        let _ = item
            .class_list()
            .add_1(if step.ok { "is-ok" } else { "is-error" });
        let outcome = if step.ok {
            t("options_step_passed")
        } else {
            t("options_step_failed")
        };
        set_part_text(&item, "outcome", &outcome)?;
        set_part_text(&item, "name", &name)?;
        let ms = format!("{:.0}", step.elapsed_ms.max(0.0));
        set_part_text(&item, "time", &t_with("options_step_ms", &[&ms]))?;
        if let Some(d) = step.diagnosis.as_ref().and_then(diagnosis_view) {
            let _ = item.append_child(&d);
        }
        let _ = steps.append_child(&item);
    }
    Some(view)
}

/// The state names of both kinds as editable tables, and the inputs in `names` order. The view
/// holds one listener: Reset empties its row's input.
pub fn render_state_names(names: &[StateName]) -> Option<(View, Vec<HtmlInputElement>)> {
    let doc = page_document()?;
    if names.is_empty() {
        let empty = instantiate_by_id(&doc, "tpl-state-names-empty")?;
        return Some((wrap(empty).build(), Vec::new()));
    }
    let tables = instantiate_by_id(&doc, "tpl-state-tables")?;
    let mut inputs: Vec<(usize, HtmlInputElement)> = Vec::new();
    for kind in TicketKind::ALL {
        let rows: Vec<(usize, &StateName)> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| n.kind == kind)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let table = instantiate_by_id(&doc, "tpl-state-table")?;
        let _ = table.set_attribute("data-kind", kind_value(kind));
        set_part_text(&table, "caption", &kind_label(kind))?;
        let body: Element = part(&table, "rows")?;
        for (i, n) in rows {
            let row = instantiate_by_id(&doc, "tpl-state-row")?;
            set_part_text(&row, "state", &n.state)?;
            set_part_text(&row, "label", &n.instance_label)?;
            let input: HtmlInputElement = part(&row, "input")?;
            let _ = input.set_attribute("placeholder", &n.instance_label);
            let name_for = t_with("options_state_display_name_for", &[&n.instance_label]);
            let _ = input.set_attribute("aria-label", &name_for);
            input.set_value(n.custom_label.as_deref().unwrap_or(""));
            let reset: Element = part(&row, "reset")?;
            let reset_for = t_with("options_state_reset_for", &[&n.instance_label]);
            let _ = reset.set_attribute("aria-label", &reset_for);
            inputs.push((i, input));
            let _ = body.append_child(&row);
        }
        let _ = tables.append_child(&table);
    }
    let view = wrap(tables)
        .on("click", |e: Event| {
            let reset = e
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|t| t.closest("[data-part=\"reset\"]").ok().flatten());
            let input = reset
                .and_then(|r| r.closest("tr").ok().flatten())
                .and_then(|row| part::<HtmlInputElement>(&row, "input"));
            if let Some(input) = input {
                input.set_value("");
                let _ = input.focus();
            }
        })
        .build();
    inputs.sort_by_key(|(i, _)| *i);
    Some((view, inputs.into_iter().map(|(_, h)| h).collect()))
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
    /// The connection and state-name buttons' listeners: live as long as the page.
    listeners: RefCell<Vec<Listener>>,
    mapping: RefCell<Option<Rc<super::mapping::MappingSection>>>,
    busy: Cell<bool>,
}

pub fn start() {
    let Some(doc) = page_document() else {
        return;
    };
    // Translated first thing; the form stays hidden (a spinner shows) until the saved
    // settings are in it, so nothing typed is overwritten by their late arrival.
    let Some(root) = crate::platform::template::bind_page(&doc) else {
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
        listeners: RefCell::new(Vec::new()),
        mapping: RefCell::new(None),
        busy: Cell::new(false),
    });
    super::page::keep(&page);
    let p = page.clone();
    spawn_local(async move {
        let (mut view, error) = match send(RequestBody::GetSettings).await {
            ResponseBody::Settings(v) => (v, None),
            other => (SettingsView::default(), Some(common::unexpected(&other))),
        };
        if view.redirect_url.is_empty() {
            // Asked of the browser here too, so it shows even without the worker (each browser
            // has its own form: chromiumapp.org, extensions.allizom.org).
            view.redirect_url = chrome::identity_redirect_url();
        }
        if p.bind(&root, view).is_none() {
            // The markup and this code disagree: a build defect, shown rather than hidden.
            crate::platform::log("snshare: options.html lacks a part the page drives");
            return;
        }
        if let Some(e) = error {
            p.message(
                &p.form_msg,
                alert_view(&t_with("options_settings_load_failed", &[&e])),
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
    fn bind(self: &Rc<Self>, root: &Element, view: SettingsView) -> Option<()> {
        let dispatch = super::page::dispatch(self);
        let form = bind_settings_form(root, &view, &dispatch)?;
        let mapping = super::mapping::bind(root, &view)?;
        let buttons = Buttons {
            connect: form.connect_button.clone(),
            save: form.save_button.clone(),
            authorize: part(root, "authorize")?,
            password: form.password_button.clone(),
            test: part(root, "test")?,
            remove: part(root, "remove")?,
            save_names: part(root, "save-state-names")?,
        };
        *self.listeners.borrow_mut() = vec![
            on(
                &buttons.authorize,
                "click",
                &dispatch,
                OptionsAction::Authorize,
            ),
            on(
                &buttons.test,
                "click",
                &dispatch,
                OptionsAction::TestConnection,
            ),
            on(
                &buttons.remove,
                "click",
                &dispatch,
                OptionsAction::RemoveConnection,
            ),
            on(
                &buttons.save_names,
                "click",
                &dispatch,
                OptionsAction::SaveStateNames,
            ),
        ];
        let region = |name: &str| part::<Element>(root, name).map(Region::new);
        *self.status_region.borrow_mut() = Some(region("status")?);
        *self.connection_msg.borrow_mut() = Some(region("connection-messages")?);
        *self.form_msg.borrow_mut() = Some(Region::new(form.messages.clone()));
        *self.diag.borrow_mut() = Some(region("diagnostics")?);
        *self.names_region.borrow_mut() = Some(region("state-names")?);
        *self.names_msg.borrow_mut() = Some(region("state-names-messages")?);
        *self.view.borrow_mut() = view;
        *self.form.borrow_mut() = Some(form);
        *self.buttons.borrow_mut() = Some(buttons);
        *self.mapping.borrow_mut() = Some(mapping);
        self.render_status();
        if let Some(loading) = part::<Element>(root, "loading") {
            loading.remove();
        }
        toggle_attr(&part::<Element>(root, "page")?, "hidden", false);
        Some(())
    }

    /// Shows `content` in `region` (nothing: empties it).
    fn message(&self, region: &RefCell<Option<Region>>, content: Option<Element>) {
        if let Some(r) = region.borrow_mut().as_mut() {
            match content {
                Some(c) => r.set(wrap(c).build()),
                None => r.clear(),
            }
        }
    }

    fn notice(&self, region: &RefCell<Option<Region>>, text: &str) {
        self.message(region, text_view("tpl-notice", text));
    }

    fn progress(&self, region: &RefCell<Option<Region>>, text: &str) {
        self.message(region, text_view("tpl-progress", text));
    }

    fn success(&self, region: &RefCell<Option<Region>>, text: &str) {
        self.message(region, text_view("tpl-success", text));
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
        self.message(
            &self.status_region,
            status_from_markup(status.as_ref(), true),
        );
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
                    alert_view(&common::unexpected(&other)),
                );
            }
        }
    }

    async fn load_state_names(&self) {
        match send(RequestBody::GetStateNames).await {
            ResponseBody::StateNames(names) => {
                let rendered = render_state_names(&names);
                if let Some(r) = self.names_region.borrow_mut().as_mut() {
                    match rendered {
                        Some((view, inputs)) => {
                            r.set(view);
                            *self.names.borrow_mut() = (names.clone(), inputs);
                        }
                        None => r.clear(),
                    }
                }
                if let Some(b) = self.buttons.borrow().as_ref() {
                    toggle_attr(&b.save_names, "hidden", names.is_empty());
                }
            }
            other => {
                // Not connected: nothing went wrong, the names just come with the connection.
                let connected = self
                    .status
                    .borrow()
                    .as_ref()
                    .is_some_and(|s| s.state != ConnectionState::NotConnected);
                let unavailable = page_document()
                    .and_then(|doc| instantiate_by_id(&doc, "tpl-state-names-unavailable"));
                if let Some(node) = &unavailable {
                    if let Some(alert) = connected
                        .then(|| alert_view(&common::unexpected(&other)))
                        .flatten()
                    {
                        let _ = node.append_child(&alert);
                    }
                }
                self.message(&self.names_region, unavailable);
                if let Some(b) = self.buttons.borrow().as_ref() {
                    toggle_attr(&b.save_names, "hidden", true);
                }
                *self.names.borrow_mut() = (Vec::new(), Vec::new());
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
                self.message(&self.form_msg, alert_view(&t("options_fix_fields")));
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
                self.message(&self.form_msg, alert_view(&text));
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
                self.message(&self.form_msg, alert_view(&common::unexpected(&other)));
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
                    alert_view(&t_with("options_permission_denied", &[&origin])),
                );
                return;
            }
            Err(e) => {
                let text = format!("{} {}", t_with("options_permission_failed", &[&origin]), e);
                self.message(&self.form_msg, alert_view(text.trim()));
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
                        alert_view(&t("options_authorize_incomplete")),
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
                        alert_view(&t("options_authorize_incomplete")),
                    );
                }
            }
            ResponseBody::Diagnostics(report) => {
                self.message(&self.form_msg, alert_view(&t("options_authorize_failed")));
                self.message(&self.diag, render_diagnostics(&report));
                self.refresh_status().await;
            }
            other => {
                self.message(&self.form_msg, alert_view(&common::unexpected(&other)));
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
        self.progress(&self.diag, &t("options_testing"));
        let answer = send(RequestBody::TestConnection).await;
        let content = match &answer {
            ResponseBody::Diagnostics(report) => render_diagnostics(report),
            other => alert_view(&common::unexpected(other)),
        };
        self.message(&self.diag, content);
        self.refresh_status().await;
        self.set_busy(false);
    }

    async fn remove_connection(&self) {
        self.set_busy(true);
        self.progress(&self.connection_msg, &t("options_removing"));
        match send(RequestBody::Disconnect).await {
            answer @ (ResponseBody::Done | ResponseBody::Status(_)) => {
                self.message(&self.diag, None);
                let unconfirmed = matches!(&answer, ResponseBody::Status(s)
                    if s.warnings.iter().any(|w| w == WARNING_REVOKE_UNCONFIRMED));
                if unconfirmed {
                    self.message(
                        &self.connection_msg,
                        alert_view(&t(WARNING_REVOKE_UNCONFIRMED)),
                    );
                } else {
                    self.success(&self.connection_msg, &t("options_removed"));
                }
                self.refresh_status().await;
                self.load_state_names().await;
            }
            other => self.message(
                &self.connection_msg,
                alert_view(&common::unexpected(&other)),
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

impl super::page::Page for OptionsPage {
    type Action = OptionsAction;

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
                        other => p.message(&p.names_msg, alert_view(&common::unexpected(&other))),
                    }
                });
            }
        }
    }
}
