//! The content script's selectors, and what it hands the forms module, in a real browser.
//!
//! Each replica variant (tests/fixtures/portal/README.md) is rebuilt here as a DOM snippet of
//! the same shape — same roles, header texts, wrappers, link styles, panels and menus, junk
//! class names — and every selector is checked against it with the exact number of matches
//! expected. The task form itself is the forms module's (tests/wasm_forms.rs): here, the request
//! the content script writes for it, and its word when that module cannot load.
#![cfg(target_arch = "wasm32")]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/dom.rs"]
mod dom;
#[path = "common/i18n_stub.rs"]
mod i18n_stub;
#[path = "common/sleep.rs"]
mod sleep;
use dom::{all, text};

use snshare_content::app::Ctx;
use snshare_content::forms::{
    self, action_from_panel, description_from_panel, description_from_row, ActionContext,
    FormRequest,
};
use snshare_content::selectors::{self, Section};
use snshare_content::tickets;
use snshare_core::domain::action_status::ActionStatus;
use snshare_core::domain::ticket::{Category, Priority, ShownTicket, TicketKind, TicketSummary};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

const XSS_TITLE: &str = "Ensure <img src=x onerror=alert(1)> is blocked";

/// `chrome.i18n` from the English catalogue (tests/common/i18n_stub.rs).
fn setup() {
    i18n_stub::install();
}

fn doc() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A fresh container in the page with `html` inside (test fixtures only ever use innerHTML).
/// The runner's own output lives in the body too: only our container and forms are replaced.
fn mount(html: &str) -> Element {
    let body = doc().body().unwrap();
    for old in all(&body, "#fixture, [data-snshare]") {
        old.remove();
    }
    let root = doc().create_element("div").unwrap();
    root.set_id("fixture");
    root.set_inner_html(html);
    body.append_child(&root).unwrap();
    root
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

// ---------------------------------------------------------------------------------------------
// The replica's variants, as snippets
// ---------------------------------------------------------------------------------------------

/// Strings of one portal language (variants.js).
struct Lang {
    cols: [(&'static str, &'static str); 12],
    share: &'static str,
    sections: [&'static str; 5], // description, at a glance, implementation, prerequisites, next steps
    account: &'static str,       // with {name}
    close: &'static str,
}

const EN: Lang = Lang {
    cols: [
        ("rank", "Rank"),
        ("title", "Recommended action"),
        ("scoreImpact", "Score impact"),
        ("points", "Points achieved"),
        ("status", "Status"),
        ("regressed", "Regressed"),
        ("licensed", "Have license?"),
        ("category", "Category"),
        ("product", "Product"),
        ("lastSynced", "Last synced"),
        ("msUpdate", "Microsoft update"),
        ("notes", "Notes"),
    ],
    share: "Share",
    sections: [
        "Description",
        "At a glance",
        "Implementation",
        "Prerequisites",
        "Next steps",
    ],
    account: "Account manager for {name}",
    close: "Close",
};
const IT: Lang = Lang {
    cols: [
        ("rank", "Classificazione"),
        ("title", "Azione consigliata"),
        ("scoreImpact", "Impatto sul punteggio"),
        ("points", "Punti ottenuti"),
        ("status", "Stato"),
        ("regressed", "Regressione"),
        ("licensed", "Licenza disponibile?"),
        ("category", "Categoria"),
        ("product", "Prodotto"),
        ("lastSynced", "Ultima sincronizzazione"),
        ("msUpdate", "Aggiornamento Microsoft"),
        ("notes", "Note"),
    ],
    share: "Condividi",
    sections: [
        "Descrizione",
        "In sintesi",
        "Implementazione",
        "Prerequisiti",
        "Passaggi successivi",
    ],
    account: "Gestione account per {name}",
    close: "Chiudi",
};
const SV: Lang = Lang {
    cols: [
        ("rank", "Rangordning"),
        ("title", "Rekommenderad åtgärd"),
        ("scoreImpact", "Poängpåverkan"),
        ("points", "Uppnådda poäng"),
        ("status", "Status"),
        ("regressed", "Försämrad"),
        ("licensed", "Har licens?"),
        ("category", "Kategori"),
        ("product", "Produkt"),
        ("lastSynced", "Senast synkroniserad"),
        ("msUpdate", "Microsoft-uppdatering"),
        ("notes", "Anteckningar"),
    ],
    share: "Dela",
    sections: [
        "Beskrivning",
        "I korthet",
        "Implementering",
        "Förutsättningar",
        "Nästa steg",
    ],
    account: "Kontohanterare för {name}",
    close: "Stäng",
};
const FR: Lang = Lang {
    cols: [
        ("rank", "Rang"),
        ("title", "Action recommandée"),
        ("scoreImpact", "Impact sur le score"),
        ("points", "Points obtenus"),
        ("status", "État"),
        ("regressed", "Régression"),
        ("licensed", "Licence\u{a0}?"),
        ("category", "Catégorie"),
        ("product", "Produit"),
        ("lastSynced", "Dernière synchronisation"),
        ("msUpdate", "Mise à jour Microsoft"),
        ("notes", "Remarques"),
    ],
    share: "Partager",
    sections: [
        "Description",
        "En un coup d\u{2019}œil",
        "Implémentation",
        "Prérequis",
        "Étapes suivantes",
    ],
    account: "Gestionnaire de compte pour {name}",
    close: "Fermer",
};
const NL: Lang = Lang {
    cols: [
        ("rank", "Rang"),
        ("title", "Aanbevolen actie"),
        ("scoreImpact", "Invloed op score"),
        ("points", "Behaalde punten"),
        ("status", "Status"),
        ("regressed", "Achteruitgegaan"),
        ("licensed", "Licentie?"),
        ("category", "Categorie"),
        ("product", "Product"),
        ("lastSynced", "Laatst gesynchroniseerd"),
        ("msUpdate", "Microsoft-update"),
        ("notes", "Notities"),
    ],
    share: "Delen",
    sections: [
        "Beschrijving",
        "In één oogopslag",
        "Implementatie",
        "Vereisten",
        "Volgende stappen",
    ],
    account: "Accountbeheer voor {name}",
    close: "Sluiten",
};
const ZH: Lang = Lang {
    cols: [
        ("rank", "排名"),
        ("title", "建議的動作"),
        ("scoreImpact", "分數影響"),
        ("points", "達成的點數"),
        ("status", "狀態"),
        ("regressed", "已退步"),
        ("licensed", "擁有授權?"),
        ("category", "類別"),
        ("product", "產品"),
        ("lastSynced", "上次同步時間"),
        ("msUpdate", "Microsoft 更新"),
        ("notes", "附註"),
    ],
    share: "共用",
    sections: ["描述", "概覽", "實作", "必要條件", "後續步驟"],
    account: "{name} 的帳戶管理員",
    close: "關閉",
};

impl Lang {
    fn header(&self, key: &str) -> &'static str {
        self.cols
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .unwrap()
    }
}

const ALL_COLS: [&str; 12] = [
    "rank",
    "title",
    "scoreImpact",
    "points",
    "status",
    "regressed",
    "licensed",
    "category",
    "product",
    "lastSynced",
    "msUpdate",
    "notes",
];

struct Variant {
    name: &'static str,
    lang: &'static Lang,
    table: bool,
    /// The div list's role: `grid`, or `table` (an ARIA table: its cells `role="cell"`).
    list_role: &'static str,
    cols: &'static [&'static str],
    /// Renamed headers (grid-noheaders).
    renamed: &'static [(&'static str, &'static str)],
    selection: bool,
    title_role: &'static str,
    title_wrap: &'static str,
    href: &'static str,
    panel: &'static str,
    wrap_depth: usize,
    class: &'static str,
}

const VARIANTS: [Variant; 7] = [
    Variant {
        name: "grid-en",
        lang: &EN,
        table: false,
        list_role: "grid",
        cols: &ALL_COLS,
        renamed: &[],
        selection: true,
        title_role: "gridcell",
        title_wrap: "none",
        href: "relative",
        panel: "dialog",
        wrap_depth: 1,
        class: "ms-DetailsRow-x7f3a root-123",
    },
    Variant {
        name: "table-it",
        lang: &IT,
        table: true,
        list_role: "grid",
        cols: &[
            "category",
            "title",
            "rank",
            "status",
            "scoreImpact",
            "points",
            "product",
            "licensed",
            "lastSynced",
        ],
        renamed: &[],
        selection: false,
        title_role: "gridcell",
        title_wrap: "span",
        href: "tid-first",
        panel: "complementary",
        wrap_depth: 3,
        class: "css-1k2j3h4",
    },
    Variant {
        name: "grid-zh",
        lang: &ZH,
        table: false,
        list_role: "grid",
        cols: &[
            "rank",
            "title",
            "category",
            "status",
            "scoreImpact",
            "points",
            "product",
            "lastSynced",
            "notes",
        ],
        renamed: &[],
        selection: true,
        title_role: "gridcell",
        title_wrap: "tooltip",
        href: "absolute",
        panel: "dialog",
        wrap_depth: 2,
        class: "___abc1234 fxyz123 fq9w8e7",
    },
    Variant {
        name: "grid-sv",
        lang: &SV,
        table: false,
        list_role: "grid",
        cols: &[
            "title",
            "rank",
            "scoreImpact",
            "status",
            "category",
            "product",
            "points",
            "licensed",
        ],
        renamed: &[],
        selection: false,
        title_role: "gridcell",
        title_wrap: "none",
        href: "relative",
        panel: "region",
        wrap_depth: 0,
        class: "sc-a1b2c3 kxyz12",
    },
    Variant {
        name: "grid-fr",
        lang: &FR,
        table: false,
        list_role: "grid",
        cols: &[
            "rank",
            "title",
            "scoreImpact",
            "points",
            "status",
            "category",
            "product",
            "msUpdate",
            "lastSynced",
        ],
        renamed: &[],
        selection: true,
        title_role: "rowheader",
        title_wrap: "span",
        href: "relative",
        panel: "dialog",
        wrap_depth: 1,
        class: "_a1b2c_x9z",
    },
    Variant {
        name: "grid-nl",
        lang: &NL,
        table: false,
        list_role: "table",
        cols: &[
            "rank",
            "status",
            "title",
            "category",
            "product",
            "scoreImpact",
            "points",
            "regressed",
            "licensed",
        ],
        renamed: &[],
        selection: false,
        title_role: "cell",
        title_wrap: "none",
        href: "absolute",
        panel: "dialog-element",
        wrap_depth: 2,
        class: "jss1234",
    },
    Variant {
        name: "grid-noheaders",
        lang: &EN,
        table: false,
        list_role: "grid",
        cols: &[
            "status",
            "rank",
            "category",
            "title",
            "points",
            "product",
            "scoreImpact",
        ],
        renamed: &[
            ("rank", "#"),
            ("title", "Improvement"),
            ("scoreImpact", "Impact"),
            ("points", "Points"),
            ("status", "State"),
            ("category", "Area"),
            ("product", "Workload"),
        ],
        selection: false,
        title_role: "gridcell",
        title_wrap: "none",
        href: "tid-first",
        panel: "dialog-unlabelled",
        wrap_depth: 2,
        class: "xa1b2c3d xq9r8s7",
    },
];

/// (id, title, category as the portal shows it)
const ACTIONS: [(&str, &str, &str); 3] = [
    (
        "AdminMFAV2",
        "Require MFA for administrative roles",
        "Identity",
    ),
    ("contoso_html_probe", XSS_TITLE, "Data"),
    (
        "mdo_safeattachments",
        "Turn on Safe Attachments in block mode",
        "Device",
    ),
];

impl Variant {
    fn header(&self, key: &str) -> String {
        self.renamed
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| self.lang.header(key).to_string())
    }

    fn href(&self, id: &str) -> String {
        match self.href {
            "tid-first" => format!("/securescore?viewid=actions&tid=4d3c2b1a-9f8e-4a7b-8c6d-5e4f3a2b1c0d&actionId={id}"),
            "absolute" => format!("https://security.microsoft.com/securescore?viewid=actions&actionId={id}"),
            _ => format!("/securescore?viewid=actions&actionId={id}"),
        }
    }

    fn cols(&self) -> Vec<&'static str> {
        let mut c = Vec::new();
        if self.selection {
            c.push("select");
        }
        c.extend_from_slice(self.cols);
        c
    }

    fn cell_content(&self, key: &str, i: usize) -> String {
        let (id, title, category) = ACTIONS[i];
        match key {
            "select" => "<span role=\"checkbox\" aria-checked=\"false\" aria-label=\"Select row\" tabindex=\"-1\"></span>".into(),
            "title" => {
                let a = format!("<a class=\"{}\" href=\"{}\">{}</a>", self.class, esc(&self.href(id)), esc(title));
                match self.title_wrap {
                    "span" => format!("<span class=\"{}\">{a}</span>", self.class),
                    "tooltip" => format!("<div class=\"{0}\"><span class=\"{0}\">{a}</span></div>", self.class),
                    _ => a,
                }
            }
            "category" => format!("<span>{category}</span>"),
            "status" => "<span aria-hidden=\"true\"></span><span>To address</span>".into(),
            "rank" => format!("<span>{}</span>", i + 1),
            other => format!("<span>{other} value</span>"),
        }
    }

    /// The list as the variant renders it: `virtual` adds spacer rows (tables).
    fn list_html(&self, virtual_rows: bool) -> String {
        let cols = self.cols();
        let mut body = String::new();
        if self.table {
            let head: String = cols
                .iter()
                .map(|k| {
                    format!(
                        "<th scope=\"col\" class=\"{}\"><div><span>{}</span></div></th>",
                        self.class,
                        esc(&self.header(k))
                    )
                })
                .collect();
            if virtual_rows {
                body.push_str(&format!(
                    "<tr aria-hidden=\"true\"><td colspan=\"{}\"></td></tr>",
                    cols.len()
                ));
            }
            for i in 0..ACTIONS.len() {
                body.push_str("<tr class=\"r\">");
                for k in &cols {
                    body.push_str(&format!(
                        "<td class=\"{}\"><div>{}</div></td>",
                        self.class,
                        self.cell_content(k, i)
                    ));
                }
                body.push_str("</tr>");
            }
            if virtual_rows {
                body.push_str(&format!(
                    "<tr aria-hidden=\"true\"><td colspan=\"{}\"></td></tr>",
                    cols.len()
                ));
            }
            let table = format!("<table class=\"{}\"><colgroup></colgroup><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>", self.class);
            return self.wrap(&table);
        }
        let head: String = cols
            .iter()
            .enumerate()
            .map(|(j, k)| {
                if *k == "select" {
                    format!("<div role=\"columnheader\" aria-colindex=\"{}\"><span role=\"checkbox\" aria-label=\"Select all\"></span></div>", j + 1)
                } else {
                    format!("<div role=\"columnheader\" aria-colindex=\"{}\" class=\"{}\"><span>{}</span></div>", j + 1, self.class, esc(&self.header(k)))
                }
            })
            .collect();
        if virtual_rows {
            body.push_str("<div role=\"presentation\" style=\"height:0\"></div>");
        }
        for i in 0..ACTIONS.len() {
            body.push_str(&format!(
                "<div role=\"row\" aria-rowindex=\"{}\" tabindex=\"-1\" class=\"{}\">",
                i + 2,
                self.class
            ));
            for (j, k) in cols.iter().enumerate() {
                let role = match (*k, self.list_role) {
                    ("title", _) => self.title_role,
                    (_, "table") => "cell",
                    _ => "gridcell",
                };
                body.push_str(&format!(
                    "<div role=\"{role}\" aria-colindex=\"{}\" class=\"{}\">{}</div>",
                    j + 1,
                    self.class,
                    self.cell_content(k, i)
                ));
            }
            body.push_str("</div>");
        }
        let label = if self.name == "grid-noheaders" {
            String::new()
        } else {
            " aria-label=\"Recommended actions\"".into()
        };
        let grid = format!(
            "<div role=\"{}\" aria-rowcount=\"{}\" aria-colcount=\"{}\"{label} aria-readonly=\"true\"><div role=\"presentation\"><div role=\"row\" aria-rowindex=\"1\">{head}</div></div><div role=\"presentation\">{body}</div></div>",
            self.list_role,
            ACTIONS.len() + 1,
            cols.len()
        );
        self.wrap(&grid)
    }

    fn wrap(&self, inner: &str) -> String {
        let mut s = format!("<div data-is-scrollable=\"true\">{inner}</div>");
        for _ in 0..self.wrap_depth {
            s = format!("<div class=\"{}\">{s}</div>", self.class);
        }
        format!("<div role=\"tabpanel\"><div class=\"cmdbar\" role=\"toolbar\"><button>Export</button></div><div class=\"host\">{s}</div></div>")
    }

    /// The detail panel of the first action, body included.
    fn panel_html(&self, share_id: &str) -> String {
        let l = self.lang;
        let (_, title, _) = ACTIONS[1];
        let heading_tag = if self.panel == "complementary" {
            "h1"
        } else {
            "h2"
        };
        let labelled = if self.panel == "dialog-unlabelled" {
            String::new()
        } else {
            " aria-labelledby=\"pt-1\"".into()
        };
        let inner = format!(
            "<div><{heading_tag} id=\"pt-1\" class=\"{c}\">{t}</{heading_tag}><button aria-label=\"{close}\"><svg aria-hidden=\"true\"></svg></button></div>\
             <div><span>Data</span><span>Microsoft Purview</span></div>\
             <div><button class=\"{c}\">Edit status &amp; action plan</button><button class=\"{c}\">Manage tags</button>\
             <button id=\"{share_id}\" class=\"{c}\" aria-haspopup=\"menu\" aria-expanded=\"false\"><svg aria-hidden=\"true\"></svg><span>{share}</span><svg aria-hidden=\"true\"></svg></button></div>\
             <div><section><h3>{d}</h3><p>Markup stays text: &lt;script&gt;alert(1)&lt;/script&gt;</p></section>\
             <section><h3>{g}</h3><dl><dt>{cat}</dt><dd>Data</dd><dt>{prod}</dt><dd>Microsoft Purview</dd></dl></section>\
             <section><h3>{i}</h3><h4>{p}</h4><p>Prerequisite with &lt;b&gt;bold&lt;/b&gt;.</p><h4>{n}</h4><ol><li>Step one</li><li>Step two</li></ol></section></div>",
            c = self.class,
            t = esc(title),
            close = l.close,
            share = l.share,
            d = l.sections[0],
            g = l.sections[1],
            i = l.sections[2],
            p = l.sections[3],
            n = l.sections[4],
            cat = esc(l.header("category")),
            prod = esc(l.header("product")),
        );
        if self.panel == "complementary" {
            format!(
                "<main><aside role=\"complementary\"{labelled} class=\"{}\">{inner}</aside></main>",
                self.class
            )
        } else if self.panel == "region" {
            // A region labelled by its heading, beside the page's other named regions.
            format!(
                "<main><section aria-label=\"Overview\"><h2>Overview</h2><p>Score</p></section><section{labelled} class=\"{}\">{inner}</section></main>",
                self.class
            )
        } else if self.panel == "dialog-element" {
            format!(
                "<div class=\"layer\"><dialog open{labelled} class=\"{}\">{inner}</dialog></div>",
                self.class
            )
        } else {
            format!("<div class=\"layer\"><div class=\"overlay\"></div><div role=\"dialog\" aria-modal=\"true\"{labelled} class=\"{}\">{inner}</div></div>", self.class)
        }
    }
}

