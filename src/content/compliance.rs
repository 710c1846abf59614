//! Compliance Manager (issue 20): Microsoft Purview's Improvement actions, shared like Secure
//! Score's.
//!
//! The list is recognized by the same code as Secure Score's (`selectors::find_list`, rows,
//! title column, one share button per row by `row_share`, badges by `badges`): its rows link to
//! `/compliancemanager…` URLs (`portal_url::action_id_from_href` gives `cm:<id>`), and its title
//! column is named by [`is_title_header`] in the six languages. What is Compliance Manager's own
//! is here:
//!
//! - its labels per language ([`LABELS`]): the list's columns and the details page's summary
//!   (assessments, regulations, control family, points, implementation and test status);
//! - [`from_row`]: those facts from a row of the list, for the row's share button;
//! - [`find_details`]: an action's details, a flyout (`role=dialog` titled by its heading) or
//!   the page's `<main>` on a details URL;
//! - the feature [`DEF`]: a "Share to ServiceNow" button among the details' own commands (the
//!   first toolbar or menu bar, else beside the title), dressed like its neighbours.
//!
//! The action is keyed `cm:<id>` (`app::Ctx::resolve`), so its tickets, badges, drafts and
//! duplicate checks never meet a Secure Score action of the same id.

use std::rc::Rc;

use web_sys::{Element, Event};

use super::app::Ctx;
use super::dom::{self, all, closest, first, is_ours, set, Listener, OWN_ATTR};
use super::forms::{self, action_from_panel, ActionContext};
use super::marks::CMD_ATTR;
use super::scheduler::{Batch, Feature, FeatureDef};
use super::selectors::{self, label_match, readable_text, same_label, Column};
use crate::domain::draft::ComplianceFacts;
use crate::domain::portal_url::{action_id_from_href, PortalPage};
use crate::platform::t;

pub const DEF: FeatureDef = FeatureDef { applies, init };

const MARK: &str = "cm-share";
const MARK_SELECTOR: &str = "[data-snshare=\"cm-share\"]";
const CMD: &str = "share-cm";
const CMD_SELECTOR: &str = "[data-snshare-cmd=\"share-cm\"]";
/// Where a details view keeps its own commands (Fluent's `CommandBar` is a `menubar`).
const COMMANDS: &str = "[role=\"toolbar\"], [role=\"menubar\"]";
/// What may label a fact on the details page: the label's element, its value the next one.
const FACT_LABEL: &str =
    "dt, th, [role=\"rowheader\"], [role=\"term\"], span, div, p, strong, label, h3, h4";

/// Compliance Manager's texts in one language (Microsoft Learn's "Working with improvement
/// actions in Compliance Manager"; other languages as Microsoft translates them).
#[derive(Debug, Clone, Copy)]
pub struct Labels {
    pub lang: &'static str,
    /// The Improvement actions list's title column.
    pub title_header: &'static str,
    pub assessments: &'static str,
    pub regulations: &'static str,
    pub control_family: &'static str,
    /// "Points achieved" (a label matches its longer forms too).
    pub points: &'static str,
    pub implementation_status: &'static str,
    pub test_status: &'static str,
}

