//! Records and tokens: held in memory for speed, written through to SQLite on every change so
//! that a restart with the same data directory finds them again.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use indexmap::IndexMap;
use rusqlite::{params, Connection, OptionalExtension};

use crate::schema::{self, TABLES};
use crate::Error;

/// One row: field name → raw value (every value a string, as on an instance).
pub type Record = BTreeMap<String, String>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Token {
    pub kind: TokenKind,
    pub user: String,
    pub client_id: String,
    pub expires_at_ms: u64,
    pub revoked: bool,
    /// For an access token: the refresh token it was issued with.
    pub refresh: Option<String>,
}

pub struct Store {
    db: Connection,
    tables: HashMap<&'static str, IndexMap<String, Record>>,
    /// Next number per numbered table.
    counters: HashMap<&'static str, u64>,
    pub tokens: HashMap<String, Token>,
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS records (tbl TEXT NOT NULL, sys_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS records_key ON records (tbl, sys_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, kind TEXT NOT NULL, user TEXT NOT NULL,
  client_id TEXT NOT NULL, expires_at_ms INTEGER NOT NULL, revoked INTEGER NOT NULL, refresh TEXT);
";

impl Store {
    /// Opens (creating if needed) `sandbox.sqlite3` in `dir`. Returns the store and whether it was
    /// already seeded.
    pub fn open(dir: &Path) -> Result<(Store, bool), Error> {
        std::fs::create_dir_all(dir)?;
        let db = Connection::open(dir.join("sandbox.sqlite3"))?;
        db.execute_batch(SCHEMA)?;
        let mut store = Store {
            db,
            tables: HashMap::new(),
            counters: HashMap::new(),
            tokens: HashMap::new(),
        };
        store.load()?;
        let seeded = store.meta("seeded")?.is_some();
        Ok((store, seeded))
    }

    fn load(&mut self) -> Result<(), Error> {
        self.tables = TABLES.iter().map(|t| (t.name, IndexMap::new())).collect();
        {
            let mut stmt = self
                .db
                .prepare("SELECT tbl, sys_id, data FROM records ORDER BY rowid")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            for row in rows {
                let (tbl, sys_id, data) = row?;
                let Some(t) = schema::table(&tbl) else {
                    continue;
                };
                let Ok(rec) = serde_json::from_str::<Record>(&data) else {
                    continue;
                };
                if let Some(rows) = self.tables.get_mut(t.name) {
                    rows.insert(sys_id, rec);
                }
            }
        }
        self.counters.clear();
        for t in TABLES {
            if let Some((_, first)) = t.numbering {
                let next = self
                    .meta(&format!("next_number:{}", t.name))?
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(first);
                self.counters.insert(t.name, next);
            }
        }
        self.tokens.clear();
        let mut stmt = self.db.prepare(
            "SELECT token, kind, user, client_id, expires_at_ms, revoked, refresh FROM tokens",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Token {
                    kind: if r.get::<_, String>(1)? == "refresh" {
                        TokenKind::Refresh
                    } else {
                        TokenKind::Access
                    },
                    user: r.get(2)?,
                    client_id: r.get(3)?,
                    expires_at_ms: r.get::<_, i64>(4)?.max(0) as u64,
                    revoked: r.get::<_, i64>(5)? != 0,
                    refresh: r.get(6)?,
                },
            ))
        })?;
        for row in rows {
            let (token, t) = row?;
            self.tokens.insert(token, t);
        }
        Ok(())
    }

    fn meta(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(self
            .db
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), Error> {
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn mark_seeded(&self) -> Result<(), Error> {
        self.set_meta("seeded", "1")
    }

    /// Forgets everything: records, numbering, tokens.
    pub fn clear(&mut self) -> Result<(), Error> {
        self.db
            .execute_batch("DELETE FROM records; DELETE FROM meta; DELETE FROM tokens;")?;
        self.load()
    }

    /// Runs `f` in one SQLite transaction (bulk inserts).
    pub fn batch<T>(&mut self, f: impl FnOnce(&mut Store) -> Result<T, Error>) -> Result<T, Error> {
        self.db.execute_batch("BEGIN")?;
        match f(self) {
            Ok(v) => {
                self.db.execute_batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.db.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    pub fn rows(&self, table: &str) -> impl Iterator<Item = &Record> {
        self.tables
            .get(table)
            .into_iter()
            .flat_map(|rows| rows.values())
    }

    pub fn get(&self, table: &str, sys_id: &str) -> Option<&Record> {
        self.tables.get(table).and_then(|rows| rows.get(sys_id))
    }

    pub fn contains(&self, table: &str, sys_id: &str) -> bool {
        self.get(table, sys_id).is_some()
    }

    /// Inserts or replaces a record (keyed by its `sys_id` field).
    pub fn put(&mut self, table: &'static str, rec: Record) -> Result<(), Error> {
        let sys_id = rec.get("sys_id").cloned().unwrap_or_default();
        let data = serde_json::to_string(&rec).map_err(|e| Error::Config(e.to_string()))?;
        self.db
            .prepare_cached(
                "INSERT INTO records (tbl, sys_id, data) VALUES (?1, ?2, ?3)
                 ON CONFLICT(tbl, sys_id) DO UPDATE SET data = excluded.data",
            )?
            .execute(params![table, sys_id, data])?;
        self.tables.entry(table).or_default().insert(sys_id, rec);
        Ok(())
    }

    pub fn delete(&mut self, table: &str, sys_id: &str) -> Result<bool, Error> {
        self.db
            .prepare_cached("DELETE FROM records WHERE tbl = ?1 AND sys_id = ?2")?
            .execute(params![table, sys_id])?;
        Ok(self
            .tables
            .get_mut(table)
            .and_then(|rows| rows.shift_remove(sys_id))
            .is_some())
    }

    /// Takes the next number of a numbered table (`INC0010001`, …).
    pub fn next_number(&mut self, table: &'static str) -> Result<Option<String>, Error> {
        let Some((prefix, first)) = schema::table(table).and_then(|t| t.numbering) else {
            return Ok(None);
        };
        let n = *self.counters.get(table).unwrap_or(&first);
        self.counters.insert(table, n + 1);
        self.set_meta(&format!("next_number:{table}"), &(n + 1).to_string())?;
        Ok(Some(format!("{prefix}{n:07}")))
    }

    pub fn put_token(&mut self, token: String, t: Token) -> Result<(), Error> {
        self.db
            .prepare_cached(
                "INSERT INTO tokens (token, kind, user, client_id, expires_at_ms, revoked, refresh)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(token) DO UPDATE SET expires_at_ms = excluded.expires_at_ms,
                   revoked = excluded.revoked",
            )?
            .execute(params![
                token,
                t.kind.as_str(),
                t.user,
                t.client_id,
                t.expires_at_ms.min(i64::MAX as u64) as i64,
                t.revoked as i64,
                t.refresh
            ])?;
        self.tokens.insert(token, t);
        Ok(())
    }

    /// Changes tokens in place and persists the ones `f` reports as changed.
    pub fn update_tokens(
        &mut self,
        mut f: impl FnMut(&str, &mut Token) -> bool,
    ) -> Result<usize, Error> {
        let mut changed = Vec::new();
        for (k, t) in self.tokens.iter_mut() {
            if f(k, t) {
                changed.push((k.clone(), t.clone()));
            }
        }
        let n = changed.len();
        self.batch(|s| {
            for (k, t) in changed {
                s.put_token(k, t)?;
            }
            Ok(n)
        })
    }
}