/// The Share menu as the portal builds it on opening (a layer at the end of the body).
fn menu_html(lang: &Lang, share_id: &str, class: &str) -> String {
    let _ = lang;
    let items: String = ["Copy link", "Email", "Microsoft Teams", "Planner"]
        .iter()
        .map(|t| {
            format!(
                "<li role=\"presentation\" class=\"{class} mi\"><button type=\"button\" role=\"menuitem\" class=\"{class} ml\" tabindex=\"-1\"><svg viewBox=\"0 0 16 16\" aria-hidden=\"true\" class=\"ic\"><path d=\"M1 1h2\"></path></svg><span class=\"mt\">{t}</span></button></li>"
            )
        })
        .collect();
    format!("<div class=\"layer\"><div class=\"callout\"><ul role=\"menu\" id=\"menu-7\" aria-labelledby=\"{share_id}\" class=\"{class}\">{items}</ul></div></div>")
}

// ---------------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
fn the_list_and_its_rows_are_found_in_every_variant() {
    for v in &VARIANTS {
        for virtual_rows in [false, true] {
            // A decoy table (the History view) comes first: it has the title header but no links.
            let decoy = "<table><thead><tr><th>Date</th><th>Recommended action</th></tr></thead><tbody><tr><td>x</td><td>y</td></tr></tbody></table>";
            let root = mount(&format!("{decoy}{}", v.list_html(virtual_rows)));
            assert_eq!(all(&root, selectors::LIST).len(), 2, "{}", v.name);
            let list = selectors::find_list(&root).unwrap_or_else(|| panic!("{}: no list", v.name));
            assert_eq!(
                list.tag_name().to_lowercase(),
                if v.table { "table" } else { "div" },
                "{}",
                v.name
            );
            let rows = selectors::action_rows(&list);
            assert_eq!(rows.len(), 3, "{} virtual={virtual_rows}", v.name);
            assert_eq!(
                all(&list, selectors::ROW).len(),
                if v.table && virtual_rows { 6 } else { 4 },
                "{}",
                v.name
            );
            assert_eq!(all(&list, selectors::ACTION_LINK).len(), 3, "{}", v.name);
            assert_eq!(
                selectors::header_cells(&list).len(),
                v.cols().len(),
                "{}",
                v.name
            );
            let map = selectors::column_map(&list);
            for (row, (id, title, _)) in rows.iter().zip(ACTIONS) {
                let a = selectors::row_action(&map, row).unwrap();
                assert_eq!(a.action_id.as_deref(), Some(id), "{}", v.name);
                assert_eq!(a.title, title, "{}", v.name);
                assert_eq!(
                    selectors::row_cells(row).len(),
                    v.cols().len(),
                    "{}",
                    v.name
                );
            }
        }
    }
}

#[wasm_bindgen_test]
fn columns_are_found_by_header_text_or_by_structure() {
    for v in &VARIANTS {
        let root = mount(&v.list_html(false));
        let list = selectors::find_list(&root).unwrap();
        let map = selectors::column_map(&list);
        let cols = v.cols();
        if v.name == "grid-noheaders" {
            // Renamed headers match no language: the title column is the one whose cells link
            // to actions; the category is found by value below.
            let linked = cols.iter().position(|c| *c == "title");
            assert_eq!(map.title.as_ref().map(|c| c.position), linked);
            assert_eq!(map.category, None, "renamed headers match no language");
        } else {
            let pos = |k: &str| cols.iter().position(|c| *c == k).unwrap();
            assert_eq!(
                map.title.as_ref().map(|c| c.position),
                Some(pos("title")),
                "{}",
                v.name
            );
            assert_eq!(
                map.category.as_ref().map(|c| c.position),
                Some(pos("category")),
                "{}",
                v.name
            );
            if !v.table {
                assert_eq!(
                    map.category.as_ref().unwrap().colindex,
                    Some((pos("category") + 1).to_string())
                );
            }
        }
        // The category of every row, by header or by value; "Device" is the ticket's "Devices".
        let rows = selectors::action_rows(&list);
        let cats: Vec<_> = rows
            .iter()
            .map(|r| selectors::row_category(&selectors::column_map(&list), r))
            .collect();
        assert_eq!(
            cats,
            vec![
                Some(Category::Identity),
                Some(Category::Data),
                Some(Category::Devices)
            ],
            "{}",
            v.name
        );
    }
}

#[wasm_bindgen_test]
fn a_list_without_rows_yet_is_found_by_its_header() {
    let root = mount(
        "<div role=\"grid\"><div role=\"row\"><div role=\"columnheader\"><span>Azione consigliata</span></div></div></div>\
         <div role=\"grid\"><div role=\"row\"><div role=\"columnheader\"><span>Something else</span></div></div></div>",
    );
    let list = selectors::find_list(&root).unwrap();
    assert_eq!(text(&list), "Azione consigliata");
    assert!(selectors::action_rows(&list).is_empty());
    let none = mount(
        "<div role=\"grid\"><div role=\"row\"><div role=\"columnheader\">Other</div></div></div>",
    );
    assert!(selectors::find_list(&none).is_none());
}

#[wasm_bindgen_test]
fn a_list_with_renamed_headers_and_no_links_is_found_by_its_column_keys() {
    let root = mount(
        "<div role=\"grid\"><div role=\"row\"><div role=\"columnheader\" data-item-key=\"notes\">Notes</div></div></div>\
         <div role=\"grid\"><div role=\"row\">\
           <div role=\"columnheader\" data-item-key=\"implementationStatus\">State</div>\
           <div role=\"columnheader\" data-item-key=\"title\">Improvement</div>\
           <div role=\"columnheader\" data-item-key=\"controlCategory\">Area</div></div>\
         <div role=\"row\"><div data-automationid=\"DetailsRowFields\">\
           <div role=\"gridcell\" data-automation-key=\"implementationStatus\">To address</div>\
           <div role=\"gridcell\" data-automation-key=\"title\"><button type=\"button\" class=\"ms-Link\">Require MFA for administrative roles</button></div>\
           <div role=\"gridcell\" data-automation-key=\"controlCategory\">Identity</div></div></div></div>",
    );
    let list = selectors::find_list(&root).unwrap();
    assert!(text(&list).contains("Improvement"), "{}", text(&list));
    let map = selectors::column_map(&list);
    assert_eq!(map.title.as_ref().map(|c| c.position), Some(1));
    assert_eq!(map.category.as_ref().map(|c| c.position), Some(2));
    assert_eq!(map.status.as_ref().map(|c| c.position), Some(0));
    let rows = selectors::action_rows(&list);
    assert_eq!(rows.len(), 1);
    let action = selectors::row_action(&map, &rows[0]).unwrap();
    assert_eq!(action.title, "Require MFA for administrative roles");
    assert_eq!(action.action_id, None);
    assert_eq!(
        selectors::row_category(&map, &rows[0]),
        Some(Category::Identity)
    );
}

#[wasm_bindgen_test]
fn a_table_whose_title_cells_are_row_headers_gets_every_row() {
    let root = mount(
        "<table><thead><tr><th scope=\"col\">Recommended action</th><th scope=\"col\">Category</th><th scope=\"col\">Status</th></tr></thead>\
         <tbody><tr><th scope=\"row\"><button type=\"button\">Require MFA for administrative roles</button></th><td>Identity</td><td>Planned</td></tr>\
         <tr><th scope=\"row\">Turn on audit log search</th><td>Data</td><td>To address</td></tr></tbody></table>",
    );
    let list = selectors::find_list(&root).unwrap();
    assert_eq!(selectors::header_cells(&list).len(), 3);
    let map = selectors::column_map(&list);
    assert_eq!(map.title.as_ref().map(|c| c.position), Some(0));
    assert_eq!(map.category.as_ref().map(|c| c.position), Some(1));
    let rows = selectors::action_rows(&list);
    let titles: Vec<String> = rows
        .iter()
        .filter_map(|r| selectors::row_action(&map, r))
        .map(|a| a.title)
        .collect();
    assert_eq!(
        titles,
        [
            "Require MFA for administrative roles",
            "Turn on audit log search"
        ]
    );
    let cats: Vec<_> = rows
        .iter()
        .map(|r| selectors::row_category(&map, r))
        .collect();
    assert_eq!(cats, [Some(Category::Identity), Some(Category::Data)]);
    assert_eq!(
        selectors::row_status(&map, &rows[1]),
        Some(ActionStatus::ToAddress)
    );
}

#[wasm_bindgen_test]
fn a_group_header_of_a_grouped_list_is_not_an_action() {
    // Fluent's GroupHeader: a row that expands its group, cells without column keys.
    let root = mount(
        "<div role=\"grid\"><div role=\"row\"><div role=\"columnheader\">Rank</div><div role=\"columnheader\">Recommended action</div></div>\
         <div role=\"row\" aria-expanded=\"true\" aria-level=\"1\"><div role=\"presentation\">\
           <div role=\"gridcell\"><button type=\"button\" aria-expanded=\"true\"><i aria-hidden=\"true\">\u{E974}</i></button></div>\
           <div role=\"gridcell\"><span>Identity</span><span>(1)</span></div></div></div>\
         <div role=\"row\"><div data-automationid=\"DetailsRowFields\">\
           <div role=\"gridcell\">1</div>\
           <div role=\"gridcell\"><button type=\"button\" class=\"ms-Link\">Require MFA for administrative roles</button></div></div></div></div>",
    );
    let list = selectors::find_list(&root).unwrap();
    let map = selectors::column_map(&list);
    let rows = selectors::action_rows(&list);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        selectors::row_action(&map, &rows[0]).unwrap().title,
        "Require MFA for administrative roles"
    );
}

#[wasm_bindgen_test]
fn header_labels_cover_the_six_languages() {
    for h in [
        "Recommended action",
        "Azione consigliata",
        "Rekommenderad åtgärd",
        "Action recommandée",
        "Aanbevolen actie",
        "建議的動作",
        " recommended  ACTION ",
    ] {
        assert!(selectors::is_title_header(h), "{h}");
    }
    for h in [
        "Category",
        "Categoria",
        "Kategori",
        "Catégorie",
        "Categorie",
        "類別",
    ] {
        assert!(selectors::is_category_header(h), "{h}");
    }
    assert!(!selectors::is_title_header("Improvement"));
    assert!(!selectors::is_category_header("Area"));
    for s in ["Share", "Condividi", "Dela", "Partager", "Delen", "共用"] {
        assert!(selectors::is_share_label(s), "{s}");
    }
    assert_eq!(
        selectors::section_of("Passaggi successivi"),
        Some(Section::NextSteps)
    );
    assert_eq!(
        selectors::section_of("Förutsättningar"),
        Some(Section::Prerequisites)
    );
    assert_eq!(selectors::section_of("描述"), Some(Section::Description));
    assert_eq!(selectors::section_of("At a glance"), None);
}

// ---------------------------------------------------------------------------------------------
// The detail panel and the Share menu
// ---------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
fn the_panel_its_sections_and_its_share_button_in_every_variant() {
    for v in &VARIANTS {
        let root = mount(&format!(
            "{}{}",
            v.list_html(false),
            v.panel_html("share-1")
        ));
        let dialogs = if v.panel == "region" { 0 } else { 1 };
        assert_eq!(all(&root, selectors::PANEL).len(), dialogs, "{}", v.name);
        let panel = selectors::find_panel(&root).unwrap_or_else(|| panic!("{}: no panel", v.name));
        let heading = selectors::panel_heading(&panel).unwrap();
        assert_eq!(
            heading.tag_name().to_lowercase(),
            if v.panel == "complementary" {
                "h1"
            } else {
                "h2"
            }
        );
        let content = selectors::read_panel(&panel);
        assert_eq!(content.title, XSS_TITLE, "{}", v.name);
        assert_eq!(
            content.description, "Markup stays text: <script>alert(1)</script>",
            "{}",
            v.name
        );
        assert_eq!(
            content.prerequisites,
            Some((
                v.lang.sections[3].to_string(),
                "Prerequisite with <b>bold</b>.".to_string()
            )),
            "{}",
            v.name
        );
        assert_eq!(
            content.next_steps,
            Some((
                v.lang.sections[4].to_string(),
                vec!["Step one".to_string(), "Step two".to_string()]
            )),
            "{}",
            v.name
        );
        assert_eq!(content.category, Some(Category::Data), "{}", v.name);
        let share = selectors::share_button(&panel).unwrap();
        assert_eq!(share.id(), "share-1", "{}", v.name);
        assert!(selectors::is_share_button(&share));
        assert_eq!(
            all(&panel, selectors::BUTTON)
                .iter()
                .filter(|b| selectors::is_share_button(b))
                .count(),
            1,
            "{}",
            v.name
        );
    }
}

