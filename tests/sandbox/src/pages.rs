//! The HTML an instance shows a person: login, consent, and plain record and list pages for the
//! links snshare opens (`nav_to.do?uri=incident.do?sys_id=…`, `incident_list.do?sysparm_query=…`).

use hyper::{Response, StatusCode};

use crate::app::{Req, State};
use crate::net::{self, set_header, Body};
use crate::query::{Query, Vars};
use crate::schema;

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d1d1d}\
header{background:#293e40;color:#fff;padding:12px 24px;font-weight:600}\
main{max-width:560px;margin:40px auto;background:#fff;padding:24px 32px;border-radius:6px;box-shadow:0 1px 3px #0002}\
main.wide{max-width:1100px}label{display:block;margin-top:12px}input{width:100%;padding:8px;box-sizing:border-box}\
button{margin-top:16px;margin-right:8px;padding:8px 20px}.error{color:#b00020}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}";

fn page(status: StatusCode, title: &str, main_class: &str, body: &str) -> Response<Body> {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>{STYLE}</style></head>\
         <body><header>ServiceNow (snshare sandbox)</header><main class=\"{main_class}\">{body}</main></body></html>",
        esc(title)
    );
    let mut r = net::response(status, "text/html; charset=UTF-8", html);
    set_header(&mut r, "cache-control", "no-store");
    set_header(&mut r, "x-frame-options", "SAMEORIGIN");
    r
}

pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response<Body> {
    page(
        status,
        title,
        "",
        &format!(
            "<h1>{}</h1><p class=\"error\" role=\"alert\">{}</p>",
            esc(title),
            esc(message)
        ),
    )
}

pub fn not_found() -> Response<Body> {
    error_page(
        StatusCode::NOT_FOUND,
        "Not found",
        "The page you are looking for does not exist.",
    )
}

/// The login form; it posts to `/login.do` and comes back to `goto`.
pub fn login(goto: &str, error: Option<&str>) -> Response<Body> {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(e)))
        .unwrap_or_default();
    page(
        StatusCode::OK,
        "Log in | ServiceNow",
        "",
        &format!(
            "<h1>Log in</h1>{error}<form method=\"post\" action=\"/login.do\">\
             <input type=\"hidden\" name=\"sysparm_goto\" value=\"{}\">\
             <label for=\"user_name\">User name</label>\
             <input id=\"user_name\" name=\"user_name\" type=\"text\" autocomplete=\"username\" autofocus required>\
             <label for=\"user_password\">Password</label>\
             <input id=\"user_password\" name=\"user_password\" type=\"password\" autocomplete=\"current-password\" required>\
             <button type=\"submit\" id=\"sysverb_login\">Log in</button></form>",
            esc(goto)
        ),
    )
}

/// The "Allow / Deny" page naming the application, with "Not You" back to the login.
pub fn consent(
    app: &str,
    name: &str,
    user: &str,
    hidden: &[(&str, &str)],
    ck: &str,
    not_you: &str,
) -> Response<Body> {
    let fields: String = hidden
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                esc(k),
                esc(v)
            )
        })
        .collect();
    page(
        StatusCode::OK,
        &format!("Connect {app} | ServiceNow"),
        "",
        &format!(
            "<h1>Connect to {app}</h1>\
             <p><strong id=\"oauth_app_name\">{app}</strong> would like to connect to your account.</p>\
             <p>Logged in as <strong>{name}</strong> ({user}). <a href=\"{not_you}\">Not You</a></p>\
             <form method=\"post\" action=\"/oauth_auth.do\">{fields}\
             <input type=\"hidden\" name=\"sysparm_ck\" value=\"{ck}\">\
             <button type=\"submit\" name=\"action\" value=\"allow\">Allow</button>\
             <button type=\"submit\" name=\"action\" value=\"deny\">Deny</button></form>",
            app = esc(app),
            name = esc(name),
            user = esc(user),
            not_you = esc(not_you),
            ck = esc(ck),
        ),
    )
}