pub const LABELS: [Labels; 6] = [
    Labels {
        lang: "en",
        title_header: "Improvement action",
        assessments: "Assessments",
        regulations: "Regulations",
        control_family: "Control family",
        points: "Points achieved",
        implementation_status: "Implementation status",
        test_status: "Test status",
    },
    Labels {
        lang: "it",
        title_header: "Azione di miglioramento",
        assessments: "Valutazioni",
        regulations: "Normative",
        control_family: "Famiglia di controlli",
        points: "Punti ottenuti",
        implementation_status: "Stato dell'implementazione",
        test_status: "Stato del test",
    },
    Labels {
        lang: "sv",
        title_header: "Förbättringsåtgärd",
        assessments: "Utvärderingar",
        regulations: "Regler",
        control_family: "Kontrollfamilj",
        points: "Uppnådda poäng",
        implementation_status: "Implementeringsstatus",
        test_status: "Teststatus",
    },
    Labels {
        lang: "fr",
        title_header: "Action d’amélioration",
        assessments: "Évaluations",
        regulations: "Réglementations",
        control_family: "Famille de contrôles",
        points: "Points obtenus",
        implementation_status: "État de l’implémentation",
        test_status: "État du test",
    },
    Labels {
        lang: "nl",
        title_header: "Verbeteractie",
        assessments: "Evaluaties",
        regulations: "Regelgeving",
        control_family: "Beheerfamilie",
        points: "Behaalde punten",
        implementation_status: "Implementatiestatus",
        test_status: "Teststatus",
    },
    Labels {
        lang: "zh-TW",
        title_header: "改進動作",
        assessments: "評量",
        regulations: "法規",
        control_family: "控制項系列",
        points: "達成的點數",
        implementation_status: "實作狀態",
        test_status: "測試狀態",
    },
];

/// Other spellings Microsoft uses (singular headers, the older "Compliance Score" wording).
const ALIASES: [(&str, Fact); 8] = [
    ("Assessment", Fact::Assessments),
    ("Regulation", Fact::Regulations),
    ("Regulations and standards", Fact::Regulations),
    ("Standards and regulations", Fact::Regulations),
    ("Control families", Fact::ControlFamily),
    ("Points", Fact::Points),
    ("Score impact", Fact::Points),
    ("Action d'amélioration", Fact::Title),
];

/// What a label names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    Title,
    Assessments,
    Regulations,
    ControlFamily,
    Points,
    ImplementationStatus,
    TestStatus,
}

/// The fact a header or label names, in any known language.
pub fn fact_of(text: &str) -> Option<Fact> {
    LABELS
        .iter()
        .flat_map(|l| {
            [
                (l.title_header, Fact::Title),
                (l.assessments, Fact::Assessments),
                (l.regulations, Fact::Regulations),
                (l.control_family, Fact::ControlFamily),
                (l.points, Fact::Points),
                (l.implementation_status, Fact::ImplementationStatus),
                (l.test_status, Fact::TestStatus),
            ]
        })
        .chain(ALIASES)
        .find(|(label, _)| label_match(text, label))
        .map(|(_, f)| f)
}

/// Whether a column header names the Improvement actions list's title column.
pub fn is_title_header(text: &str) -> bool {
    fact_of(text) == Some(Fact::Title)
}

fn put(facts: &mut ComplianceFacts, fact: Fact, value: String) {
    let slot = match fact {
        Fact::Title => return,
        Fact::Assessments => &mut facts.assessments,
        Fact::Regulations => &mut facts.regulations,
        Fact::ControlFamily => &mut facts.control_family,
        Fact::Points => &mut facts.points,
        Fact::ImplementationStatus => &mut facts.implementation_status,
        Fact::TestStatus => &mut facts.test_status,
    };
    if slot.is_empty() {
        *slot = value;
    }
}

/// The facts a row of the list shows, by its columns' headers.
pub fn row_facts(list: &Element, row: &Element) -> ComplianceFacts {
    let mut facts = ComplianceFacts::default();
    for (position, h) in selectors::header_cells(list).iter().enumerate() {
        let Some(fact) = fact_of(&selectors::accessible_name(h)) else {
            continue;
        };
        let col = Column {
            position,
            colindex: h.get_attribute("aria-colindex"),
            key: h
                .get_attribute("data-automation-key")
                .or_else(|| h.get_attribute("data-item-key"))
                .filter(|k| !k.is_empty()),
        };
        if let Some(cell) = selectors::cell_at(row, &col) {
            put(&mut facts, fact, readable_text(&cell));
        }
    }
    facts
}