#[wasm_bindgen_test]
fn a_region_is_the_panel_only_when_it_offers_share_and_does_not_hold_the_list() {
    let v = &VARIANTS[0];
    // The list's own page drawn as a named region with a Share of its own: not an action.
    let root = mount(&format!(
        "<section aria-label=\"Recommended actions\"><h2>Recommended actions</h2><button>Share</button>{}</section>",
        v.list_html(false)
    ));
    assert!(selectors::find_panel(&root).is_none(), "the list's region");
    // A named region, an aside and a closed <dialog> without the portal's Share.
    let root = mount(
        "<section aria-labelledby=\"h\"><h2 id=\"h\">Require MFA</h2><p>Text</p></section>\
         <aside><h2>Related</h2><a href=\"/x\">More</a></aside>\
         <dialog aria-labelledby=\"d\"><h2 id=\"d\">Closed</h2><button>Share</button></dialog>",
    );
    assert!(
        selectors::find_panel(&root).is_none(),
        "no Share, or not open"
    );
    // An open dialog is the panel before any region that looks like one; else the innermost
    // region with the Share.
    // A page's own region with a Share and a heading, but no section of an action's.
    let root = mount("<section aria-labelledby=\"s\"><h2 id=\"s\">Microsoft Secure Score</h2><button>Share</button><p>Your score</p></section>");
    assert!(
        selectors::find_panel(&root).is_none(),
        "no action's sections"
    );
    let region = "<div role=\"region\" aria-label=\"Page\"><h2>Page</h2><section aria-labelledby=\"r\"><h2 id=\"r\">From a region</h2><button><span>Share</span></button><h3>Description</h3><p>Text</p></section></div>";
    let root = mount(&format!(
        "{region}<dialog open aria-labelledby=\"d\"><h2 id=\"d\">From a dialog</h2></dialog>"
    ));
    let panel = selectors::find_panel(&root).unwrap();
    assert_eq!(selectors::panel_title(&panel), "From a dialog");
    let root = mount(region);
    let panel = selectors::find_panel(&root).unwrap();
    assert_eq!(selectors::panel_title(&panel), "From a region");
    assert_eq!(panel.tag_name(), "SECTION");
}

#[wasm_bindgen_test]
fn the_share_menu_gains_one_servicenow_item_like_its_siblings() {
    setup();
    for v in &VARIANTS {
        let root = mount(&format!(
            "{}{}",
            v.panel_html("share-9"),
            menu_html(v.lang, "share-9", v.class)
        ));
        let panel = selectors::find_panel(&root).unwrap();
        let share = selectors::share_button(&panel).unwrap();
        let menu = selectors::menu_of(&share).unwrap();
        assert_eq!(menu.id(), "menu-7");
        assert_eq!(selectors::menu_items(&menu).len(), 4);
        assert!(snshare_content::add_share_menu_item(&menu));
        assert!(
            snshare_content::add_share_menu_item(&menu),
            "a second call adds nothing"
        );
        let items = all(&menu, selectors::MENU_ITEM);
        assert_eq!(items.len(), 5, "{}", v.name);
        let ours = items.last().unwrap();
        assert_eq!(text(ours), "ServiceNow");
        assert_eq!(ours.tag_name(), "BUTTON");
        assert_eq!(ours.get_attribute("tabindex").as_deref(), Some("-1"));
        assert_eq!(
            ours.class_name(),
            items[0].class_name(),
            "same classes as its siblings"
        );
        let wrapper = ours.parent_element().unwrap();
        assert_eq!(
            wrapper.get_attribute("role").as_deref(),
            Some("presentation")
        );
        assert_eq!(wrapper.parent_element().unwrap(), menu);
        assert_eq!(all(&wrapper, "[id]").len(), 0);
        assert_eq!(all(ours, "svg").len(), 1);
        // The portal's own items are still the portal's.
        assert_eq!(selectors::menu_items(&menu).len(), 4);
    }
    // Through aria-controls too (Fluent sets it on the button while the menu is open).
    let root = mount("<button id=\"b\" aria-haspopup=\"menu\" aria-controls=\"c1\">Share</button><div id=\"c1\"><ul role=\"menu\"><li><button role=\"menuitem\">Email</button></li></ul></div>");
    let b = root.query_selector("#b").unwrap().unwrap();
    assert_eq!(selectors::menu_of(&b).unwrap().tag_name(), "UL");
}

#[wasm_bindgen_test]
fn a_menu_without_items_yet_is_left_for_later() {
    setup();
    let root = mount("<ul role=\"menu\" aria-labelledby=\"s\"></ul>");
    let menu = root.first_element_child().unwrap();
    assert!(!snshare_content::add_share_menu_item(&menu));
    assert_eq!(menu.child_element_count(), 0);
}

// ---------------------------------------------------------------------------------------------
// Account, dashboards
// ---------------------------------------------------------------------------------------------

fn banner(label: &str, with_id: bool) -> String {
    let id = if with_id {
        " id=\"mectrl_main_trigger\""
    } else {
        ""
    };
    format!(
        "<header role=\"banner\"><button aria-label=\"App launcher\"></button><div role=\"search\"><input type=\"search\" aria-label=\"Search\"></div>\
         <div><button{id} aria-label=\"{}\" aria-haspopup=\"true\" aria-expanded=\"false\"><div><span>Megan Bowen</span><span>MeganB@contoso.onmicrosoft.com</span></div><div aria-hidden=\"true\">MB</div></button></div></header>",
        esc(label)
    )
}

#[wasm_bindgen_test]
fn the_signed_in_upn_is_read_from_the_account_control_in_every_language() {
    for l in [&EN, &IT, &SV, &FR, &NL, &ZH] {
        let label = l.account.replace("{name}", "Megan Bowen");
        assert!(selectors::is_account_label(&label), "{label}");
        // By its label alone (no well-known id).
        let root = mount(&banner(&label, false));
        assert_eq!(
            selectors::banner_controls(&root)
                .iter()
                .filter(|e| selectors::is_account_label(&e.get_attribute("aria-label").unwrap()))
                .count(),
            1
        );
        assert_eq!(
            selectors::account_upn(&root).as_deref(),
            Some("MeganB@contoso.onmicrosoft.com"),
            "{label}"
        );
    }
    // By the well-known id when the label is in a language the table lacks.
    let root = mount(&banner("Kontohaldur: Megan Bowen", true));
    assert_eq!(
        selectors::account_upn(&root).as_deref(),
        Some("MeganB@contoso.onmicrosoft.com")
    );
    // No account control (replica-account=none): nothing, and the form falls back to the options.
    let root =
        mount("<header role=\"banner\"><button aria-label=\"App launcher\"></button></header>");
    assert_eq!(selectors::account_upn(&root), None);
    assert!(!selectors::is_account_label("App launcher"));
    assert!(selectors::looks_like_email("a.b@c.example"));
    assert!(!selectors::looks_like_email("Megan Bowen"));
    assert!(!selectors::looks_like_email("a@b"));
}

fn home_html(busy: bool) -> String {
    let cards = if busy {
        "<div class=\"cards\" aria-busy=\"true\"><div aria-hidden=\"true\" class=\"shimmer\"><div></div></div><div aria-hidden=\"true\" class=\"shimmer\"></div></div>".to_string()
    } else {
        "<div class=\"cards\"><div class=\"card root-1\"><h2 class=\"ct\">Microsoft Secure Score</h2><div>x</div></div>\
         <div class=\"card root-1 cardWide root-2\"><h2 class=\"ct\">Active incidents</h2><div>y</div></div>\
         <div class=\"card root-1\"><h2 class=\"ct\">Devices at risk</h2><div>z</div></div></div>"
            .to_string()
    };
    format!("<main id=\"main\"><div class=\"page\"><div class=\"pageHead\"><div><h1>Home</h1><div>Good morning</div></div></div>{cards}</div></main>")
}

#[wasm_bindgen_test]
fn the_card_dashboard_is_found_once_loaded_on_home_and_overview() {
    let root = mount(&home_html(true));
    let main = selectors::main_element(&root).unwrap();
    assert!(selectors::card_dashboard(&main).is_none(), "still loading");
    let root = mount(&home_html(false));
    let main = selectors::main_element(&root).unwrap();
    let dash = selectors::card_dashboard(&main).unwrap();
    assert_eq!(dash.class_name(), "cards");
    assert_eq!(dash.child_element_count(), 3);
    assert_eq!(
        selectors::card_classes(&dash),
        Some(("card root-1".to_string(), "ct".to_string()))
    );
    // Overview: header, tabs, tab panel > dashboard.
    let root = mount(
        "<main><div class=\"page\"><div><div><h1>Microsoft Secure Score</h1></div></div><div role=\"tablist\"><button role=\"tab\">Overview</button></div>\
         <div role=\"tabpanel\"><div class=\"grid-x\"><div class=\"c w\"><h2>Your secure score</h2><div></div></div><div class=\"c\"><h2>Actions to review</h2></div></div></div></div></main>",
    );
    let main = selectors::main_element(&root).unwrap();
    let dash = selectors::card_dashboard(&main).unwrap();
    assert_eq!(dash.class_name(), "grid-x");
    assert_eq!(
        selectors::card_classes(&dash),
        Some(("c".to_string(), String::new()))
    );
}

// ---------------------------------------------------------------------------------------------
// Tickets per action (badges)
// ---------------------------------------------------------------------------------------------

/// The action key each fixture action has in correlation ids, written out rather than computed
/// with the product's `action_key`, so a wrong key cannot agree with itself.
fn key_of(action: &str) -> &'static str {
    match action {
        "AdminMFAV2" => "AdminMFAV2",
        // Not key-safe: the readable part, `~`, then 8 hex digits of SHA-256("a b<c>").
        "a b<c>" => "abc~ec140728",
        "X" => "X",
        "Y" => "Y",
        "x" => "x",
        // The title key of "Require MFA" (an action whose id the page never showed):
        // `title.` and 12 hex digits of SHA-256 of the normalized title.
        "title.fa6631fe6058" => "title.fa6631fe6058",
        other => panic!("no fixture key for {other}"),
    }
}

fn ticket(n: u32, action: &str, open: bool, state: &str) -> TicketSummary {
    TicketSummary {
        kind: TicketKind::Incident,
        sys_id: format!("sys{n}"),
        number: format!("INC{n:07}"),
        short_description: format!("ticket {n}"),
        state: "1".into(),
        state_label: state.into(),
        open,
        priority: Some(Priority::High),
        assigned_to: None,
        updated_on: "2025-03-01 10:00:00".into(),
        correlation_id: format!("snshare:{}:s{n}", key_of(action)),
        action_id: Some(action.into()),
        link: format!("https://dev12345.service-now.com/nav_to.do?uri=incident.do?sys_id=sys{n}"),
    }
}

#[wasm_bindgen_test]
fn badges_show_the_most_recent_open_ticket_and_the_count() {
    // Most recently updated first, as the worker sends them.
    let list = vec![
        ticket(3, "AdminMFAV2", false, "Closed"),
        ticket(2, "AdminMFAV2", true, "In Progress"),
        ticket(1, "AdminMFAV2", true, "New"),
        ticket(4, "a b<c>", true, "New"),
    ];
    let store = tickets::store_with(&list);
    let mfa = store.for_action("AdminMFAV2").unwrap();
    assert_eq!((mfa.shown.number.as_str(), mfa.count), ("INC0000002", 3));
    assert_eq!(store.for_action("a b<c>").map(|a| a.count), Some(1));
    assert!(store.for_action("AdminMFAV").is_none() && store.for_action("Z").is_none());
    let closed_only = tickets::store_with(&[ticket(5, "X", false, "Closed")]);
    assert_eq!(
        closed_only.for_action("X").unwrap().shown.state_label,
        "Closed"
    );

    // The same from the snapshot as received (the cards' tickets left as JS objects until
    // shown; the badges' packed).
    let mut change = ticket(9, "Y", true, "New");
    change.kind = TicketKind::ChangeRequest;
    let mut all = list.clone();
    all.push(change.clone());
    let store = tickets::store_with(&all);
    assert!(store.loaded() && store.has_badges());
    let mfa = store.for_action(" AdminMFAV2 ").unwrap();
    assert_eq!(
        (mfa.shown.clone(), mfa.count),
        (ShownTicket::from(&list[1]), 3)
    );
    assert_eq!(store.for_action("a b<c>").map(|a| a.count), Some(1));
    assert!(store.for_action("unknown").is_none());
    assert_eq!(
        store.latest(TicketKind::Incident, 2),
        vec![list[0].clone(), list[1].clone()]
    );
    assert_eq!(store.latest(TicketKind::ChangeRequest, 5), vec![change]);
    assert!(!tickets::TicketStore::default().has_badges());
}

/// Replaces `chrome.runtime` with a fake worker set up by `script`, until the guard drops.
struct FakeRuntime(JsValue);

impl FakeRuntime {
    fn install(script: &str) -> Self {
        let chrome = js_sys::Reflect::get(&js_sys::global(), &"chrome".into()).unwrap();
        let before = js_sys::Reflect::get(&chrome, &"runtime".into()).unwrap();
        js_sys::Function::new_no_args(script)
            .call0(&JsValue::NULL)
            .unwrap();
        FakeRuntime(before)
    }
}

impl Drop for FakeRuntime {
    fn drop(&mut self) {
        if let Ok(chrome) = js_sys::Reflect::get(&js_sys::global(), &"chrome".into()) {
            let _ = js_sys::Reflect::set(&chrome, &"runtime".into(), &self.0);
        }
    }
}

/// A number the fake worker counts in a global.
fn global_count(name: &str) -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &name.into())
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

/// A ticket store whose listener counts the snapshots it is told of.
fn listened_store() -> (
    std::rc::Rc<std::cell::RefCell<tickets::TicketStore>>,
    std::rc::Rc<std::cell::Cell<u32>>,
) {
    let store = std::rc::Rc::new(std::cell::RefCell::new(tickets::TicketStore::default()));
    let heard = std::rc::Rc::new(std::cell::Cell::new(0));
    store.borrow_mut().on_change({
        let heard = heard.clone();
        move || heard.set(heard.get() + 1)
    });
    (store, heard)
}