pub fn home(_s: &State, _req: &Req) -> Response<Body> {
    page(
        StatusCode::OK,
        "ServiceNow sandbox",
        "",
        "<h1>ServiceNow sandbox</h1><p>A local stand-in for a ServiceNow instance, for snshare's tests and demo.</p>\
         <ul><li><a href=\"/incident_list.do\">Incidents</a></li><li><a href=\"/change_request_list.do\">Change requests</a></li></ul>",
    )
}

/// `nav_to.do?uri=incident.do?sys_id=…`
pub fn nav_to(s: &State, req: &Req) -> Response<Body> {
    let uri = req.param("uri").unwrap_or("");
    let (page_name, query) = uri.split_once('?').unwrap_or((uri, ""));
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    render_do(s, page_name.trim_start_matches('/'), &params)
}

/// `incident.do?sys_id=…`, `incident_list.do?sysparm_query=…`
pub fn form_or_list(s: &State, req: &Req, page_name: &str) -> Response<Body> {
    render_do(s, page_name, &req.query)
}

fn render_do(s: &State, page_name: &str, params: &[(String, String)]) -> Response<Body> {
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let name = page_name.trim_end_matches(".do");
    let (table_name, is_list) = match name.strip_suffix("_list") {
        Some(t) => (t, true),
        None => (name, false),
    };
    let Some(table) = schema::table(table_name) else {
        return not_found();
    };
    let label = |f: &schema::Field, v: &str| crate::table::display_of(&s.store, table, f, v);
    if is_list {
        struct Ts(&'static schema::Table);
        impl crate::query::Schema for Ts {
            fn known(&self, p: &str) -> bool {
                self.0.field(p).is_some()
            }
            fn numeric(&self, p: &str) -> bool {
                self.0.field(p).is_some_and(|f| f.kind.numeric())
            }
        }
        let ts = Ts(table);
        let q = Query::parse(
            get("sysparm_query"),
            &ts,
            &Vars {
                user_sys_id: "",
                user_name: "",
            },
        );
        let mut rows: Vec<_> = s
            .store
            .rows(table.name)
            .filter(|r| q.matches(&ts, &|f| r.get(f).cloned().unwrap_or_default()))
            .collect();
        q.sort(&ts, &mut rows, &|r, f| {
            r.get(f).cloned().unwrap_or_default()
        });
        let cols: Vec<&schema::Field> = [
            "number",
            "short_description",
            "state",
            "priority",
            "correlation_id",
            "name",
            "user_name",
            "label",
        ]
        .iter()
        .filter_map(|c| table.field(c))
        .collect();
        let head: String = cols
            .iter()
            .map(|f| format!("<th>{}</th>", esc(f.label)))
            .collect();
        let body: String = rows
            .iter()
            .take(500)
            .map(|r| {
                let id = r.get("sys_id").map(String::as_str).unwrap_or("");
                let cells: String = cols
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let text = esc(&label(f, r.get(f.name).map(String::as_str).unwrap_or("")));
                        if i == 0 {
                            format!(
                                "<td><a href=\"/{}.do?sys_id={}\">{text}</a></td>",
                                table.name,
                                esc(id)
                            )
                        } else {
                            format!("<td>{text}</td>")
                        }
                    })
                    .collect();
                format!("<tr>{cells}</tr>")
            })
            .collect();
        return page(
            StatusCode::OK,
            &format!("{} list", table.name),
            "wide",
            &format!("<h1>{}</h1><p>{} records</p><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>", esc(table.name), rows.len()),
        );
    }
    let Some(rec) = s.store.get(table.name, get("sys_id")) else {
        return error_page(
            StatusCode::NOT_FOUND,
            "Record not found",
            "Record not found",
        );
    };
    let rows: String = table
        .fields
        .iter()
        .map(|f| {
            let v = rec.get(f.name).map(String::as_str).unwrap_or("");
            format!(
                "<tr><th>{}</th><td data-field=\"{}\">{}</td></tr>",
                esc(f.label),
                f.name,
                esc(&label(f, v))
            )
        })
        .collect();
    let title = rec.get(table.display_field).cloned().unwrap_or_default();
    page(
        StatusCode::OK,
        &title,
        "wide",
        &format!("<h1>{}</h1><table>{rows}</table>", esc(&title)),
    )
}
