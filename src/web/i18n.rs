//! UI strings, and the language they are shown in, with dates, numbers and counts formatted
//! for it through `Intl`.
//!
//! | surface | language |
//! | --- | --- |
//! | extension pages (popup, options, ticket list), worker | the browser's, through `chrome.i18n` |
//! | in-page UI (share button, menu item, task form, cards, badges) | the portal's (`<html lang>`) when snshare has that catalogue, else the browser's |
//!
//! `chrome.i18n.getMessage` only knows the browser's language, so when the portal speaks
//! another one the content script loads that catalogue (`follow_page_language`, again when the
//! page changes its `lang`), from the extension's own `_locales/<lang>/messages.json` (a
//! web-accessible resource): nothing is added to the content script's download, and a page CSP
//! does not apply to the content script's fetch of its own extension's file. A failed load
//! leaves the browser's language.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::chrome;
use super::present::{local_time, Style};

/// The catalogue folders snshare ships (`extension/_locales`).
const CATALOGUES: [&str; 6] = ["en", "fr", "it", "nl", "sv", "zh_TW"];

struct PageCatalogue {
    /// The language the in-page UI is in: a BCP 47 tag `Intl` accepts.
    lang: String,
    /// The parsed `messages.json`: `{key: {message}}`.
    messages: JsValue,
}

thread_local! {
    static PAGE: RefCell<Option<PageCatalogue>> = const { RefCell::new(None) };
    /// The browser's side of [`ui_lang`], asked of `chrome.i18n` once: it does not change while
    /// a page lives, and a badge on every row asked for it (two extension API calls each).
    static BROWSER_LANG: std::cell::OnceCell<String> = const { std::cell::OnceCell::new() };
    /// The `<html lang>` the UI was last set up for ([`follow_now`], [`follow_page_language`]):
    /// a page may set or change it after the content script started (document_start).
    static FOLLOWED: RefCell<Option<String>> = const { RefCell::new(None) };
}

#[wasm_bindgen]
extern "C" {
    /// Throws on a malformed tag (`fr_FR`), where the `Intl` constructors would throw too.
    #[wasm_bindgen(js_namespace = Intl, js_name = getCanonicalLocales, catch)]
    fn canonical_locales(tag: &str) -> Result<js_sys::Array, JsValue>;
}

/// The catalogue folder for a BCP 47 tag: `fr-CA` → `fr`, `zh-TW` / `zh-Hant` / `zh-HK` →
/// `zh_TW`; none for a language snshare does not ship (Simplified Chinese included).
pub fn catalogue_for(tag: &str) -> Option<&'static str> {
    let tag = tag.trim().replace('_', "-").to_ascii_lowercase();
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("");
    if primary == "zh" {
        let traditional = parts.any(|p| matches!(p, "hant" | "tw" | "hk" | "mo"));
        return traditional.then_some("zh_TW");
    }
    CATALOGUES.into_iter().find(|c| *c == primary)
}

/// The language of the catalogue `chrome.i18n` reads, as that catalogue names itself
/// (`common_language_tag`): the browser's language when snshare ships it, else English.
/// `getUILanguage()` alone can name another language than the catalogue Chrome picked (a
/// browser started with `--lang=fr` shows the French catalogue and still says `en-US`).
fn catalogue_tag() -> String {
    let tag = chrome::i18n_get_message("common_language_tag", &js_sys::Array::new());
    if catalogue_for(&tag).is_some() {
        tag
    } else {
        "en".to_string()
    }
}

/// The catalogue `chrome.i18n` reads: the browser's language, else the default (`en`).
fn browser_catalogue() -> &'static str {
    catalogue_for(&catalogue_tag()).unwrap_or("en")
}

/// Whether the UI is set up for the page language `page_lang` (the last one followed).
pub fn follows(page_lang: &str) -> bool {
    FOLLOWED.with(|f| f.borrow().as_deref() == Some(page_lang))
}

/// The catalogue `page_lang` needs loaded, if any: none when snshare lacks that language or the
/// browser speaks it (`chrome.i18n` serves it).
fn catalogue_to_load(page_lang: &str) -> Option<&'static str> {
    catalogue_for(page_lang).filter(|dir| *dir != browser_catalogue())
}

