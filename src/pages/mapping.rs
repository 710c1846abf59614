//! The options page's "Field mapping" section: the assignment group, the caller and the
//! standard change template searched among the instance's records, and which choice field (and
//! which of its values) receives the Secure Score category. The worker checks everything
//! against the instance before it saves (`background::mapping`).
//!
//! The section's markup is in `extension/options.html`: the three pickers as they are, a
//! category fieldset per ticket kind from `tpl-mapping-category`.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, Event, HtmlInputElement, HtmlOptionElement};

use crate::domain::settings::{
    CategoryMapping, CategoryValue, FieldMapping, RecordRef, SettingsInput, SettingsView,
};
use crate::domain::ticket::{Category, TicketKind};
use crate::messages::{RecordTable, RequestBody, ResponseBody, SettingsError};
use crate::platform::template::{instantiate_by_id, part};
use crate::platform::{messaging::send, t, Debouncer};

use super::common::{self, alert_view, category_label, error_text, text_view};
use super::dom::Listener;

/// Quiet time before a typed name is searched on the instance.
const SEARCH_DEBOUNCE_MS: i32 = 250;

/// A text field whose value must be one of the instance's records.
struct Picker {
    table: RecordTable,
    input: HtmlInputElement,
    list: Element,
    error: Element,
    found: RefCell<Vec<RecordRef>>,
    chosen: RefCell<Option<RecordRef>>,
    search: RefCell<Option<Debouncer>>,
}

impl Picker {
    fn on_input(&self) {
        let text = self.input.value();
        let text = text.trim();
        let exact = self
            .found
            .borrow()
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(text))
            .cloned();
        let searching = exact.is_none() && !text.is_empty();
        *self.chosen.borrow_mut() = exact;
        if searching {
            if let Some(d) = self.search.borrow().as_ref() {
                d.trigger();
            }
        }
    }

    fn search(this: &Rc<Picker>) {
        let text = this.input.value().trim().to_owned();
        if text.is_empty() {
            return;
        }
        let w = Rc::downgrade(this);
        let table = this.table;
        spawn_local(async move {
            let found = match send(RequestBody::SearchRecords {
                table,
                text: text.clone(),
            })
            .await
            {
                ResponseBody::Records(r) => r,
                _ => Vec::new(),
            };
            let Some(p) = w.upgrade() else { return };
            p.list.set_text_content(None);
            for r in &found {
                if let Ok(option) = HtmlOptionElement::new_with_text_and_value("", &r.name) {
                    let _ = p.list.append_child(&option);
                }
            }
            *p.found.borrow_mut() = found;
            if p.input.value().trim() == text {
                p.on_input();
            }
        });
    }

    /// The chosen record, or an error when a name was typed that is no record.
    fn read(&self) -> Result<Option<RecordRef>, ()> {
        self.error.set_text_content(None);
        let _ = self.error.set_attribute("hidden", "");
        if self.input.value().trim().is_empty() {
            return Ok(None);
        }
        match self.chosen.borrow().clone() {
            Some(r) => Ok(Some(r)),
            None => {
                self.show_error(&t("options_error_choose_from_list"));
                Err(())
            }
        }
    }

    fn show_error(&self, text: &str) {
        self.error.set_text_content(Some(text));
        let _ = self.error.remove_attribute("hidden");
    }
}

/// The category mapping of one ticket kind.
struct CategoryRow {
    kind: TicketKind,
    field: HtmlInputElement,
    values: Vec<(Category, HtmlInputElement)>,
    choices: Element,
    error: Element,
}