/// A row's share: Compliance Manager's facts instead of Secure Score's category and status
/// (the details page's, when it is open for this action, fill what the row lacks).
pub fn from_row(context: &mut ActionContext, list: &Element, row: &Element) {
    let mut facts = row_facts(list, row);
    if let Some(details) = context.compliance.take() {
        for (fact, value) in [
            (Fact::Assessments, details.assessments),
            (Fact::Regulations, details.regulations),
            (Fact::ControlFamily, details.control_family),
            (Fact::Points, details.points),
            (Fact::ImplementationStatus, details.implementation_status),
            (Fact::TestStatus, details.test_status),
        ] {
            if !value.is_empty() {
                put(&mut facts, fact, value);
            }
        }
    }
    context.category = None;
    context.status = None;
    context.compliance = Some(facts);
}

/// The facts of a details view: each label's value is the element after it (`dt`/`dd`, a
/// label and its value side by side).
pub fn details_facts(details: &Element) -> ComplianceFacts {
    let mut facts = ComplianceFacts::default();
    for e in all(details, FACT_LABEL) {
        if e.child_element_count() > 1 || is_ours(&e) {
            continue;
        }
        let text = readable_text(&e);
        if text.is_empty() || text.chars().count() > 40 {
            continue;
        }
        let Some(fact) = fact_of(&text).filter(|f| *f != Fact::Title) else {
            continue;
        };
        // The label must be the whole text (not a sentence that starts with one).
        if !LABELS
            .iter()
            .flat_map(|l| {
                [
                    l.assessments,
                    l.regulations,
                    l.control_family,
                    l.points,
                    l.implementation_status,
                    l.test_status,
                ]
            })
            .chain(ALIASES.iter().map(|(a, _)| *a))
            .any(|l| same_label(&text, l))
        {
            continue;
        }
        let Some(value) = e.next_element_sibling() else {
            continue;
        };
        let value = readable_text(&value);
        if !value.is_empty() {
            put(&mut facts, fact, value);
        }
    }
    facts
}

/// An action's details: a flyout titled by its heading, else, on a details URL, the page's main
/// region (a details page of its own).
pub fn find_details(root: &Element) -> Option<Element> {
    if let Some(panel) = selectors::find_panel(root) {
        return Some(panel);
    }
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    if !matches!(
        PortalPage::from_url(&href),
        Some(PortalPage::ImprovementActionDetail { .. })
    ) {
        return None;
    }
    selectors::main_element(root).filter(|m| selectors::panel_heading(m).is_some())
}

fn applies(page: &PortalPage) -> bool {
    matches!(
        page,
        PortalPage::ImprovementActions | PortalPage::ImprovementActionDetail { .. }
    )
}

struct DetailsShare {
    /// The URL is an action's details (else only a flyout counts as details).
    on_detail: bool,
    /// A button was placed in some details since the page was last without them: only then is
    /// the page asked for it when the details are gone (not on every batch of the list).
    placed: bool,
    _click: Option<Listener>,
}

fn init(ctx: &Rc<Ctx>, page: &PortalPage) -> Box<dyn Feature> {
    let c = ctx.clone();
    let click = web_sys::window()
        .map(|w| Listener::with_capture(w.as_ref(), "click", true, move |e| on_click(&c, &e)));
    Box::new(DetailsShare {
        on_detail: page.action_id().is_some(),
        placed: false,
        _click: click,
    })
}

impl Feature for DetailsShare {
    fn on_batch(&mut self, ctx: &Rc<Ctx>, batch: &Batch) {
        let (details, _) = ctx.panel(batch.structure || batch.initial);
        let details = details.filter(|d| self.on_detail || selectors::is_panel_element(d));
        let Some(details) = details else {
            // Back on the list: the page's main region is no details any more. Its button goes
            // where the portal kept it; the whole page is walked for it once, not on every batch.
            if std::mem::take(&mut self.placed) {
                if let Some(root) = dom::document().and_then(|d| d.document_element()) {
                    dom::remove_all(&root, MARK_SELECTOR);
                }
            }
            return;
        };
        if let Some(mine) = first(&details, MARK_SELECTOR) {
            // Put beside the title while the commands were still loading: moved once they come.
            let bar_now = all(&details, COMMANDS).into_iter().any(|b| !is_ours(&b));
            if !bar_now || closest(&mine, COMMANDS).is_some() {
                return;
            }
            mine.remove();
        }
        add_button(&details);
        self.placed = true;
    }