/// The ticket store on its own, with no scheduler and no page context (code-shape review: it
/// reached both through globals): it asks the worker, applies the answer to itself and tells
/// its one listener; a store the page dropped takes no answer.
#[wasm_bindgen_test]
async fn the_ticket_store_fetches_and_tells_its_listener_on_its_own() {
    use snshare_core::messages::SnapshotNeed;
    // A worker that answers every snapshot request with one queued share, counting the asks.
    let _runtime = FakeRuntime::install(
        "globalThis.__snshareAsks = 0;
         chrome.runtime = { sendMessage: (m) => {
           if (m?.body?.type !== 'get_tickets') return Promise.reject(new Error('unexpected ' + m?.body?.type));
           globalThis.__snshareAsks += 1;
           return Promise.resolve({ v: 1, body: { type: 'snapshot', data: {
             tickets: [], counts: [], queued_action_ids: ['AdminMFAV2'], refreshing: false,
             fetched_at: 1, shown: '' } } });
         } };",
    );
    let asks = || global_count("__snshareAsks");

    let (store, heard) = listened_store();
    tickets::ensure(&store, SnapshotNeed::Shown);
    sleep::until("the listener hears of the snapshot", || heard.get() == 1).await;
    assert!(store.borrow().is_queued("AdminMFAV2"));
    assert!(store.borrow().has_badges());
    // Fresh: asked again, it is not fetched again.
    tickets::ensure(&store, SnapshotNeed::Shown);
    sleep::sleep(50).await;
    assert_eq!((asks(), heard.get()), (1.0, 1));

    // A store dropped while its request is on the way: the answer goes nowhere.
    let (gone, heard_gone) = listened_store();
    tickets::refresh(&gone);
    drop(gone);
    sleep::until("the second request is made", || asks() == 2.0).await;
    sleep::sleep(50).await;
    assert_eq!(heard_gone.get(), 0);
}

/// Whether the worker answers is said on the root element by the answer to every page's first
/// request (what the worker remembers of the tenant), not by a ping of its own: one message
/// and one wake-up of the worker fewer per portal page.
#[wasm_bindgen_test]
async fn the_worker_s_first_answer_marks_the_root_without_a_ping() {
    setup();
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .unwrap();
    for (answers, expected) in [(true, "ok"), (false, "unreachable")] {
        let _ = root.remove_attribute("data-snshare-worker");
        let _runtime = FakeRuntime::install(&format!(
            "globalThis.__snshareTypes = [];
             chrome.runtime = {{ sendMessage: (m) => {{
               globalThis.__snshareTypes.push(m?.body?.type);
               if (!{answers}) return Promise.reject(new Error('Could not establish connection. Receiving end does not exist.'));
               if (m?.body?.type !== 'get_portal_context') return Promise.reject(new Error('unexpected ' + m?.body?.type));
               return Promise.resolve({{ v: 1, body: {{ type: 'portal_context', data: {{ titles: [], upn: null }} }} }});
             }} }};"
        ));
        let ctx = Ctx::new();
        ctx.start_learning();
        sleep::until("the worker's answer is marked on the root", || {
            root.has_attribute("data-snshare-worker")
        })
        .await;
        assert_eq!(
            root.get_attribute("data-snshare-worker").as_deref(),
            Some(expected)
        );
        sleep::sleep(50).await;
        let types = js_sys::Reflect::get(&js_sys::global(), &"__snshareTypes".into()).unwrap();
        let types: Vec<String> = js_sys::Array::from(&types)
            .iter()
            .filter_map(|t| t.as_string())
            .collect();
        assert_eq!(types, ["get_portal_context"]);
    }
}

/// A share settles while a snapshot request is on the way (a poll while the worker refreshes):
/// that request may have read the outbox before the ticket existed. Its answer is applied, and
/// the snapshot is asked for again at once, not in a minute: the badge must not stay on
/// "queued" after the form showed the ticket's number.
#[wasm_bindgen_test]
async fn a_share_settled_during_a_fetch_is_fetched_again_after_it() {
    use snshare_core::messages::SnapshotNeed;
    // A worker whose first answer (the share still queued) waits until the test releases it;
    // later answers say the share is done.
    let _runtime = FakeRuntime::install(
        "globalThis.__snshareHeldAsks = 0;
         const answer = (queued) => ({ v: 1, body: { type: 'snapshot', data: {
           tickets: [], counts: [], queued_action_ids: queued, refreshing: false,
           fetched_at: 1, shown: '' } } });
         chrome.runtime = { sendMessage: (m) => {
           if (m?.body?.type !== 'get_tickets') return Promise.reject(new Error('unexpected ' + m?.body?.type));
           globalThis.__snshareHeldAsks += 1;
           if (globalThis.__snshareHeldAsks > 1) return Promise.resolve(answer([]));
           return new Promise((resolve) => {
             globalThis.__snshareRelease = () => resolve(answer(['AdminMFAV2']));
           });
         } };",
    );
    let asks = || global_count("__snshareHeldAsks");
    let (store, heard) = listened_store();
    tickets::ensure(&store, SnapshotNeed::Shown);
    sleep::until("the first request is made", || asks() == 1.0).await;
    // The share settles now: the form asks for the snapshot again.
    tickets::refresh(&store);
    js_sys::Function::new_no_args("globalThis.__snshareRelease()")
        .call0(&JsValue::NULL)
        .unwrap();
    sleep::until("the snapshot is asked for again", || asks() == 2.0).await;
    sleep::until("the second answer is applied", || heard.get() == 2).await;
    assert!(!store.borrow().is_queued("AdminMFAV2"));
    assert!(!store.borrow().has_badges());
}

// ---------------------------------------------------------------------------------------------
// The task form
// ---------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
fn descriptions_are_plain_text_with_the_link() {
    let link = "https://security.microsoft.com/securescore?viewid=actions&actionId=AdminMFAV2";
    assert_eq!(
        description_from_row("Require MFA ", link),
        format!("Require MFA\n\n{link}")
    );
    let root = mount(&VARIANTS[1].panel_html("s"));
    let content = selectors::read_panel(&selectors::find_panel(&root).unwrap());
    assert_eq!(
        description_from_panel(&content, link),
        format!(
            "Markup stays text: <script>alert(1)</script>\n\nPrerequisiti:\nPrerequisite with <b>bold</b>.\n\nPassaggi successivi:\n1. Step one\n2. Step two\n\n{link}"
        )
    );
}

#[wasm_bindgen_test]
fn a_description_without_a_title_of_its_own_is_read_from_under_the_heading() {
    // As the real flyout may show it: the heading, the commands, a score chip, the description
    // without a "Description" title, then the named sections.
    let root = mount(
        "<div role=\"dialog\" aria-modal=\"true\"><div role=\"heading\" aria-level=\"2\">Require MFA for administrative roles</div>\
         <div><button type=\"button\"><span>Edit status &amp; action plan</span></button><button type=\"button\" aria-haspopup=\"true\">Share</button></div>\
         <div><span>Points achieved</span> <span>0/10</span></div>\
         <div><div>Score impact</div><div>+2.46%</div><div>Implementation status</div><div>To address</div></div>\
         <div><div>Requiring multifactor authentication for administrative roles makes it harder for attackers to take over accounts. <a href=\"https://learn.microsoft.com/x\">Learn more</a></div></div>\
         <div><div>At a glance</div><div>Category</div><div>Identity</div></div>\
         <div><div>Implementation</div><div>Prerequisites</div><div>You need a Microsoft Entra ID P1 license to turn this on.</div>\
           <div>Next steps</div><ol><li>Go to Entra</li></ol></div></div>",
    );
    let content = selectors::read_panel(&selectors::find_panel(&root).unwrap());
    assert_eq!(
        content.description,
        "Requiring multifactor authentication for administrative roles makes it harder for attackers to take over accounts. Learn more"
    );
    assert_eq!(
        content.next_steps.map(|(_, steps)| steps),
        Some(vec!["Go to Entra".to_string()])
    );
}

/// The content script's side of the seam: what the row button's request carries (the account
/// the page shows, the title key, the theme, the opener's token), through content.js's hook.
#[wasm_bindgen_test]
fn the_task_form_request_carries_what_the_page_showed() {
    setup();
    mount(&format!(
        "{}<button id=\"opener\" aria-label=\"Share to ServiceNow: Require MFA\"></button>",
        banner("Account manager for Megan Bowen", true)
    ));
    let seen = js_sys::Array::new();
    let hooks = js_sys::Object::new();
    let keep = Closure::<dyn Fn(JsValue)>::new({
        let seen = seen.clone();
        move |r: JsValue| {
            seen.push(&r);
        }
    });
    js_sys::Reflect::set(&hooks, &"open_task".into(), keep.as_ref()).unwrap();
    forms::install(hooks.into(), &doc());
    let ctx = Ctx::new();
    let opener = doc().get_element_by_id("opener").unwrap();
    let action =
        ActionContext::from_row("AdminMFAV2", "Require MFA", Some(Category::Identity), None);
    forms::open_task(
        &ctx,
        FormRequest {
            action: Some(action.clone()),
            kind: None,
            return_focus: Some(opener.clone()),
        },
    );
    assert_eq!(seen.length(), 1);
    let r = snshare_web::form_request::decode_task(&seen.get(0)).unwrap();
    assert_eq!(r.action, Some(action));
    assert_eq!(r.user_id.as_deref(), Some("MeganB@contoso.onmicrosoft.com"));
    assert_eq!(r.title_key, ctx.title_key("Require MFA"));
    assert!(r.title_key.is_some());
    assert!(r.theme == "light" || r.theme == "dark");
    let token = opener
        .get_attribute(snshare_web::form_request::OPENER_ATTR)
        .unwrap();
    assert_eq!(r.opener, token);
    assert_eq!(r.planned_offer, None, "no panel shows the action");
    forms::install(JsValue::UNDEFINED, &doc());
    drop(keep);
}

/// content.js could not load the forms module: the person reads why next to the control they
/// used, once, and the message goes with the next attempt.
#[wasm_bindgen_test]
fn a_forms_module_that_does_not_load_is_said_next_to_the_opener() {
    setup();
    let root = mount("<div><button id=\"opener\">Share</button><span id=\"after\"></span></div>");
    let opener = doc().get_element_by_id("opener").unwrap();
    opener
        .set_attribute(snshare_web::form_request::OPENER_ATTR, "fa11ed")
        .unwrap();
    let request =
        snshare_web::form_request::encode_task(&snshare_web::form_request::TaskFormRequest {
            action: None,
            kind: None,
            user_id: None,
            title_key: None,
            page_lang: String::new(),
            theme: "light".into(),
            opener: "fa11ed".into(),
            planned_offer: None,
        });
    snshare_content::forms_unavailable(request.clone());
    snshare_content::forms_unavailable(request);
    let alerts = all(&root, "[role=alert]");
    assert_eq!(alerts.len(), 1, "said once");
    assert_eq!(opener.next_element_sibling().as_ref(), Some(&alerts[0]));
    assert_eq!(
        text(&alerts[0]),
        "snshare could not open its form. Reload the page to try again."
    );
    forms::close();
    assert!(all(&root, "[role=alert]").is_empty());
}

/// The cards at 300 px: each ticket as two lines (number and state, then
/// the name), every number whole, page text as text.
#[wasm_bindgen_test]
fn a_card_at_300_px_shows_every_ticket_number_whole() {
    setup();
    let root = mount("<div id=\"dash\" style=\"width:300px\"></div>");
    // The sheet the manifest has the browser inject into the portal.
    let sheet = doc().create_element("style").unwrap();
    sheet.set_text_content(Some(include_str!("../extension/content.css")));
    root.append_child(&sheet).unwrap();
    let mut list: Vec<TicketSummary> = (1..=5)
        .map(|n| {
            let mut t = ticket(
                n + 10_000,
                "AdminMFAV2",
                true,
                "Awaiting User Info and Review",
            );
            t.short_description =
                format!("<img src=x onerror=alert(1)> {}", "Require MFA ".repeat(12));
            t
        })
        .collect();
    list[0].link = "javascript:alert(1)".into();
    let store = tickets::store_with(&list);
    let dash = root.query_selector("#dash").unwrap().unwrap();
    let cards = snshare_content::cards::build_cards(
        &doc(),
        snshare_content::cards::Mode::Tickets(
            snshare_core::domain::connection::ConnectionState::Connected,
        ),
        &store,
        &("portal-card".into(), "portal-title".into()),
    );
    assert_eq!(cards.len(), 2);
    for c in &cards {
        dash.append_child(c).unwrap();
    }
    let incidents = cards
        .iter()
        .find(|c| c.get_attribute("data-snshare-card").as_deref() == Some("incident"))
        .unwrap();
    assert!(incidents.class_list().contains("portal-card"));
    assert!(all(incidents, "table").is_empty(), "no table in a card");
    let latest = incidents
        .query_selector("ul.snshare-latest")
        .unwrap()
        .unwrap();
    assert_eq!(
        latest.get_attribute("aria-label").as_deref(),
        Some("Latest tickets")
    );
    let items = all(&latest, "li");
    assert_eq!(items.len(), 5);
    let card_right = incidents.get_bounding_client_rect().right();
    for item in &items {
        let number = item
            .query_selector(".snshare-ticket-number")
            .unwrap()
            .unwrap();
        let n = number.unchecked_ref::<HtmlElement>();
        assert!(text(&number).starts_with("INC"), "{}", text(&number));
        assert!(
            n.scroll_width() <= n.client_width(),
            "{} is cut",
            text(&number)
        );
        let r = number.get_bounding_client_rect();
        assert!(
            r.right() <= card_right,
            "{} overflows the card",
            text(&number)
        );
        let state = item
            .query_selector(".snshare-ticket-state")
            .unwrap()
            .unwrap();
        assert_eq!(text(&state), "Awaiting User Info and Review");
        let name = item
            .query_selector(".snshare-ticket-name")
            .unwrap()
            .unwrap();
        assert!(
            name.get_bounding_client_rect().top() >= r.bottom() - 1.0,
            "the name is on the line below the number"
        );
        assert!(
            text(&name).starts_with("<img src=x"),
            "page text stays text"
        );
    }
    assert!(all(incidents, "img").is_empty());
    // Only an https link is made a link.
    assert_eq!(all(&latest, "a[href]").len(), 4);
    for c in &cards {
        c.remove();
    }
}

/// The popup's "Share all actions on this page that have no ticket" reads the content script's
/// preview with its own serde type: every category and status, and none, come back as written.
#[wasm_bindgen_test]
fn the_bulk_preview_reads_back_as_the_popup_reads_it() {
    use snshare_content::{preview_json, PreviewItem};
    use snshare_pages::popup::PreviewItem as Read;
    let categories = Category::ALL.map(Some);
    let statuses = ActionStatus::ALL.map(Some);
    let want: Vec<Read> = (0..categories.len().max(statuses.len()) + 1)
        .map(|i| {
            let text = |what: &str| format!("{what} {i} \"quoted\" <b>é</b>\n");
            Read {
                key: format!("title.{i:012x}"),
                title: text("title"),
                category: categories.get(i).copied().flatten(),
                status: statuses.get(i).copied().flatten(),
                description: text("description"),
                link: text("https://security.microsoft.com/actions?id="),
                user_id: text("user"),
            }
        })
        .collect();
    let items: Vec<PreviewItem> = want
        .iter()
        .cloned()
        .map(|r| PreviewItem {
            key: r.key,
            title: r.title,
            category: r.category,
            status: r.status,
            description: r.description,
            link: r.link,
            user_id: r.user_id,
        })
        .collect();
    let read: Vec<Read> = serde_json::from_str(&preview_json(&items)).unwrap();
    assert_eq!(read, want);
    assert_eq!(preview_json(&[]), "[]");
}

// ---------------------------------------------------------------------------------------------
// The answers the content script decodes by hand read exactly what the contract's serde writes
// ---------------------------------------------------------------------------------------------

