//! The options page's "Field mapping" section: the assignment group, the caller and the
//! standard change template searched among the instance's records, and which choice field (and
//! which of its values) receives the Secure Score category. The worker checks everything
//! against the instance before it saves (`background::mapping`).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlInputElement};

use crate::domain::settings::{
    CategoryMapping, CategoryValue, FieldMapping, RecordRef, SettingsInput, SettingsView,
};
use crate::domain::ticket::{Category, TicketKind};
use crate::messages::{RecordTable, RequestBody, ResponseBody, SettingsError};
use crate::platform::{messaging::send, t, Debouncer};

use super::common::{self, alert, category_label};
use super::dom::build::{el, El};

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
                let _ = p
                    .list
                    .append_child(el("option").attr("value", &r.name).node());
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
}

fn input(id: &str, value: &str) -> El {
    el("input")
        .attr("type", "text")
        .attr("autocomplete", "off")
        .id(id)
        .value(value)
}

fn error_slot(id: &str) -> El {
    el("p")
        .id(id)
        .class("field-error")
        .attr("role", "alert")
        .attr("hidden", "")
}

/// Builds the section from the saved mapping; the `El` carries its listeners.
pub fn render(view: &SettingsView) -> (El, Rc<MappingSection>) {
    let m = &view.mapping;
    let mut picker_els = Vec::new();
    let mut pickers = Vec::new();
    for (name, table, label, value) in [
        (
            "assignment_group",
            RecordTable::Group,
            t("options_mapping_group"),
            &m.assignment_group,
        ),
        (
            "caller",
            RecordTable::User,
            t("options_mapping_caller"),
            &m.caller,
        ),
        (
            "standard_change_template",
            RecordTable::StandardChangeTemplate,
            t("options_mapping_template"),
            &m.standard_change_template,
        ),
    ] {
        let id = format!("mapping-{}", name.replace('_', "-"));
        let list_id = format!("{id}-list");
        let control = input(&id, value.as_ref().map(|r| r.name.as_str()).unwrap_or(""))
            .attr("list", &list_id)
            .attr("aria-describedby", &format!("{id}-error"));
        let list = el("datalist").id(&list_id);
        let error = error_slot(&format!("{id}-error"));
        let picker = Rc::new(Picker {
            table,
            input: control.handle(),
            list: list.node().clone(),
            error: error.node().clone(),
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
        let control = control.on("input", move |_| {
            if let Some(p) = w.upgrade() {
                p.on_input();
            }
        });
        picker_els.push(
            el("div")
                .class("field")
                .child(el("label").attr("for", &id).text(&label))
                .child(control)
                .child(list)
                .child(error),
        );
        pickers.push((name, picker));
    }

    let mut rows = Vec::new();
    let mut row_els = Vec::new();
    for kind in TicketKind::ALL {
        let key = kind.table().replace('_', "-");
        let mapped = m.category.iter().find(|c| c.kind == kind);
        let field_id = format!("mapping-category-{key}");
        let choices_id = format!("{field_id}-choices");
        let field = input(&field_id, mapped.map(|c| c.field.as_str()).unwrap_or(""))
            .attr("placeholder", "category");
        let choices = el("datalist").id(&choices_id);
        let error = error_slot(&format!("{field_id}-error"));
        let mut values = Vec::new();
        let mut value_els = Vec::new();
        for c in Category::ALL {
            let id = format!("{field_id}-{}", c.value());
            let current = mapped
                .and_then(|m| m.values.iter().find(|v| v.category == c))
                .map(|v| v.value.as_str())
                .unwrap_or("");
            let control = input(&id, current).attr("list", &choices_id);
            values.push((c, control.handle::<HtmlInputElement>()));
            value_els.push(
                el("div")
                    .class("field")
                    .child(el("label").attr("for", &id).text(&category_label(c)))
                    .child(control),
            );
        }
        let legend = match kind {
            TicketKind::Incident => t("options_mapping_category_incident"),
            TicketKind::ChangeRequest => t("options_mapping_category_change_request"),
        };
        let load = el("button")
            .attr("type", "button")
            .class("btn")
            .text(&t("options_mapping_load_choices"));
        rows.push(CategoryRow {
            kind,
            field: field.handle(),
            values,
            choices: choices.node().clone(),
            error: error.node().clone(),
        });
        row_els.push((
            kind,
            el("fieldset")
                .class("mapping-category")
                .child(el("legend").text(&legend))
                .child(
                    el("div")
                        .class("field")
                        .child(
                            el("label")
                                .attr("for", &field_id)
                                .text(&t("options_mapping_category_field")),
                        )
                        .child(field),
                )
                .child(choices)
                .child(el("div").class("grid").children(value_els)),
            load,
            error,
        ));
    }
    let message = el("div").class("messages").attr("aria-live", "polite");
    let section = Rc::new(MappingSection {
        pickers,
        rows,
        message: message.node().clone(),
    });

    let mut categories = Vec::new();
    for (kind, fieldset, load, error) in row_els {
        let w = Rc::downgrade(&section);
        let load = load.on("click", move |_| {
            if let Some(s) = w.upgrade() {
                s.load_choices(kind);
            }
        });
        categories.push(
            fieldset
                .child(el("div").class("actions").child(load))
                .child(error),
        );
    }
    let w = Rc::downgrade(&section);
    let save = el("button")
        .attr("type", "button")
        .id("save-mapping")
        .class("btn")
        .class("btn-primary")
        .text(&t("options_mapping_save"))
        .on("click", move |_| {
            if let Some(s) = w.upgrade() {
                s.save();
            }
        });
    let el = el("section")
        .class("card")
        .id("field-mapping")
        .attr("aria-labelledby", "mapping-heading")
        .child(
            el("h2")
                .id("mapping-heading")
                .text(&t("options_mapping_heading")),
        )
        .child(el("p").class("field-hint").text(&t("options_mapping_hint")))
        .child(el("div").class("grid").children(picker_els))
        .children(categories)
        .child(el("div").class("actions").child(save))
        .child(message);
    (el, section)
}

impl MappingSection {
    fn say(&self, node: El) {
        self.message.set_text_content(None);
        let _ = self.message.append_child(node.node());
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
                        let _ = row.choices.append_child(
                            el("option")
                                .attr("value", &choice.value)
                                .text(&choice.label)
                                .node(),
                        );
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
            let text = common::error_text(&e.message_key);
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
                self.say(alert(&text));
            }
        }
    }

    /// Saves the mapping with the other settings as stored; the worker checks it first.
    fn save(self: &Rc<Self>) {
        let Some(mapping) = self.read() else {
            self.say(alert(&t("options_fix_fields")));
            return;
        };
        for row in &self.rows {
            row.error.set_text_content(None);
            let _ = row.error.set_attribute("hidden", "");
        }
        self.say(el("p").text(&t("options_saving")));
        let w = Rc::downgrade(self);
        spawn_local(async move {
            let view = match send(RequestBody::GetSettings).await {
                ResponseBody::Settings(v) => v,
                other => {
                    if let Some(s) = w.upgrade() {
                        s.say(alert(&common::unexpected(&other)));
                    }
                    return;
                }
            };
            let Some(instance) = view.instance.clone() else {
                if let Some(s) = w.upgrade() {
                    s.say(alert(&t("options_error_mapping_not_connected")));
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
                    s.say(alert(&t("options_fix_fields")));
                    s.show_errors(&errors);
                }
                ResponseBody::SettingsSaved { .. } => {
                    s.say(el("p").class("success").text(&t("options_mapping_saved")));
                }
                other => s.say(alert(&common::unexpected(&other))),
            }
        });
    }
}