/// Follows `page_lang` at once when that needs no catalogue loaded (the browser's language, or
/// one snshare lacks): the UI speaks the browser's language. False when a catalogue is to be
/// loaded first ([`follow_page_language`]).
pub fn follow_now(page_lang: &str) -> bool {
    if catalogue_to_load(page_lang).is_some() {
        return false;
    }
    PAGE.with(|p| *p.borrow_mut() = None);
    FOLLOWED.with(|f| *f.borrow_mut() = Some(page_lang.to_owned()));
    true
}

/// In the content script and the forms: speak the page's language (`<html lang>`) when snshare
/// has it and the browser speaks another. Loads that catalogue unless `page_lang` is the
/// language followed last (the portal can change it without a reload); on any failure the UI
/// speaks the browser's language. Two calls at once both return with it followed.
pub async fn follow_page_language(page_lang: &str) {
    if follows(page_lang) {
        return;
    }
    let loaded = load_catalogue(page_lang).await;
    PAGE.with(|p| *p.borrow_mut() = loaded);
    FOLLOWED.with(|f| *f.borrow_mut() = Some(page_lang.to_owned()));
}

async fn load_catalogue(page_lang: &str) -> Option<PageCatalogue> {
    let dir = catalogue_to_load(page_lang)?;
    let url = chrome::runtime_get_url(&["_locales/", dir, "/messages.json"].concat());
    let window = web_sys::window()?;
    let loaded = async {
        let response: web_sys::Response =
            wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(&url))
                .await?
                .dyn_into()?;
        wasm_bindgen_futures::JsFuture::from(response.json()?).await
    };
    let Ok(messages) = loaded.await else {
        super::log("snshare: the portal language's catalogue did not load; using the browser's");
        return None;
    };
    if !messages.is_object() {
        return None;
    }
    // The page's own tag when Intl takes it (region-specific dates: fr-CA), else the folder's.
    let page_tag = page_lang.trim();
    let lang = if !page_tag.is_empty() && canonical_locales(page_tag).is_ok() {
        page_tag.to_string()
    } else {
        dir.replace('_', "-")
    };
    Some(PageCatalogue { lang, messages })
}

/// The language the surface's strings are in (for `lang` attributes and `Intl`): the page's
/// catalogue in the content script, else the language of the catalogue `chrome.i18n` reads:
/// the browser's own tag when it is that language (its region kept for `Intl`: `en-GB`), else
/// the catalogue's (English when snshare lacks the browser's language).
pub fn ui_lang() -> String {
    PAGE.with(|p| p.borrow().as_ref().map(|c| c.lang.clone()))
        .unwrap_or_else(|| {
            BROWSER_LANG.with(|l| {
                l.get_or_init(|| {
                    let shown = catalogue_tag();
                    let browser = chrome::i18n_get_ui_language();
                    if catalogue_for(&browser) == catalogue_for(&shown) {
                        browser
                    } else {
                        shown
                    }
                })
                .clone()
            })
        })
}

/// Translated UI string; the key itself if the catalogue lacks it (visible, never blank).
pub fn t(key: &str) -> String {
    t_with(key, &[])
}

/// Translated UI string with `$1`, `$2`… substitutions.
pub fn t_with(key: &str, subs: &[&str]) -> String {
    if let Some(s) = page_message(key, subs) {
        return s;
    }
    let arr = js_sys::Array::new();
    for s in subs {
        arr.push(&JsValue::from_str(s));
    }
    let s = chrome::i18n_get_message(key, &arr);
    if s.is_empty() {
        key.to_string()
    } else {
        s
    }
}

/// A message asked of the catalogue once, with marks in place of its `$1`, `$2`, `$3`, and
/// filled in many times: a label on each of thousands of rows (the row button's name, a
/// badge's) asks `chrome.i18n` once per language, not once per row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(String);

/// What stands for `$1`, `$2`, `$3` in a [`Template`].
const MARKS: [char; 3] = ['\u{1}', '\u{2}', '\u{3}'];