pub struct MappingSection {
    pickers: Vec<(&'static str, Rc<Picker>)>,
    rows: Vec<CategoryRow>,
    message: Element,
    /// Typing, Load choices and Save: live as long as the section.
    listeners: RefCell<Vec<Listener>>,
}

/// The pickers: field name, the table searched, the saved record.
fn pickers(m: &FieldMapping) -> [(&'static str, RecordTable, &Option<RecordRef>); 3] {
    [
        ("assignment_group", RecordTable::Group, &m.assignment_group),
        ("caller", RecordTable::User, &m.caller),
        (
            "standard_change_template",
            RecordTable::StandardChangeTemplate,
            &m.standard_change_template,
        ),
    ]
}

/// A `tpl-mapping-category` fieldset for `kind`, its ids derived from the kind's table, filled
/// with the saved mapping.
fn category_row(
    doc: &web_sys::Document,
    kind: TicketKind,
    m: &FieldMapping,
) -> Option<(Element, Element, CategoryRow)> {
    let fieldset = instantiate_by_id(doc, "tpl-mapping-category")?;
    let key = kind.table().replace('_', "-");
    let mapped = m.category.iter().find(|c| c.kind == kind);
    let field_id = format!("mapping-category-{key}");
    let choices_id = format!("{field_id}-choices");
    let legend = match kind {
        TicketKind::Incident => t("options_mapping_category_incident"),
        TicketKind::ChangeRequest => t("options_mapping_category_change_request"),
    };
    part::<Element>(&fieldset, "legend")?.set_text_content(Some(&legend));
    let _ = part::<Element>(&fieldset, "field-label")?.set_attribute("for", &field_id);
    let field: HtmlInputElement = part(&fieldset, "field")?;
    field.set_id(&field_id);
    field.set_value(mapped.map(|c| c.field.as_str()).unwrap_or(""));
    let choices: Element = part(&fieldset, "choices")?;
    choices.set_id(&choices_id);
    let error: Element = part(&fieldset, "error")?;
    error.set_id(&format!("{field_id}-error"));
    let _ = field.set_attribute("aria-describedby", &error.id());
    let grid: Element = part(&fieldset, "values")?;
    let mut values = Vec::new();
    for c in Category::ALL {
        let cell = instantiate_by_id(doc, "tpl-mapping-value")?;
        let id = format!("{field_id}-{}", c.value());
        let label: Element = part(&cell, "label")?;
        let _ = label.set_attribute("for", &id);
        label.set_text_content(Some(&category_label(c)));
        let input: HtmlInputElement = part(&cell, "value")?;
        input.set_id(&id);
        let _ = input.set_attribute("list", &choices_id);
        let current = mapped
            .and_then(|m| m.values.iter().find(|v| v.category == c))
            .map(|v| v.value.as_str())
            .unwrap_or("");
        input.set_value(current);
        values.push((c, input));
        let _ = grid.append_child(&cell);
    }
    let load: Element = part(&fieldset, "load")?;
    let row = CategoryRow {
        kind,
        field,
        values,
        choices,
        error,
    };
    Some((fieldset, load, row))
}

/// Binds the section in `root` (the options page's markup) to the saved mapping.
pub fn bind(root: &Element, view: &SettingsView) -> Option<Rc<MappingSection>> {
    let doc = root.owner_document()?;
    let m = &view.mapping;
    let mut listeners = Vec::new();
    let mut bound = Vec::new();
    for (name, table, value) in pickers(m) {
        let input: HtmlInputElement = part(root, &format!("picker-{name}"))?;
        input.set_value(value.as_ref().map(|r| r.name.as_str()).unwrap_or(""));
        let picker = Rc::new(Picker {
            table,
            input,
            list: part(root, &format!("picker-list-{name}"))?,
            error: part(root, &format!("picker-error-{name}"))?,
            found: RefCell::new(value.iter().cloned().collect()),
            chosen: RefCell::new(value.clone()),
            search: RefCell::new(None),
        });
        let w: Weak<Picker> = Rc::downgrade(&picker);
        *picker.search.borrow_mut() = Some(Debouncer::new(SEARCH_DEBOUNCE_MS, move || {
            if let Some(p) = w.upgrade() {
                Picker::search(&p);
            }
        }));
        let w = Rc::downgrade(&picker);
        listeners.push(Listener::new(
            picker.input.unchecked_ref(),
            "input",
            move |_: Event| {
                if let Some(p) = w.upgrade() {
                    p.on_input();
                }
            },
        ));
        bound.push((name, picker));
    }

    let actions: Element = part(root, "mapping-actions")?;
    let mut rows = Vec::new();
    let mut loads = Vec::new();
    for kind in TicketKind::ALL {
        let (fieldset, load, row) = category_row(&doc, kind, m)?;
        let _ = actions.before_with_node_1(&fieldset);
        loads.push((kind, load));
        rows.push(row);
    }
    let save: Element = part(root, "save-mapping")?;
    let section = Rc::new(MappingSection {
        pickers: bound,
        rows,
        message: part(root, "mapping-messages")?,
        listeners: RefCell::new(Vec::new()),
    });
    for (kind, load) in loads {
        let w = Rc::downgrade(&section);
        listeners.push(Listener::new(load.unchecked_ref(), "click", move |_| {
            if let Some(s) = w.upgrade() {
                s.load_choices(kind);
            }
        }));
    }
    let w = Rc::downgrade(&section);
    listeners.push(Listener::new(save.unchecked_ref(), "click", move |_| {
        if let Some(s) = w.upgrade() {
            s.save();
        }
    }));
    *section.listeners.borrow_mut() = listeners;
    Some(section)
}

impl MappingSection {
    fn say(&self, node: Option<Element>) {
        self.message.set_text_content(None);
        if let Some(node) = node {
            let _ = self.message.append_child(&node);
        }
    }

    /// The field's choices from the instance, offered as suggestions for the values.
    fn load_choices(self: &Rc<Self>, kind: TicketKind) {
        let Some(row) = self.rows.iter().find(|r| r.kind == kind) else {
            return;
        };
        let field = row.field.value().trim().to_owned();
        let field = if field.is_empty() {
            "category".to_owned()
        } else {
            field
        };
        let w = Rc::downgrade(self);
        spawn_local(async move {
            let answer = send(RequestBody::GetFieldChoices { kind, field }).await;
            let Some(s) = w.upgrade() else { return };
            let Some(row) = s.rows.iter().find(|r| r.kind == kind) else {
                return;
            };
            row.choices.set_text_content(None);
            row.error.set_text_content(None);
            let _ = row.error.set_attribute("hidden", "");
            match answer {
                ResponseBody::Choices(c) if !c.is_empty() => {
                    for choice in c {
                        let option = HtmlOptionElement::new_with_text_and_value(
                            &choice.label,
                            &choice.value,
                        );
                        if let Ok(option) = option {
                            let _ = row.choices.append_child(&option);
                        }
                    }
                }
                _ => {
                    row.error
                        .set_text_content(Some(&t("options_error_category_unreadable")));
                    let _ = row.error.remove_attribute("hidden");
                }
            }
        });
    }

    /// The mapping as typed, or `None` after showing what to fix.
    fn read(&self) -> Option<FieldMapping> {
        let mut ok = true;
        let mut chosen = Vec::new();
        for (_, p) in &self.pickers {
            match p.read() {
                Ok(r) => chosen.push(r),
                Err(()) => {
                    ok = false;
                    chosen.push(None);
                }
            }
        }
        let category = self
            .rows
            .iter()
            .filter_map(|row| {
                let field = row.field.value().trim().to_owned();
                let values: Vec<CategoryValue> = row
                    .values
                    .iter()
                    .filter_map(|(c, i)| {
                        let v = i.value().trim().to_owned();
                        (!v.is_empty()).then_some(CategoryValue {
                            category: *c,
                            value: v,
                        })
                    })
                    .collect();
                (!field.is_empty() && !values.is_empty()).then_some(CategoryMapping {
                    kind: row.kind,
                    field,
                    values,
                })
            })
            .collect();
        let mut chosen = chosen.into_iter();
        let mapping = FieldMapping {
            assignment_group: chosen.next().flatten(),
            caller: chosen.next().flatten(),
            standard_change_template: chosen.next().flatten(),
            category,
        };
        ok.then_some(mapping)
    }

    fn show_errors(&self, errors: &[SettingsError]) {
        for e in errors {
            let text = error_text(&e.message_key);
            if let Some((_, p)) = self.pickers.iter().find(|(n, _)| *n == e.field) {
                p.show_error(&text);
            } else if let Some(row) = self
                .rows
                .iter()
                .find(|r| e.field == format!("category_{}", r.kind.table()))
            {
                row.error.set_text_content(Some(&text));
                let _ = row.error.remove_attribute("hidden");
            } else {
                self.say(alert_view(&text));
            }
        }
    }

    /// Saves the mapping with the other settings as stored; the worker checks it first.
    fn save(self: &Rc<Self>) {
        let Some(mapping) = self.read() else {
            self.say(alert_view(&t("options_fix_fields")));
            return;
        };
        for row in &self.rows {
            row.error.set_text_content(None);
            let _ = row.error.set_attribute("hidden", "");
        }
        self.say(text_view("tpl-progress", &t("options_saving")));
        let w = Rc::downgrade(self);
        spawn_local(async move {
            let view = match send(RequestBody::GetSettings).await {
                ResponseBody::Settings(v) => v,
                other => {
                    if let Some(s) = w.upgrade() {
                        s.say(alert_view(&common::unexpected(&other)));
                    }
                    return;
                }
            };
            let Some(instance) = view.instance.clone() else {
                if let Some(s) = w.upgrade() {
                    s.say(alert_view(&t("options_error_mapping_not_connected")));
                }
                return;
            };
            let input = SettingsInput {
                instance,
                client_id: view.client_id.clone().unwrap_or_default(),
                client_secret: None,
                defaults: view.defaults.clone(),
                fallback_user_id: view.fallback_user_id.clone(),
                refresh_minutes: Some(view.refresh_minutes).filter(|m| *m > 0),
                mapping: Some(mapping),
            };
            let answer = send(RequestBody::SaveSettings(input)).await;
            let Some(s) = w.upgrade() else { return };
            match answer {
                ResponseBody::SettingsSaved { errors } if !errors.is_empty() => {
                    s.say(alert_view(&t("options_fix_fields")));
                    s.show_errors(&errors);
                }
                ResponseBody::SettingsSaved { .. } => {
                    s.say(text_view("tpl-success", &t("options_mapping_saved")));
                }
                other => s.say(alert_view(&common::unexpected(&other))),
            }
        });
    }
}