    fn navigated(&mut self, _ctx: &Rc<Ctx>, page: &PortalPage) {
        self.on_detail = page.action_id().is_some();
    }
}

/// Puts the button among the details' commands (last), else right after the title.
fn add_button(details: &Element) {
    let Some(doc) = dom::document() else { return };
    let bar = all(details, COMMANDS).into_iter().find(|b| !is_ours(b));
    // Dressed like the bar's own buttons (their classes change per release: copied, not named).
    let model = bar.as_ref().and_then(|b| {
        all(b, "button")
            .into_iter()
            .find(|m| !is_ours(m) && m.get_attribute("aria-hidden").is_none())
    });
    let class = model
        .as_ref()
        .and_then(|m| m.get_attribute("class"))
        .unwrap_or_default();
    let button = dom::el(&doc, "button", &class, &t("portal_share_short"));
    set(&button, "type", "button");
    set(&button, OWN_ATTR, MARK);
    set(&button, CMD_ATTR, CMD);
    match (&bar, &model) {
        (Some(_), Some(m)) => {
            // Next to the model's own wrapper when the bar wraps each command (`li`, `div`).
            let anchor = m
                .parent_element()
                .filter(|p| bar.as_ref() != Some(p))
                .unwrap_or_else(|| m.clone());
            if anchor != *m {
                let wrapper = dom::el(&doc, &anchor.tag_name().to_ascii_lowercase(), "", "");
                set(&wrapper, OWN_ATTR, MARK);
                if let Some(role) = anchor.get_attribute("role") {
                    set(&wrapper, "role", &role);
                }
                let _ = button.remove_attribute(OWN_ATTR);
                dom::append(&wrapper, &button);
                if let Some(parent) = anchor.parent_element() {
                    dom::append(&parent, &wrapper);
                }
            } else if let Some(parent) = m.parent_element() {
                dom::append(&parent, &button);
            }
        }
        (Some(b), None) => dom::append(b, &button),
        _ => {
            let Some(heading) = selectors::panel_heading(details) else {
                return;
            };
            let _ = heading.after_with_node_1(&button);
        }
    }
}

fn on_click(ctx: &Rc<Ctx>, e: &Event) {
    let Some(button) = dom::user_command(e, CMD_SELECTOR) else {
        return;
    };
    let Some(details) = ctx.panel(true).0 else {
        return;
    };
    let content = selectors::read_panel(&details);
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    // The id: the URL's, else a link in the details to the action, else what the title teaches.
    let from_page = PortalPage::from_url(&href)
        .as_ref()
        .and_then(PortalPage::action_id)
        .map(str::to_owned);
    let from_link = || {
        all(&details, "a[href]")
            .iter()
            .filter_map(|a| a.get_attribute("href"))
            .find_map(|h| action_id_from_href(&h))
    };
    let id = from_page.or_else(from_link);
    let key = ctx.resolve(id.as_deref(), &content.title).key;
    if key.is_empty() {
        return;
    }
    let mut context = action_from_panel(&key, &content, None);
    context.category = None;
    context.status = None;
    context.compliance = Some(details_facts(&details));
    forms::open_for_action(ctx, context, Some(button));
}

impl Drop for DetailsShare {
    fn drop(&mut self) {
        if let Some(root) = dom::document().and_then(|d| d.document_element()) {
            dom::remove_all(&root, MARK_SELECTOR);
        }
    }
}