impl Template {
    /// The message `key` with marks for its first `arity` substitutions (at most 3).
    pub fn new(key: &str, arity: usize) -> Template {
        let marks: Vec<String> = MARKS.iter().take(arity).map(char::to_string).collect();
        let marks: Vec<&str> = marks.iter().map(String::as_str).collect();
        Template(t_with(key, &marks))
    }

    /// The message with each mark replaced by its substitution, in one pass: a substitution's
    /// own text is never read again.
    pub fn fill(&self, subs: &[&str]) -> String {
        let extra: usize = subs.iter().map(|s| s.len()).sum();
        let mut out = String::with_capacity(self.0.len() + extra);
        for c in self.0.chars() {
            match MARKS.iter().position(|m| *m == c).and_then(|i| subs.get(i)) {
                Some(sub) => out.push_str(sub),
                None => out.push(c),
            }
        }
        out
    }
}

/// A count in words, plural-correct for the surface's language (`Intl.PluralRules`): `one`
/// for the singular category ("1 ticket", French "0 ticket"), `other` for the rest; `$1` is
/// the number formatted for the language.
pub fn t_count(n: u64, one: &str, other: &str) -> String {
    let singular = intl(IntlUse::Plural)
        .dyn_into::<js_sys::Intl::PluralRules>()
        .is_ok_and(|rules| rules.select(n as f64) == "one");
    t_with(if singular { one } else { other }, &[&format_number(n)])
}

/// A whole number formatted for the surface's language (`1 234`, `1,234`).
pub fn format_number(n: u64) -> String {
    intl_format(IntlUse::Number, &JsValue::from_f64(n as f64))
        .unwrap_or_else(|| snshare_core::decimal(n))
}

/// What an `Intl` object made for the surface's language is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntlUse {
    /// `Intl.DateTimeFormat` with these `dateStyle` and `timeStyle`.
    Date(Style, Option<Style>),
    /// `Intl.NumberFormat`, whole numbers.
    Number,
    /// `Intl.NumberFormat` of a unit, written out (`unitDisplay: long`): "30 seconds".
    Unit(&'static str),
    /// `Intl.PluralRules`, cardinal.
    Plural,
    /// `Intl.RelativeTimeFormat` in words where the language has them (`numeric: auto`:
    /// "yesterday", "now").
    Relative,
}

thread_local! {
    /// The `Intl` objects made so far, by language, use and, for dates, the time zone's
    /// current offset (a formatter's bound `format`; the plural rules and the relative time
    /// format themselves, whose methods take more than a value). Making one
    /// loads its locale data, 0.1 to 0.6 ms, where using it takes a few µs: the ticket list
    /// formats a time per row, the cards a time per ticket and a number per count, the task
    /// form its due day at every change of the draft. A handful at most: a surface speaks one
    /// or two languages in its life, and a portal tab left open meets a new offset when its
    /// computer changes time zone (a date formatter keeps the zone it was made in).
    static INTL: RefCell<Vec<(String, IntlUse, i32, JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// The `Intl` object for `what` in the surface's language, made at its first use.
fn intl(what: IntlUse) -> JsValue {
    let lang = ui_lang();
    let offset = match what {
        IntlUse::Date(..) => js_sys::Date::new_0().get_timezone_offset() as i32,
        IntlUse::Number | IntlUse::Unit(_) | IntlUse::Plural | IntlUse::Relative => 0,
    };
    INTL.with(|made| {
        let mut made = made.borrow_mut();
        if let Some((.., object)) = made
            .iter()
            .find(|(l, w, o, _)| *l == lang && *w == what && *o == offset)
        {
            return object.clone();
        }
        let locales = js_sys::Array::of1(&JsValue::from_str(&lang));
        let object: JsValue = match what {
            IntlUse::Date(day, time) => {
                let opts = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&opts, &"dateStyle".into(), &day.name().into());
                if let Some(time) = time {
                    let _ = js_sys::Reflect::set(&opts, &"timeStyle".into(), &time.name().into());
                }
                js_sys::Intl::DateTimeFormat::new(&locales, &opts)
                    .format()
                    .into()
            }
            IntlUse::Number => js_sys::Intl::NumberFormat::new(&locales, &js_sys::Object::new())
                .format()
                .into(),
            IntlUse::Unit(unit) => {
                let opts = js_sys::Object::new();
                for (k, v) in [("style", "unit"), ("unit", unit), ("unitDisplay", "long")] {
                    let _ = js_sys::Reflect::set(&opts, &k.into(), &v.into());
                }
                js_sys::Intl::NumberFormat::new(&locales, &opts)
                    .format()
                    .into()
            }
            IntlUse::Plural => {
                js_sys::Intl::PluralRules::new(&locales, &js_sys::Object::new()).into()
            }
            IntlUse::Relative => {
                let opts = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&opts, &"numeric".into(), &"auto".into());
                js_sys::Intl::RelativeTimeFormat::new(&locales, &opts).into()
            }
        };
        made.push((lang, what, offset, object.clone()));
        object
    })
}