mod decoders {
    use super::*;
    use snshare_content::wire_decode as decode;
    use snshare_core::domain::connection::{ConnectionState, ConnectionStatus};
    use snshare_core::domain::diagnosis::Diagnosis;
    use snshare_core::domain::draft::{DraftField, FieldError, TaskDraft};
    use snshare_core::domain::settings::{FieldMapping, RecordRef, SettingsView, TicketDefaults};
    use snshare_core::domain::ticket::RecommendationSource;
    use snshare_core::messages::{CreateApi, ShareOutcome, StateCount, TicketSnapshot};
    use snshare_web::to_js;

    fn draft() -> TaskDraft {
        TaskDraft {
            kind: TicketKind::ChangeRequest,
            name: XSS_TITLE.into(),
            description: "d\nline".into(),
            priority: Priority::Planning,
            due_date: "2030-01-15".into(),
            user_id: "MeganB@contoso.onmicrosoft.com".into(),
            source: RecommendationSource::User,
            category: Some(Category::Infrastructure),
            status: Some(ActionStatus::ResolvedThroughAlternateMitigation),
            action_id: Some("AdminMFAV2".into()),
            action_url: None,
            assignment_group: Some(RecordRef {
                sys_id: "a715cd759f2002002920bde8132e7018".into(),
                name: "Security Operations".into(),
            }),
            compliance: None,
        }
    }

    #[wasm_bindgen_test]
    fn tickets_snapshots_and_drafts() {
        let mut t = ticket(7, "AdminMFAV2", true, "In Progress");
        t.kind = TicketKind::ChangeRequest;
        t.priority = None;
        t.assigned_to = Some("Beth Anglin".into());
        let u = ticket(8, "x", false, "Closed");
        assert_eq!(decode::ticket(&to_js(&t).unwrap()).unwrap(), t);
        assert_eq!(
            decode::tickets(&to_js(&vec![t.clone(), u.clone()]).unwrap()).unwrap(),
            vec![t.clone(), u.clone()]
        );
        let snap = TicketSnapshot {
            fetched_at: Some(1_700_000_000_123),
            tickets: vec![t.clone(), u],
            counts: vec![StateCount {
                kind: TicketKind::Incident,
                state: "2".into(),
                label: "In Progress".into(),
                count: 3,
            }],
            queued_action_ids: vec!["AdminMFAV2".into()],
            refreshing: true,
            shown: String::new(),
        };
        assert_eq!(decode::snapshot(&to_js(&snap).unwrap()).unwrap(), snap);
        // Each action's shown ticket, packed by the worker, as the content script reads it:
        // the text crosses whole; an answer without it has no badges to look up.
        let mut indexed = snap.clone();
        // Text beyond ASCII crosses whole (the browser's encoder, not wasm-bindgen's copy).
        indexed.tickets[0].short_description = "état « ouvert » 🙂 MFA".into();
        indexed.shown = snshare_core::domain::ticket::pack_shown(
            &indexed.tickets,
            &snshare_core::domain::ticket::index_by_action(&indexed.tickets),
        );
        let raw = decode::raw_snapshot(&to_js(&indexed).unwrap()).unwrap();
        let read = snshare_core::domain::ticket::unpack_shown(&raw.shown);
        assert_eq!(
            read.iter()
                .map(|a| (a.key.as_str(), a.count, a.shown.number.as_str()))
                .collect::<Vec<_>>(),
            [("AdminMFAV2", 1, t.number.as_str()), ("x", 1, "INC0000008")]
        );
        assert_eq!(read[0].shown.kind, TicketKind::ChangeRequest);
        assert_eq!(read[0].shown.short_description, "état « ouvert » 🙂 MFA");
        // A `shown` that is not a text reads as none.
        let odd = to_js(&indexed).unwrap();
        js_sys::Reflect::set(&odd, &"shown".into(), &7.into()).unwrap();
        assert!(decode::raw_snapshot(&odd).unwrap().shown.is_empty());
        assert!(decode::raw_snapshot(&to_js(&snap).unwrap())
            .unwrap()
            .shown
            .is_empty());
        let empty = TicketSnapshot::default();
        assert_eq!(decode::snapshot(&to_js(&empty).unwrap()).unwrap(), empty);
        for d in [
            draft(),
            TaskDraft {
                category: None,
                status: None,
                action_id: None,
                action_url: Some("u".into()),
                assignment_group: None,
                compliance: None,
                ..draft()
            },
        ] {
            assert_eq!(
                decode::optional_draft(&to_js(&Some(d.clone())).unwrap()).unwrap(),
                Some(d)
            );
        }
        assert_eq!(
            decode::optional_draft(&to_js(&None::<TaskDraft>).unwrap()).unwrap(),
            None
        );
        assert!(decode::ticket(&JsValue::from_str("junk")).is_err());
    }

    /// JSON text of a JS value: serde's JSON-compatible objects and the hand-written ones
    /// compare by their text (same keys in the same order, same values).
    fn json(v: &JsValue) -> String {
        js_sys::JSON::stringify(v)
            .map(String::from)
            .unwrap_or_default()
    }

    #[wasm_bindgen_test]
    fn requests_are_written_as_serde_writes_them() {
        use snshare_content::wire_encode as encode;
        use snshare_core::domain::draft::ComplianceFacts;
        use snshare_core::messages::{
            BulkItem, BulkShareRequest, ExtensionPage, RecordTable, Request, RequestBody as B,
            ShareRequest, SnapshotNeed,
        };
        let bare = TaskDraft {
            category: None,
            status: None,
            action_id: None,
            action_url: None,
            assignment_group: None,
            ..draft()
        };
        let bare_bulk = bare.clone();
        let sent = [
            B::Ping,
            B::GetStatus,
            B::GetSettings,
            B::Share(ShareRequest {
                share_id: "s-1".into(),
                draft: draft(),
                allow_duplicate: true,
            }),
            B::Share(ShareRequest {
                share_id: "s-2".into(),
                draft: bare.clone(),
                allow_duplicate: false,
            }),
            B::FindOpenTickets {
                action_id: "AdminMFAV2".into(),
            },
            B::GetTickets {
                force_refresh: false,
                need: SnapshotNeed::Every,
            },
            B::GetTickets {
                force_refresh: true,
                need: SnapshotNeed::Shown,
            },
            B::GetTickets {
                force_refresh: false,
                need: SnapshotNeed::Both,
            },
            B::GetDraft { key: "new".into() },
            B::SaveDraft {
                key: "AdminMFAV2".into(),
                draft: draft(),
            },
            B::SaveDraft {
                key: "new".into(),
                draft: bare,
            },
            B::DeleteDraft { key: "new".into() },
            B::OpenPage {
                page: ExtensionPage::Options,
            },
            B::OpenPage {
                page: ExtensionPage::Tickets,
            },
            B::SearchRecords {
                table: RecordTable::Group,
                text: XSS_TITLE.into(),
            },
            B::GetPortalContext {
                tenant: "contoso.onmicrosoft.com".into(),
            },
            B::LearnPortalContext {
                tenant: "contoso.onmicrosoft.com".into(),
                titles: vec![("require mfa".into(), "AdminMFAV2".into())],
                upn: Some("MeganB@contoso.onmicrosoft.com".into()),
            },
            B::LearnPortalContext {
                tenant: "t".into(),
                titles: vec![],
                upn: None,
            },
            B::Share(ShareRequest {
                share_id: "s-3".into(),
                draft: TaskDraft {
                    source: RecommendationSource::ComplianceManager,
                    action_id: Some("cm:ia-1".into()),
                    compliance: Some(Box::new(ComplianceFacts {
                        assessments: "Data Protection Baseline".into(),
                        regulations: "ISO 27001; NIST 800-53".into(),
                        control_family: "Access control".into(),
                        points: "0/27".into(),
                        implementation_status: "Not implemented".into(),
                        test_status: XSS_TITLE.into(),
                    })),
                    ..draft()
                },
                allow_duplicate: false,
            }),
            B::FindOpenTicketsBulk {
                action_ids: vec!["AdminMFAV2".into(), "snshare:title:ab12".into()],
            },
            B::ShareBulk(BulkShareRequest {
                bulk_id: "b-1".into(),
                items: vec![
                    BulkItem {
                        share_id: "b-10".into(),
                        draft: draft(),
                        allow_duplicate: false,
                    },
                    BulkItem {
                        share_id: "b-11".into(),
                        draft: bare_bulk,
                        allow_duplicate: true,
                    },
                ],
            }),
            B::GetBulk {
                bulk_id: "b-1".into(),
            },
            B::RetryBulk {
                bulk_id: "b-1".into(),
            },
        ];
        for body in sent {
            let serde = json(&to_js(&Request::new(body.clone())).unwrap());
            assert_eq!(json(&encode::request(&body).unwrap()), serde);
        }
        // What only extension pages send is not written at all.
        assert!(encode::request(&B::Disconnect).is_err());
    }

    #[wasm_bindgen_test]
    fn status_and_settings() {
        for state in [
            ConnectionState::NotConnected,
            ConnectionState::Connected,
            ConnectionState::AuthorizationNeeded,
            ConnectionState::Unreachable,
        ] {
            let mut s = ConnectionStatus::not_connected(Some("https://x.service-now.com".into()));
            s.state = state;
            assert_eq!(decode::status_state(&to_js(&s).unwrap()).unwrap(), state);
        }
        let view = SettingsView {
            defaults: TicketDefaults {
                kind: TicketKind::ChangeRequest,
                priority: Priority::High,
                due_in_days: 30,
            },
            fallback_user_id: Some("admin@contoso.example".into()),
            mapping: FieldMapping {
                assignment_group: Some(RecordRef {
                    sys_id: "g1".into(),
                    name: "Network".into(),
                }),
                ..FieldMapping::default()
            },
            ..SettingsView::default()
        };
        assert_eq!(
            decode::form_settings(&to_js(&view).unwrap()).unwrap(),
            decode::FormSettings {
                defaults: view.defaults.clone(),
                fallback_user_id: view.fallback_user_id.clone(),
                assignment_group: view.mapping.assignment_group.clone(),
            }
        );
        let plain = SettingsView::default();
        assert_eq!(
            decode::form_settings(&to_js(&plain).unwrap())
                .unwrap()
                .assignment_group,
            None
        );
        let groups = vec![RecordRef {
            sys_id: "g2".into(),
            name: "Service Desk".into(),
        }];
        assert_eq!(decode::records(&to_js(&groups).unwrap()).unwrap(), groups);
    }