/// `value` `unit`s from now (`-3`, `"minute"`: "3 minutes ago") in the surface's language, in
/// words where the language has them ("yesterday", "now").
pub fn format_relative(value: f64, unit: &str) -> Option<String> {
    let format = intl(IntlUse::Relative)
        .dyn_into::<js_sys::Intl::RelativeTimeFormat>()
        .ok()?;
    Some(format.format(value, unit).into())
}

/// `value` written by the formatter for `what` (a date, a number or a unit), in the surface's
/// language.
pub(crate) fn intl_format(what: IntlUse, value: &JsValue) -> Option<String> {
    intl(what)
        .dyn_into::<js_sys::Function>()
        .ok()?
        .call1(&JsValue::NULL, value)
        .ok()?
        .as_string()
}

fn page_message(key: &str, subs: &[&str]) -> Option<String> {
    PAGE.with(|p| {
        let p = p.borrow();
        let entry = js_sys::Reflect::get(&p.as_ref()?.messages, &JsValue::from_str(key)).ok()?;
        let message = js_sys::Reflect::get(&entry, &JsValue::from_str("message"))
            .ok()?
            .as_string()?;
        Some(substitute(&message, subs))
    })
}

/// Chrome's substitution rules for the catalogues' positional placeholders: `$1`…`$9`, `$$`.
fn substitute(message: &str, subs: &[&str]) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('$') => {
                chars.next();
                out.push('$');
            }
            Some(d @ '1'..='9') => {
                chars.next();
                let i = d as usize - '1' as usize;
                out.push_str(subs.get(i).copied().unwrap_or(""));
            }
            _ => out.push('$'),
        }
    }
    out
}

/// A unix-ms time, e.g. "12 Mar 2025, 14:05" (English) or "12 mars 2025, 14:05" (French).
pub fn format_time(ms: u64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    local_time(&date, Style::Medium, Some(Style::Short))
}

/// ServiceNow's UTC `YYYY-MM-DD HH:MM:SS` as ISO 8601 (`YYYY-MM-DDTHH:MM:SSZ`), for
/// `Date.parse` and a `<time datetime>`.
pub fn sn_time_iso(s: &str) -> String {
    s.replacen(' ', "T", 1) + "Z"
}

/// ServiceNow's UTC `YYYY-MM-DD HH:MM:SS`, short, in the user's time zone; the raw text when
/// it does not parse.
pub fn format_sn_time(s: &str) -> String {
    let iso = sn_time_iso(s.trim());
    let ms = js_sys::Date::parse(&iso);
    if ms.is_finite() {
        let date = js_sys::Date::new(&JsValue::from_f64(ms));
        local_time(&date, Style::Short, Some(Style::Short))
    } else {
        s.to_string()
    }
}

/// A calendar day (`YYYY-MM-DD`, the due date) written out in full: "Wednesday 16 December
/// 2026"; none when it does not parse.
pub fn format_day(ymd: &str) -> Option<String> {
    let mut parts = ymd.trim().splitn(3, '-').map(|p| p.parse::<i32>().ok());
    let (Some(Some(y)), Some(Some(m)), Some(Some(d))) = (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if y < 1 || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Local noon: the same calendar day in every time zone.
    let date = js_sys::Date::new_with_year_month_day_hr(y as u32, m - 1, d, 12);
    Some(local_time(&date, Style::Full, None))
}