    #[wasm_bindgen_test]
    fn every_share_outcome_and_diagnosis() {
        let t = ticket(1, "AdminMFAV2", true, "New");
        let diagnoses = vec![
            Diagnosis::InstanceUnreachable,
            Diagnosis::NotServiceNow,
            Diagnosis::ClientRejected,
            Diagnosis::CredentialsRejected,
            Diagnosis::RefreshTokenExpired,
            Diagnosis::AuthorizationLost,
            Diagnosis::PersonalAccount {
                user_name: "abel.tuter".into(),
            },
            Diagnosis::SingleSignOn,
            Diagnosis::CrossScopeRefused,
            Diagnosis::IpFiltered,
            Diagnosis::MissingRoles {
                table: "incident".into(),
            },
            Diagnosis::RateLimited {
                retry_after_secs: 30,
            },
            Diagnosis::AccessDenied,
            Diagnosis::AuthorizationCancelled,
            Diagnosis::PermissionDenied,
            Diagnosis::StateMismatch,
            Diagnosis::RecordRejected {
                message: "<b>no</b>".into(),
            },
            Diagnosis::ServerError { status: 503 },
            Diagnosis::Timeout,
            Diagnosis::Offline,
            Diagnosis::NotConfigured,
            Diagnosis::Unexpected {
                message: "m".into(),
            },
        ];
        for d in diagnoses {
            assert_eq!(decode::diagnosis(&to_js(&d).unwrap()), d);
            let failed = ShareOutcome::Failed {
                share_id: "s1".into(),
                diagnosis: d.clone(),
            };
            assert_eq!(
                decode::share_outcome(&to_js(&failed).unwrap()).unwrap(),
                failed
            );
        }
        for outcome in [
            ShareOutcome::Created {
                ticket: t.clone(),
                api: CreateApi::TableApi,
            },
            ShareOutcome::Created {
                ticket: t.clone(),
                api: CreateApi::ChangeManagementApi,
            },
            ShareOutcome::Queued {
                share_id: "s2".into(),
                reason: Diagnosis::Timeout,
            },
            ShareOutcome::Invalid {
                errors: vec![FieldError {
                    field: DraftField::DueDate,
                    message_key: "field_error_due_date_past".into(),
                }],
            },
            ShareOutcome::Duplicate {
                existing: vec![t.clone()],
            },
            ShareOutcome::NotConnected,
        ] {
            assert_eq!(
                decode::share_outcome(&to_js(&outcome).unwrap()).unwrap(),
                outcome
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fluent UI v8 shapes, as the real portal's component library renders them
// ---------------------------------------------------------------------------------------------

/// Fluent's icon: a private-use glyph inside `<i aria-hidden>`.
fn icon(name: &str) -> String {
    format!("<i data-icon-name=\"{name}\" aria-hidden=\"true\" class=\"root-1{name}\">\u{E8A7}</i>")
}

/// A Fluent `DetailsList`: header cells with sort glyphs, rows whose data cells sit in a
/// `DetailsRowFields` wrapper, titles as `button.ms-Link` (no href), one plain-text title, a
/// shimmer row still loading. Headers in `lang`'s words (title, category).
fn fluent_list(title_header: &str, category_header: &str, link_titles: bool) -> String {
    let header = format!(
        "<div role=\"row\" class=\"ms-DetailsHeader x1\"><div role=\"columnheader\" aria-colindex=\"1\" class=\"check\"><div role=\"checkbox\" aria-label=\"Select all\"></div></div>\
         <div role=\"columnheader\" aria-colindex=\"2\" data-item-key=\"c1\"><span class=\"cellName\">Rank</span>{}</div>\
         <div role=\"columnheader\" aria-colindex=\"3\" data-item-key=\"c2\"><span class=\"cellName\">{title_header}</span>{}</div>\
         <div role=\"columnheader\" aria-colindex=\"4\" data-item-key=\"c3\"><span class=\"cellName\">{category_header} </span>{}</div></div>",
        icon("SortDown"),
        icon("ChevronDown"),
        icon("Filter")
    );
    let rows: String = ACTIONS
        .iter()
        .enumerate()
        .map(|(i, (id, title, category))| {
            let title_html = if i == 2 {
                format!("<span class=\"t-{i}\">{}</span>", esc(title))
            } else if link_titles {
                format!("<a href=\"/securescore?viewid=actions&amp;actionId={id}\" class=\"ms-Link\">{}</a>", esc(title))
            } else {
                format!("<button type=\"button\" class=\"ms-Link root-{i}\">{}{}</button>", icon("OpenPane"), esc(title))
            };
            format!(
                "<div role=\"row\" data-automationid=\"DetailsRow\" aria-rowindex=\"{r}\" class=\"ms-DetailsRow root-9{i}\"><div role=\"gridcell\" aria-colindex=\"1\" class=\"ms-DetailsRow-cellCheck\"><div role=\"checkbox\" aria-checked=\"false\" aria-label=\"Select row\"></div></div>\
                 <div class=\"ms-DetailsRow-fields fields-3\" data-automationid=\"DetailsRowFields\" role=\"presentation\">\
                 <div role=\"gridcell\" aria-colindex=\"2\" data-automation-key=\"c1\" data-automationid=\"DetailsRowCell\">{n}</div>\
                 <div role=\"rowheader\" aria-colindex=\"3\" data-automation-key=\"c2\" data-automationid=\"DetailsRowCell\"><div class=\"tt\"><span>{title_html}</span></div></div>\
                 <div role=\"gridcell\" aria-colindex=\"4\" data-automation-key=\"c3\" data-automationid=\"DetailsRowCell\">{category}</div></div></div>",
                r = i + 2,
                n = i + 1
            )
        })
        .collect();
    let shimmer = "<div role=\"row\" class=\"shimmer\"><div role=\"gridcell\"><span class=\"ms-Shimmer\"></span></div></div>";
    format!("<div role=\"grid\" aria-colcount=\"4\" aria-rowcount=\"5\" class=\"ms-DetailsList r7\"><div role=\"rowgroup\">{header}</div><div role=\"rowgroup\">{rows}{shimmer}</div></div>")
}

#[wasm_bindgen_test]
fn accessible_names_are_computed_as_a_screen_reader_does() {
    setup();
    let root = mount(&format!(
        "<span id=\"a\">Recommended\u{a0}</span><span id=\"b\" aria-label=\"action\">ignored text</span><span id=\"c\">{}</span>\
         <button id=\"by\" aria-labelledby=\"a missing b c\" aria-label=\"not this\">nor this</button>\
         <button id=\"label\" aria-label=\"  Share  \">{}Other</button>\
         <button id=\"glyphs\">{}  Share\u{E70D}\u{F0001} <span hidden>secret</span><span aria-hidden=\"true\">noise</span></button>\
         <div id=\"chain\" aria-labelledby=\"by\">x</div>\
         <div id=\"empty\" aria-labelledby=\"missing\" aria-label=\"\"> Plain \n text </div>\
         <a id=\"plain\" href=\"/x\">\n Turn on <b>MFA</b>\u{E70D}  </a>",
        icon("Share"),
        icon("Share"),
        icon("Share")
    ));
    let name = |id: &str| {
        selectors::accessible_name(&root.query_selector(&format!("#{id}")).unwrap().unwrap())
    };
    // Every id of aria-labelledby, in order; a referenced node's aria-label wins over its text;
    // an icon-only reference adds nothing.
    assert_eq!(name("by"), "Recommended action");
    assert_eq!(name("label"), "Share");
    // Text of what is not hidden, private-use glyphs dropped, spaces collapsed.
    assert_eq!(name("glyphs"), "Share");
    assert!(selectors::is_share_label(&name("glyphs")));
    // A referenced node's own aria-labelledby is not followed: its aria-label is used.
    assert_eq!(name("chain"), "not this");
    assert_eq!(name("empty"), "Plain text");
    // No label and nothing hidden (a row's title link): its text, as the long way gives it.
    assert_eq!(name("plain"), "Turn on MFA");
}

#[wasm_bindgen_test]
fn fluent_rows_without_links_each_have_an_action_title_and_cells_under_wrappers() {
    setup();
    let langs = &selectors::LANGUAGES;
    for (lang, link_titles) in [(&langs[0], false), (&langs[3], false), (&langs[5], true)] {
        let root = mount(&fluent_list(
            lang.title_header,
            lang.category_header,
            link_titles,
        ));
        let list = selectors::find_list(&root).expect("found by its header");
        let map = selectors::column_map(&list);
        assert_eq!(
            map.title.as_ref().and_then(|c| c.key.clone()).as_deref(),
            Some("c2"),
            "{}",
            lang.lang
        );
        assert_eq!(
            map.category.as_ref().and_then(|c| c.key.clone()).as_deref(),
            Some("c3")
        );
        let rows = selectors::action_rows(&list);
        assert_eq!(
            rows.len(),
            3,
            "header and shimmer rows are not action rows ({})",
            lang.lang
        );
        for (i, (row, (id, title, _))) in rows.iter().zip(ACTIONS).enumerate() {
            let a = selectors::row_action(&map, row).unwrap();
            assert_eq!(a.title, title, "glyph-free title");
            let linked = link_titles && i != 2;
            assert_eq!(a.action_id.as_deref(), linked.then_some(id));
            assert_eq!(a.in_cell, i == 2, "plain text is shared from its cell");
            assert_eq!(selectors::row_cells(row).len(), 4, "cells as descendants");
        }
        let cats: Vec<_> = rows
            .iter()
            .map(|r| selectors::row_category(&selectors::column_map(&list), r))
            .collect();
        assert_eq!(
            cats,
            vec![
                Some(Category::Identity),
                Some(Category::Data),
                Some(Category::Devices)
            ]
        );
    }
}

#[wasm_bindgen_test]
fn categories_and_headers_are_read_in_the_six_languages() {
    assert_eq!(selectors::category_of("Identité"), Some(Category::Identity));
    assert_eq!(selectors::category_of(" Enhet "), Some(Category::Devices));
    assert_eq!(selectors::category_of("資料"), Some(Category::Data));
    assert_eq!(selectors::category_of("Gegevens"), Some(Category::Data));
    assert_eq!(
        selectors::category_of("Infrastruttura"),
        Some(Category::Infrastructure)
    );
    assert_eq!(selectors::category_of("Account"), Some(Category::Identity));
    assert_eq!(selectors::category_of("Identity and more words"), None);
    assert!(selectors::is_category_header("Catégorie\u{E70D}"));
    assert!(selectors::is_category_header("Category, sorted ascending"));
    assert!(!selectors::is_category_header("Categorization"));
    assert!(selectors::is_title_header("rekommenderad ÅTGÄRD"));
}

/// A Fluent `Panel`: a layer at the end of the body, `role=dialog aria-modal`, its title a
/// `div[role=heading]`, section titles as plain styled divs, French labels.
fn fluent_panel() -> String {
    format!(
        "<div class=\"ms-Layer\"><div role=\"dialog\" aria-modal=\"true\" class=\"ms-Panel is-open\"><div class=\"ms-Panel-main\"><div class=\"ms-FocusTrapZone\">\
         <div class=\"hdr\"><div role=\"heading\" aria-level=\"1\" class=\"ms-Panel-headerText\">{}Exiger MFA</div></div>\
         <div class=\"cmd\"><button type=\"button\" aria-haspopup=\"true\" aria-expanded=\"false\" class=\"ms-Button more\">{}</button>\
         <button type=\"button\" aria-haspopup=\"true\" aria-expanded=\"true\" class=\"ms-Button\" id=\"share-btn\">{}<span>Partager</span>{}</button></div>\
         <div class=\"sec\"><div class=\"secTitle\"><span>Description</span></div><div class=\"secBody\"><p>Premier paragraphe.</p><p>Second.</p></div></div>\
         <div class=\"sec\"><div class=\"secTitle\">En un coup d'œil</div><div class=\"row\"><div class=\"lbl\">Catégorie</div><div class=\"val\">Identité</div></div></div>\
         <div class=\"sec\"><div class=\"secTitle\">Implémentation</div><div class=\"secTitle2\">Prérequis</div><div>Une licence.</div>\
         <div class=\"secTitle2\">Étapes suivantes</div><ol><li>Ouvrir.</li><li>Activer.</li></ol></div>\
         </div></div></div></div>",
        icon("Info"),
        icon("More"),
        icon("Share"),
        icon("ChevronDown")
    )
}

fn fluent_menu(items: &[&str], top: u32) -> String {
    let lis: String = items
        .iter()
        .map(|t| format!("<li role=\"presentation\" class=\"ms-ContextualMenu-item i-3\"><button type=\"button\" role=\"menuitem\" class=\"ms-ContextualMenu-link l-4\" tabindex=\"0\" data-is-focusable=\"true\"><div class=\"linkContent\">{}<span class=\"ms-ContextualMenu-itemText\">{t}</span></div></button></li>", icon("Mail")))
        .collect();
    format!("<div class=\"ms-Layer\" style=\"position:fixed;top:{top}px;left:10px\"><div class=\"ms-Callout\"><div class=\"ms-FocusZone ms-ContextualMenu\" role=\"menu\"><ul role=\"presentation\" class=\"ms-ContextualMenu-list\">{lis}</ul></div></div></div>")
}

#[wasm_bindgen_test]
fn the_panel_title_and_sections_are_read_from_fluent_markup() {
    setup();
    let root = mount(&fluent_panel());
    let panel = selectors::find_panel(&root).unwrap();
    assert_eq!(selectors::panel_title(&panel), "Exiger MFA");
    let c = selectors::read_panel(&panel);
    assert_eq!(c.title, "Exiger MFA");
    assert_eq!(c.description, "Premier paragraphe.\nSecond.");
    assert_eq!(
        c.prerequisites,
        Some(("Prérequis".into(), "Une licence.".into()))
    );
    assert_eq!(
        c.next_steps,
        Some((
            "Étapes suivantes".into(),
            vec!["Ouvrir.".into(), "Activer.".into()]
        ))
    );
    assert_eq!(c.category, Some(Category::Identity));
    // The Share button by its name, never "the first menu button of the panel".
    let share = selectors::share_button(&panel).unwrap();
    assert_eq!(share.id(), "share-btn");
}

#[wasm_bindgen_test]
fn the_share_menu_is_found_with_no_aria_relation_and_gains_exactly_one_item() {
    setup();
    // An overflow menu far away, and the Share menu next to the button; neither names it.
    let root = mount(&format!(
        "{}{}{}",
        fluent_panel(),
        fluent_menu(&["Export", "Print"], 600),
        fluent_menu(
            &["Copier le lien", "Courrier", "Microsoft Teams", "Planner"],
            40
        )
    ));
    let panel = selectors::find_panel(&root).unwrap();
    let share = selectors::share_button(&panel).unwrap();
    assert!(selectors::menu_of(&share).is_none(), "no ARIA relation");
    let menus = selectors::open_menus(&root);
    assert_eq!(menus.len(), 2);
    let menu = selectors::menu_near(&share, &menus).unwrap();
    assert_eq!(selectors::menu_items(&menu).len(), 4);
    assert!(selectors::is_share_menu(&menu));
    assert!(
        !selectors::is_share_menu(&menus[0]),
        "an overflow menu is not the Share menu"
    );
    assert!(snshare_content::add_share_menu_item(&menu));
    assert!(snshare_content::add_share_menu_item(&menu));
    // Exactly one item more, in the same list as its siblings; nothing of the portal's doubled.
    let items = all(&menu, selectors::MENU_ITEM);
    assert_eq!(items.len(), 5);
    let names: Vec<String> = items.iter().map(selectors::accessible_name).collect();
    assert_eq!(
        names,
        [
            "Copier le lien",
            "Courrier",
            "Microsoft Teams",
            "Planner",
            "ServiceNow"
        ]
    );
    let ours = &items[4];
    assert_eq!(ours.get_attribute("role").as_deref(), Some("menuitem"));
    assert_eq!(ours.parent_element().unwrap().tag_name(), "LI");
    // Fluent: role=menu on the focus zone, the items' li in one shared ul[role=presentation].
    assert_eq!(all(&menu, "ul").len(), 1, "the shared list is not cloned");
    assert_eq!(all(&menu, "li").len(), 5);
    assert_eq!(
        ours.get_attribute("data-is-focusable").as_deref(),
        Some("true"),
        "the focus zone reaches it"
    );
    assert_eq!(all(ours, "[data-icon-name]").len(), 0, "no sibling's glyph");
}

#[wasm_bindgen_test]
fn the_action_id_comes_from_the_row_then_the_map_then_the_title() {
    setup();
    let ctx = Ctx::new();
    let key = snshare_core::domain::action_title::title_key("Require MFA").unwrap();
    // The wasm builds hash with sha2's compact backend: the same key as the native one, the
    // one stored tickets carry.
    assert_eq!(key, "title.fa6631fe6058");
    // Nothing known: the title key, the same for the same title however it is spelled.
    let r = ctx.resolve(None, "Require MFA");
    assert_eq!(r.key, key);
    assert_eq!(ctx.resolve(None, " require\u{a0}MFA\u{E8A7}").key, key);
    // The row's (or URL's) id always wins.
    assert_eq!(
        ctx.resolve(Some("AdminMFAV2"), "Require MFA").key,
        "AdminMFAV2"
    );
    assert_eq!(
        ctx.resolve(Some("AdminMFAV2"), "Require MFA").title_key,
        Some(key.clone())
    );
    // Learned from a panel or a linked row: the title now resolves to the id.
    let generation = ctx.titles_generation.get();
    ctx.learn("Require MFA", "AdminMFAV2");
    assert_ne!(
        ctx.titles_generation.get(),
        generation,
        "bound rows look again"
    );
    let r = ctx.resolve(None, "REQUIRE mfa");
    assert_eq!(r.key, "AdminMFAV2");
    assert_eq!(
        r.title_key,
        Some(key),
        "still looked under for older tickets"
    );
    // A title key is never learned as an id.
    ctx.learn("Other", "title.0123456789ab");
    assert!(ctx.resolve(None, "Other").key.starts_with("title."));
    assert_ne!(ctx.resolve(None, "Other").key, "title.0123456789ab");
}

#[wasm_bindgen_test]
fn badges_are_found_under_the_title_key_too() {
    setup();
    let key = snshare_core::domain::action_title::title_key("Require MFA").unwrap();
    let store = tickets::store_with(&[ticket(7, &key, true, "New")]);
    let root = mount("");
    let d = doc();
    let by_id = snshare_content::badges_for(&d, &store, "AdminMFAV2", Some(&key));
    assert_eq!(by_id.len(), 1);
    assert!(by_id[0]
        .el
        .get_attribute("aria-label")
        .unwrap()
        .contains("INC0000007"));
    assert!(snshare_content::badges_for(&d, &store, "AdminMFAV2", None).is_empty());
    let _ = root;
}

/// A badge's name is the catalogue's message with the ticket's own texts put in once: texts
/// that look like placeholders (`$1`) or hold control characters stay as they are.
#[wasm_bindgen_test]
fn badge_names_are_the_catalogues_with_the_tickets_texts_as_given() {
    setup();
    let odd = "In \u{3} Progress $1 \u{1}";
    let store = tickets::store_with(&[
        ticket(2, "AdminMFAV2", true, odd),
        ticket(1, "AdminMFAV2", true, "New"),
        ticket(3, "AdminMFAV2", false, "Closed"),
        ticket(5, "X", true, "Work \u{3} in progress"),
    ]);
    let d = doc();
    let name = |action: &str| {
        snshare_content::badges_for(&d, &store, action, None)
            .first()
            .and_then(|b| b.el.get_attribute("aria-label"))
    };
    assert_eq!(
        name("AdminMFAV2").as_deref(),
        Some(
            "ServiceNow ticket INC0000002: In \u{3} Progress $1 \u{1} (3 tickets for this action)"
        )
    );
    assert_eq!(
        name("X").as_deref(),
        Some("ServiceNow ticket INC0000005: Work \u{3} in progress")
    );
    // Asked again (the names are kept once worded): the same.
    assert_eq!(
        name("X").as_deref(),
        Some("ServiceNow ticket INC0000005: Work \u{3} in progress")
    );
}

#[wasm_bindgen_test]
fn the_recognition_report_holds_structure_only() {
    setup();
    let markers = [
        "MARKERtext1",
        "MARKERid2",
        "MARKERclass3",
        "MARKERlabel4",
        "MARKERhref5",
        "MARKERdata6",
        "MARKERrole7",
        "MARKERtitle8",
        "MARKERattrname9",
        "markertag10",
        "MARKERmenu11",
        "MARKERupn12",
        "MARKERname13",
        "MARKERstatus14",
    ];
    let rows: String = (0..3)
        .map(|i| format!(
            "<div role=\"row\" id=\"MARKERid2-{i}\" class=\"MARKERclass3\" data-MARKERattrname9=\"1\"><div role=\"gridcell\" data-automation-key=\"MARKERdata6\"><a href=\"/securescore?viewid=actions&amp;actionId=MARKERhref5{i}\" title=\"MARKERtitle8\">MARKERtext1 {i}</a></div>\
             <div role=\"MARKERrole7\" aria-label=\"MARKERlabel4\"><markertag10-x>MARKERtext1</markertag10-x></div></div>"
        ))
        .collect();
    // The account control with a name and UPN, an open menu of marker items, and a row whose
    // status cell shows a marker: none of it may reach the report.
    let account = "<header role=\"banner\"><button id=\"mectrl_main_trigger\" aria-label=\"Account manager for MARKERname13\"><span>MARKERupn12@contoso.com</span></button></header>";
    mount(&format!(
        "{account}<div role=\"grid\" class=\"MARKERclass3\"><div role=\"row\"><div role=\"columnheader\">Recommended action</div><div role=\"columnheader\">MARKERtext1</div><div role=\"columnheader\">Status</div></div>{rows}\
         <div role=\"row\"><div role=\"gridcell\"><a href=\"/securescore?viewid=actions&amp;actionId=x\">t</a></div><div role=\"gridcell\">u</div><div role=\"gridcell\">MARKERstatus14</div></div></div>{}{}",
        fluent_panel(),
        fluent_menu(&["MARKERmenu11 Teams", "MARKERmenu11 Planner"], 40)
    ));
    let ctx = Ctx::new();
    // The content script's counts, finished with the outlines as the forms module writes them.
    let report = snshare_web::outline::finish(&snshare_content::report::report_for(&ctx));
    for m in markers {
        assert!(
            !report.to_lowercase().contains(&m.to_lowercase()),
            "{m} leaked into:\n{report}"
        );
    }
    assert!(!report.contains("Exiger"), "no panel text");
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(v["rows_found"], 4);
    assert_eq!(v["rows_with_action_id"], 4);
    assert_eq!(v["upn_found"], true, "the UPN was read, and only said so");
    assert_eq!(v["status_column"], true);
    assert_eq!(v["open_menus"], 1);
    assert_eq!(v["list_found"], true);
    assert_eq!(v["panel_found"], true);
    assert_eq!(v["share_button_found"], true);
    assert_eq!(v["share_menu"], "not_opened");
    let outline = v["row_outline"].as_str().unwrap();
    assert!(outline.contains("div[role=row](id,class,+1)"), "{outline}");
    assert!(
        outline.contains("[role=?]") && outline.contains("custom-element"),
        "{outline}"
    );
}

#[wasm_bindgen_test]
fn the_popup_says_what_was_recognized_on_the_tab() {
    setup();
    use snshare_pages::popup::render_recognition;
    // The popup's markup (its section and templates), as the popup loads it.
    let doc = web_sys::window().unwrap().document().unwrap();
    let page = doc.create_element("div").unwrap();
    page.set_inner_html(include_str!("../extension/popup.html"));
    doc.body().unwrap().append_child(&page).unwrap();
    snshare_web::template::translate(&page);
    let heading = page
        .query_selector("#recognition-heading")
        .unwrap()
        .unwrap();
    assert!(text(&heading).contains("On this tab"));
    let none = render_recognition(None, None).unwrap().build();
    let t = text(none.root());
    assert!(t.contains("not running on this tab"), "{t}");
    assert!(none
        .root()
        .query_selector("#copy-report")
        .unwrap()
        .is_none());

    let report = r#"{"page":"action_detail","rows_found":12,"rows_with_action_id":7,"share_menu":"found","list_outline":"div[role=grid]"}"#;
    let v = render_recognition(Some(report), None).unwrap().build();
    let t = text(v.root());
    for want in [
        "Page: Recommended action detail",
        "Action rows found: 12",
        "Rows with an action id: 7",
        "Share menu: found, ServiceNow added",
    ] {
        assert!(t.contains(want), "{want} in {t}");
    }
    let copy = v.root().query_selector("#copy-report").unwrap().unwrap();
    assert_eq!(text(&copy), "Copy recognition report");
    // On the list, no Share menu line.
    let list = render_recognition(
        Some(r#"{"page":"recommended_actions","rows_found":3,"rows_with_action_id":0,"share_menu":"not_opened"}"#),
        None,
    )
    .unwrap()
    .build();
    assert!(!text(list.root()).contains("Share menu"));
    page.remove();
}

/// A Fluent list in `lang`'s words whose rows show every status and a category, localized as
/// the portal shows them: the status cell holds a hidden dot glyph before its text. With
/// `note`, a Notes column before the Status column names another status in each row.
fn fluent_status_list(lang: &selectors::Labels, status_header: &str, note: bool) -> String {
    let note_header = if note {
        "<div role=\"columnheader\" data-item-key=\"k4\"><span>Notes</span></div>"
    } else {
        ""
    };
    let header = format!(
        "<div role=\"row\"><div role=\"columnheader\" data-item-key=\"k1\"><span>{}</span>{}</div>{note_header}\
         <div role=\"columnheader\" data-item-key=\"k2\"><span>{status_header}</span>{}</div>\
         <div role=\"columnheader\" data-item-key=\"k3\"><span>{}</span></div></div>",
        lang.title_header,
        icon("SortDown"),
        icon("Filter"),
        lang.category_header
    );
    let rows: String = lang
        .statuses
        .iter()
        .enumerate()
        .map(|(i, status)| {
            let note = if note {
                format!(
                    "<div role=\"gridcell\" data-automation-key=\"k4\">{}</div>",
                    lang.statuses[(i + 1) % 6]
                )
            } else {
                String::new()
            };
            format!(
                "<div role=\"row\" class=\"ms-DetailsRow\"><div data-automationid=\"DetailsRowFields\" role=\"presentation\">\
                 <div role=\"rowheader\" data-automation-key=\"k1\"><button type=\"button\" class=\"ms-Link\">Action {i}</button></div>{note}\
                 <div role=\"gridcell\" data-automation-key=\"k2\"><span class=\"dot\" aria-hidden=\"true\">\u{E91F}</span><span>{status}</span></div>\
                 <div role=\"gridcell\" data-automation-key=\"k3\">{}</div></div></div>",
                lang.categories[i % 5]
            )
        })
        .collect();
    format!("<div role=\"grid\">{header}{rows}</div>")
}

#[wasm_bindgen_test]
fn statuses_and_categories_map_to_the_api_terms_in_the_six_languages() {
    for lang in &selectors::LANGUAGES {
        for (label, want) in lang.statuses.iter().zip(ActionStatus::ALL) {
            assert_eq!(
                selectors::status_of(label),
                Some(want),
                "{}: {label}",
                lang.lang
            );
            // Case, spacing and glyphs aside.
            let shown = format!(" {}\u{E91F} ", label.to_uppercase());
            assert_eq!(selectors::status_of(&shown), Some(want), "{shown}");
        }
        for (label, want) in lang.categories.iter().zip(Category::ALL) {
            assert_eq!(
                selectors::category_of(label),
                Some(want),
                "{}: {label}",
                lang.lang
            );
        }
        assert!(selectors::is_status_header(lang.status_header));
    }
    // Other spellings Microsoft uses, and where a status is expected, by its words.
    assert_eq!(
        selectors::status_of("Planifiée"),
        Some(ActionStatus::Planned)
    );
    assert_eq!(
        selectors::status_of("Completata"),
        Some(ActionStatus::Completed)
    );
    assert_eq!(
        selectors::status_in_place("Opgelost door een externe derde partij"),
        Some(ActionStatus::ResolvedThroughThirdParty)
    );
    assert_eq!(
        selectors::status_in_place("Risolto con una mitigazione alternativa"),
        Some(ActionStatus::ResolvedThroughAlternateMitigation)
    );
    assert_eq!(
        selectors::status_in_place("Risque acceptée"),
        Some(ActionStatus::RiskAccepted)
    );
    // zh-TW as Microsoft Learn words them, and the earlier spellings still read.
    for (shown, want) in [
        ("待解決", ActionStatus::ToAddress),
        (
            "已透過協力廠商解決",
            ActionStatus::ResolvedThroughThirdParty,
        ),
        (
            "已透過其他風險降低方案解決",
            ActionStatus::ResolvedThroughAlternateMitigation,
        ),
        ("已透過第三方解決", ActionStatus::ResolvedThroughThirdParty),
        ("待處理", ActionStatus::ToAddress),
    ] {
        assert_eq!(selectors::status_of(shown), Some(want), "{shown}");
    }
    assert_eq!(
        selectors::status_in_place("由協力廠商解決"),
        Some(ActionStatus::ResolvedThroughThirdParty)
    );
    assert_eq!(
        selectors::status_in_place("透過其他風險降低措施解決"),
        Some(ActionStatus::ResolvedThroughAlternateMitigation)
    );
    assert_eq!(
        selectors::category_in_place("Appareils"),
        Some(Category::Devices)
    );
    assert_eq!(
        selectors::category_in_place("Apparaten en apps"),
        Some(Category::Devices)
    );
    // Nothing is made up from text that is no status.
    for not in ["", "Regressed", "Microsoft Teams", "Ja", "12/40"] {
        assert_eq!(selectors::status_in_place(not), None, "{not}");
    }
    assert_eq!(
        selectors::status_of("Planned for later"),
        None,
        "whole text only"
    );
    assert_eq!(selectors::category_of("Identity and more words"), None);
}

#[wasm_bindgen_test]
fn a_row_status_and_category_are_read_from_their_columns_in_every_language() {
    setup();
    for lang in &selectors::LANGUAGES {
        // Under its header, the Status column is read, not a note that names a status; under a
        // header no table knows, the one cell whose text is a status.
        for (status_header, note) in [(lang.status_header, true), ("Zustand", false)] {
            let root = mount(&fluent_status_list(lang, status_header, note));
            let list = selectors::find_list(&root).expect("found by its header");
            let rows = selectors::action_rows(&list);
            assert_eq!(rows.len(), 6, "{}", lang.lang);
            for (i, row) in rows.iter().enumerate() {
                assert_eq!(
                    selectors::row_status(&selectors::column_map(&list), row),
                    Some(ActionStatus::ALL[i]),
                    "{} row {i} under {status_header}",
                    lang.lang
                );
                assert_eq!(
                    selectors::row_category(&selectors::column_map(&list), row),
                    Some(Category::ALL[i % 5])
                );
            }
        }
    }
    // A list that shows no status: none, not a guess.
    let root = mount(&fluent_list("Recommended action", "Category", false));
    let list = selectors::find_list(&root).unwrap();
    for row in selectors::action_rows(&list) {
        assert_eq!(
            selectors::row_status(&selectors::column_map(&list), &row),
            None
        );
    }
}

/// A row's cell is found by its column's key, else its `aria-colindex`, else its position —
/// one query for the cell when the key or index can go into a selector, the cells listed
/// otherwise — and never inside snshare's nodes.
#[wasm_bindgen_test]
fn a_row_cell_is_found_by_key_then_index_then_position_never_in_snshare_nodes() {
    setup();
    // Header order: title, category, status; the rows' cells are in another order, and one
    // row holds a look-alike status cell inside snshare's slot before its own.
    let root = mount(
        r#"<div role="grid"><div role="row">
          <div role="columnheader" data-item-key="title" aria-colindex="1">Recommended action</div>
          <div role="columnheader" data-item-key="cat" aria-colindex="2">Category</div>
          <div role="columnheader" data-item-key="sta.tus-1" aria-colindex="3">Status</div></div>
        <div role="row"><div role="presentation">
          <div role="gridcell" data-automation-key="sta.tus-1" aria-colindex="3">Planned</div>
          <div role="gridcell" data-automation-key="title" aria-colindex="1"><a href="/securescore?viewid=actions&amp;actionId=A1">One</a></div>
          <div role="gridcell" data-automation-key="cat" aria-colindex="2">Data</div></div></div>
        <div role="row">
          <span data-snshare="row"><div role="gridcell" data-automation-key="sta.tus-1">Completed</div></span>
          <div role="gridcell" data-automation-key="title"><a href="/securescore?viewid=actions&amp;actionId=A2">Two</a></div>
          <div role="gridcell" data-automation-key="cat">Apps</div>
          <div role="gridcell" data-automation-key="sta.tus-1">Risk accepted</div></div>
        <div role="row">
          <div role="gridcell" aria-colindex="3">To address</div>
          <div role="gridcell" aria-colindex="1"><a href="/securescore?viewid=actions&amp;actionId=A3">Three</a></div>
          <div role="gridcell" aria-colindex="2">Identity</div></div>
        <div role="row">
          <div role="gridcell"><a href="/securescore?viewid=actions&amp;actionId=A4">Four</a></div>
          <div role="gridcell">Device</div>
          <div role="gridcell">Completed</div></div></div>"#,
    );
    let list = selectors::find_list(&root).unwrap();
    let map = selectors::column_map(&list);
    let status = map.status.clone().expect("status column");
    assert_eq!(status.key.as_deref(), Some("sta.tus-1"));
    let rows = selectors::action_rows(&list);
    assert_eq!(rows.len(), 4);
    let status_text = |row: &Element| {
        selectors::cell_at(row, &status)
            .map(|c| text(&c))
            .unwrap_or_default()
    };
    // By key (not the third cell), by key past snshare's look-alike, by index, by position.
    assert_eq!(status_text(&rows[0]), "Planned");
    assert_eq!(status_text(&rows[1]), "Risk accepted");
    assert_eq!(status_text(&rows[2]), "To address");
    assert_eq!(status_text(&rows[3]), "Completed");
    assert_eq!(
        selectors::row_status(&map, &rows[1]),
        Some(ActionStatus::RiskAccepted)
    );
    // A key no selector can carry as it is (a quote): the cells are compared one by one.
    let odd = selectors::Column {
        position: 0,
        colindex: None,
        key: Some("sta\"tus".to_owned()),
    };
    rows[1]
        .query_selector("[data-automation-key=\"cat\"]")
        .unwrap()
        .unwrap()
        .set_attribute("data-automation-key", "sta\"tus")
        .unwrap();
    assert_eq!(
        selectors::cell_at(&rows[1], &odd)
            .map(|c| text(&c))
            .as_deref(),
        Some("Apps")
    );
}

/// A panel showing `glance` in its "At a glance" section and `picker` below.
fn status_panel(glance: &str, picker: &str) -> String {
    format!(
        "<div role=\"dialog\" aria-modal=\"true\"><div role=\"heading\" aria-level=\"2\">Exiger MFA</div>\
         <button type=\"button\">{}<span>Edit status &amp; action plan</span></button>\
         <div class=\"sec\"><div class=\"t\">At a glance</div>{glance}</div>{picker}</div>",
        icon("Edit")
    )
}

#[wasm_bindgen_test]
fn the_panel_status_is_read_beside_its_label_or_from_the_checked_choice() {
    setup();
    let read = |html: &str| {
        let root = mount(html);
        selectors::read_panel(&selectors::find_panel(&root).unwrap())
    };
    for lang in &selectors::LANGUAGES {
        let glance = format!(
            "<dl><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{icon}<span>{}</span></dd></dl>",
            lang.category_header,
            lang.categories[2],
            lang.status_header,
            lang.statuses[4],
            icon = icon("StatusCircleCheckmark")
        );
        let c = read(&status_panel(&glance, ""));
        assert_eq!(
            c.status,
            Some(ActionStatus::ResolvedThroughAlternateMitigation),
            "{}",
            lang.lang
        );
        assert_eq!(c.category, Some(Category::Devices));
        // The form's context carries it; the ticket says it in the API's words.
        let context = action_from_panel("AdminMFAV2", &c, None);
        assert_eq!(context.status, c.status);
    }
    // A status picker: the checked choice (ARIA radios, or native ones and their labels); the
    // choices themselves are no status.
    let aria: String = selectors::LANGUAGES[3]
        .statuses
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "<div role=\"radio\" aria-checked=\"{}\"><span>{s}</span></div>",
                i == 2
            )
        })
        .collect();
    let c = read(&status_panel(
        "",
        &format!("<div role=\"radiogroup\">{aria}</div>"),
    ));
    assert_eq!(c.status, Some(ActionStatus::RiskAccepted));
    let native: String = selectors::LANGUAGES[5]
        .statuses
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "<input type=\"radio\" name=\"st\" id=\"st{i}\"{}><label for=\"st{i}\">{s}</label>",
                if i == 1 { " checked" } else { "" }
            )
        })
        .collect();
    assert_eq!(
        read(&status_panel("", &native)).status,
        Some(ActionStatus::Planned)
    );
    let unchecked = aria.replace("aria-checked=\"true\"", "aria-checked=\"false\"");
    assert_eq!(
        read(&status_panel(
            "",
            &format!("<div role=\"radiogroup\">{unchecked}</div>")
        ))
        .status,
        None,
        "a picker with nothing checked shows no status"
    );
    // Nothing shown: not set.
    let c = read(&status_panel("<p>Users affected: all</p>", ""));
    assert_eq!((c.status, c.category), (None, None));
}

#[wasm_bindgen_test]
fn titles_read_from_the_page_normalize_to_one_key() {
    setup();
    use snshare_core::domain::action_title::{normalize_title, title_key};
    // The same title as rows and panels may show it: an icon glyph, a no-break space, a
    // zero-width space, other case, spaces around and inside, a line break.
    let root = mount(&format!(
        "<div role=\"heading\" id=\"h1\">Require MFA for ÅDMIN roles</div>\
         <button id=\"b\">{}  require\u{a0}mfa\u{200b} FOR åDMIN\n roles </button>\
         <div role=\"heading\" id=\"other\">Require MFA for user roles</div>\
         <div role=\"heading\" id=\"zh\">{}確保 已啟用 MFA</div>",
        icon("OpenPane"),
        icon("Info")
    ));
    let name = |id: &str| {
        selectors::accessible_name(&root.query_selector(&format!("#{id}")).unwrap().unwrap())
    };
    let (a, b) = (name("h1"), name("b"));
    assert_ne!(a, b, "shown differently");
    assert_eq!(normalize_title(&a), "require mfa for ådmin roles");
    assert_eq!(normalize_title(&a), normalize_title(&b));
    let key = title_key(&a).unwrap();
    assert_eq!(title_key(&b).as_deref(), Some(key.as_str()));
    assert!(
        key.starts_with("title.") && key.len() == "title.".len() + 12,
        "{key}"
    );
    assert_ne!(title_key(&name("other")), Some(key.clone()));
    assert_eq!(normalize_title(&name("zh")), "確保 已啟用 mfa");
    assert_eq!(title_key("\u{E8A7} \u{200b}"), None, "no text, no key");
    // Learned under one spelling, found under the other.
    let ctx = Ctx::new();
    ctx.learn(&a, "AdminMFAV2");
    assert_eq!(ctx.resolve(None, &b).key, "AdminMFAV2");
}

// -------------------------------------------------------------------------------------------------
// Compliance Manager (issue 20)
// -------------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
fn compliance_manager_list_rows_and_facts() {
    use snshare_content::compliance::{self, Fact};
    setup();
    assert_eq!(compliance::fact_of("Improvement action"), Some(Fact::Title));
    assert_eq!(
        compliance::fact_of("Action d’amélioration"),
        Some(Fact::Title)
    );
    assert_eq!(compliance::fact_of("Points achieved"), Some(Fact::Points));
    assert_eq!(compliance::fact_of("Évaluations"), Some(Fact::Assessments));
    assert_eq!(compliance::fact_of("測試狀態"), Some(Fact::TestStatus));
    assert_eq!(compliance::fact_of("Group"), None);
    assert!(selectors::is_title_header("Improvement action"));
    // Fluent's DetailsList with the path-form links; headers with chevron glyphs.
    let root = mount(
        r#"<div role="grid">
          <div role="row"><div role="columnheader"><span role="checkbox" aria-label="Select"></span></div>
            <div role="columnheader" data-item-key="title"><span>Action d’amélioration</span><i aria-hidden="true">&#xE70D;</i></div>
            <div role="columnheader" data-item-key="points">Points obtenus</div>
            <div role="columnheader" data-item-key="assessments">Évaluations</div>
            <div role="columnheader" data-item-key="test">État du test</div></div>
          <div role="row"><div role="gridcell"><span role="checkbox" aria-label="Select"></span></div>
            <div data-automationid="DetailsRowFields">
              <div role="gridcell" data-automation-key="title"><div><a href="/compliancemanager/improvementactions/abc-1">Activer l’audit</a></div></div>
              <div role="gridcell" data-automation-key="points">3/9</div>
              <div role="gridcell" data-automation-key="assessments">RGPD</div>
              <div role="gridcell" data-automation-key="test">Réussi</div></div></div>
        </div>"#,
    );
    let list = selectors::find_list(&root).expect("the list, by its links");
    let rows = selectors::action_rows(&list);
    assert_eq!(rows.len(), 1);
    let action = selectors::row_action(&selectors::column_map(&list), &rows[0]).unwrap();
    assert_eq!(action.action_id.as_deref(), Some("cm:abc-1"));
    assert_eq!(action.title, "Activer l’audit");
    let facts = compliance::row_facts(&list, &rows[0]);
    assert_eq!(facts.points, "3/9");
    assert_eq!(facts.assessments, "RGPD");
    assert_eq!(facts.test_status, "Réussi");
    assert_eq!(facts.regulations, "");
}

#[wasm_bindgen_test]
fn compliance_manager_details_summary_in_both_shapes() {
    use snshare_content::compliance;
    setup();
    let page = mount(
        r#"<main><h1>Use MFA</h1><div role="menubar"><button>Assign action</button></div>
          <dl><dt>Assessments</dt><dd>Data Protection Baseline</dd><dt>Regulations</dt><dd>NIST 800-53</dd>
          <dt>Control family</dt><dd>Access control</dd><dt>Points achieved</dt><dd>0/27</dd>
          <dt>Implementation status</dt><dd>Not implemented</dd><dt>Test status</dt><dd>None</dd>
          <dt>Assigned to</dt><dd>Megan</dd></dl>
          <p>Assessments are listed above.</p></main>"#,
    );
    let facts = compliance::details_facts(&page);
    assert_eq!(facts.assessments, "Data Protection Baseline");
    assert_eq!(facts.regulations, "NIST 800-53");
    assert_eq!(facts.control_family, "Access control");
    assert_eq!(facts.points, "0/27");
    assert_eq!(facts.implementation_status, "Not implemented");
    assert_eq!(facts.test_status, "None");
    let flyout = mount(
        r#"<div role="dialog" aria-labelledby="t"><div role="heading" aria-level="1" id="t">Utiliser MFA</div>
          <div><span>Famille de contrôles</span><span>Identification</span></div>
          <div><span>Points obtenus</span><span>5/5</span></div></div>"#,
    );
    let facts = compliance::details_facts(&flyout);
    assert_eq!(facts.control_family, "Identification");
    assert_eq!(facts.points, "5/5");
    assert_eq!(facts.assessments, "");
}

/// A grid whose header names `columns` in that order, and one row of actions.
fn header_grid(columns: &[&str]) -> String {
    let header: String = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "<div role=\"columnheader\" aria-colindex=\"{}\"><span>{c}</span></div>",
                i + 1
            )
        })
        .collect();
    format!(
        "<div role=\"grid\"><div class=\"head\"><div role=\"row\">{header}</div></div>\
         <div class=\"rows\"><div role=\"row\">\
           <div role=\"gridcell\" aria-colindex=\"1\"><a href=\"/securescore?viewid=actions&amp;actionId=A1\">One</a></div>\
           <div role=\"gridcell\" aria-colindex=\"2\">Data</div>\
           <div role=\"gridcell\" aria-colindex=\"3\">Planned</div></div></div></div>"
    )
}

#[wasm_bindgen_test]
fn the_kept_column_map_is_read_again_when_the_header_or_the_list_changes() {
    use std::rc::Rc;
    setup();
    let root = mount(&header_grid(&["Recommended action", "Category", "Status"]));
    let list = selectors::find_list(&root).unwrap();
    let q = |s: &str| list.query_selector(s).unwrap().unwrap();
    let (head, rows, header_row) = (q(".head"), q(".rows"), q(".head [role=row]"));
    let mut cache = selectors::ColumnCache::default();
    let first = cache.get(&list, &[], true, false);
    assert_eq!(first.status.as_ref().map(|c| c.position), Some(2));
    assert_eq!(first.category.as_ref().map(|c| c.position), Some(1));

    // Rows added, a row's text changed: the header stays, the map is kept (not read again).
    let more = doc().create_element("div").unwrap();
    more.set_attribute("role", "row").unwrap();
    more.set_inner_html("<div role=\"gridcell\"><a href=\"/securescore?viewid=actions&amp;actionId=A2\">Two</a></div>");
    rows.append_child(&more).unwrap();
    let cell = q(".rows [role=gridcell]");
    assert!(Rc::ptr_eq(
        &first,
        &cache.get(&list, &[rows.clone(), cell], true, false)
    ));

    // The header's cells reordered (Status before Category): read again.
    let status = q("[role=columnheader][aria-colindex=\"3\"]");
    let category = q("[role=columnheader][aria-colindex=\"2\"]");
    header_row.insert_before(&status, Some(&category)).unwrap();
    let reordered = cache.get(&list, std::slice::from_ref(&header_row), true, false);
    assert_eq!(reordered.status.as_ref().map(|c| c.position), Some(1));
    assert_eq!(reordered.category.as_ref().map(|c| c.position), Some(2));

    // A header cell's text changed (the record names the text's element): read again.
    let span = category.query_selector("span").unwrap().unwrap();
    span.set_text_content(Some("Points"));
    let renamed = cache.get(&list, &[span], false, false);
    assert_eq!(renamed.category, None);
    assert_eq!(renamed.status.as_ref().map(|c| c.position), Some(1));

    // The header row replaced by a new one (the record names its parent): read again.
    head.set_inner_html(
        "<div role=\"row\"><div role=\"columnheader\">Status</div>\
         <div role=\"columnheader\">Recommended action</div><div role=\"columnheader\">Category</div></div>",
    );
    let replaced = cache.get(&list, std::slice::from_ref(&head), true, false);
    assert_eq!(replaced.title.as_ref().map(|c| c.position), Some(1));
    assert_eq!(replaced.status.as_ref().map(|c| c.position), Some(0));
    assert!(Rc::ptr_eq(
        &replaced,
        &cache.get(&list, &[rows], true, false)
    ));

    // Another list (the portal replaced it): read again, with nothing changed in it.
    let root = mount(&header_grid(&["Category", "Recommended action", "Status"]));
    let other = selectors::find_list(&root).unwrap();
    let map = cache.get(&other, &[], false, false);
    assert_eq!(map.title.as_ref().map(|c| c.position), Some(1));
    assert_eq!(map.category.as_ref().map(|c| c.position), Some(0));
    // And when asked to (the UI's language changed, a new feature run).
    assert!(!Rc::ptr_eq(&map, &cache.get(&other, &[], false, true)));

    // A title column found by the rows' links (no header names it) depends on the rows: never
    // kept.
    let root = mount(&header_grid(&["Points", "Group", "Owner"]));
    let unnamed = selectors::find_list(&root).unwrap();
    let by_links = cache.get(&unnamed, &[], false, false);
    assert_eq!(by_links.title.as_ref().map(|c| c.position), Some(0));
    assert!(!Rc::ptr_eq(
        &by_links,
        &cache.get(&unnamed, &[], false, false)
    ));
}

/// The portal's row selection: a row's own `aria-selected` when it has one (its check is not
/// asked, even when it says otherwise), else its checkboxes (ARIA or native); snshare's own
/// checkbox never counts.
#[wasm_bindgen_test]
fn portal_row_selection_from_the_row_or_its_checks() {
    setup();
    let root = mount(
        r#"<div role="row" id="r1" aria-selected="true"><div role="checkbox" aria-checked="false"></div></div>
           <div role="row" id="r2" aria-selected="false"><div role="checkbox" aria-checked="true"></div></div>
           <div role="row" id="r3"><span role="checkbox" aria-checked="true"></span></div>
           <div role="row" id="r4"><input type="checkbox" id="box4"></div>
           <div role="row" id="r5"><span data-snshare="pick"><input type="checkbox" checked></span></div>
           <div role="row" id="r6"><span>no selection</span></div>"#,
    );
    let row = |id: &str| root.query_selector(&format!("#{id}")).unwrap().unwrap();
    assert!(selectors::portal_selected(&row("r1")));
    assert!(!selectors::portal_selected(&row("r2")));
    assert!(selectors::portal_selected(&row("r3")));
    assert!(!selectors::portal_selected(&row("r4")));
    row("box4")
        .unchecked_into::<web_sys::HtmlInputElement>()
        .set_checked(true);
    assert!(selectors::portal_selected(&row("r4")));
    assert!(
        !selectors::portal_selected(&row("r5")),
        "snshare's own checkbox"
    );
    for id in ["r1", "r2", "r3", "r4"] {
        assert!(selectors::has_portal_selection(&row(id)), "{id}");
    }
    assert!(!selectors::has_portal_selection(&row("r5")));
    assert!(!selectors::has_portal_selection(&row("r6")));
}

/// Issue 17: a row's status cell is read when the page is idle (or when the cards count), not
/// in the batch that gives the row its button; by then the list may have recycled the row for
/// another action, whose status must not be taken for the first one's.
#[wasm_bindgen_test]
fn a_status_cell_is_read_later_and_only_for_the_action_its_row_still_shows() {
    use snshare_content::cards::{note_status_later, seen_status};
    let row = |key: &str, status: &str| {
        let r = doc().create_element("div").unwrap();
        r.set_attribute("role", "row").unwrap();
        r.set_inner_html(&format!(
            "<div role=\"gridcell\"><span data-snshare-action=\"{key}\"></span><a>Title</a></div>\
             <div role=\"gridcell\"><i aria-hidden=\"true\">\u{E73E}</i> {status}</div>"
        ));
        let cell = r.last_element_child().unwrap();
        (r, cell)
    };
    let (kept, kept_cell) = row("StatusKept", "Planned");
    let (recycled, recycled_cell) = row("StatusRecycled", "Completed");
    note_status_later("StatusKept", &kept, kept_cell.clone());
    note_status_later("StatusRecycled", &recycled, recycled_cell.clone());
    // Before the cells are read: the first row's status changes, the second row now shows
    // another action (its slot re-keyed, as the row feature does for a recycled row).
    kept_cell.set_inner_html("<i aria-hidden=\"true\">\u{E73E}</i> Completed");
    all(&recycled, "[data-snshare-action]")[0]
        .set_attribute("data-snshare-action", "StatusOther")
        .unwrap();
    recycled_cell.set_inner_html("To address");
    assert_eq!(seen_status("StatusKept"), Some(ActionStatus::Completed));
    assert_eq!(seen_status("StatusRecycled"), None);
    assert_eq!(seen_status("StatusOther"), None);
    // A row the portal removed still holds what it showed.
    let (removed, removed_cell) = row("StatusRemoved", "Risk accepted");
    doc().body().unwrap().append_child(&removed).unwrap();
    note_status_later("StatusRemoved", &removed, removed_cell);
    removed.remove();
    assert_eq!(
        seen_status("StatusRemoved"),
        Some(ActionStatus::RiskAccepted)
    );
}
