//! Agency and jurisdiction hierarchies, cached briefly in memory so scope
//! checks cost no query per request. Writes in this process invalidate the
//! cache at once; other replicas see changes within [`TTL`].

use cityos_store::Db;
use sqlx::Row as _;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long another replica's change may take to be seen.
pub const TTL: Duration = Duration::from_secs(30);

/// Both hierarchies as child lists.
#[derive(Debug, Default)]
pub struct Trees {
    agency_children: HashMap<String, Vec<String>>,
    jurisdiction_children: HashMap<String, Vec<String>>,
}

fn subtree(children: &HashMap<String, Vec<String>>, root: &str) -> HashSet<String> {
    let mut out = HashSet::from([root.to_string()]);
    let mut stack = vec![root.to_string()];
    while let Some(c) = stack.pop() {
        for k in children.get(&c).into_iter().flatten() {
            if out.insert(k.clone()) {
                stack.push(k.clone());
            }
        }
    }
    out
}

impl Trees {
    /// The agency and every agency under it.
    #[must_use]
    pub fn agency_subtree(&self, code: &str) -> HashSet<String> {
        subtree(&self.agency_children, code)
    }

    /// The jurisdiction and every unit inside it.
    #[must_use]
    pub fn jurisdiction_subtree(&self, code: &str) -> HashSet<String> {
        subtree(&self.jurisdiction_children, code)
    }
}

/// The cache.
#[derive(Debug, Default)]
pub struct TreeCache(RwLock<Option<(Instant, Arc<Trees>)>>);

impl TreeCache {
    /// Current trees, reloaded when older than [`TTL`].
    pub async fn get(&self, db: &Db) -> Result<Arc<Trees>, sqlx::Error> {
        if let Ok(guard) = self.0.read() {
            if let Some((at, t)) = guard.as_ref() {
                if at.elapsed() < TTL {
                    return Ok(t.clone());
                }
            }
        }
        let mut trees = Trees::default();
        for row in sqlx::query("SELECT code, parent_code FROM agencies").fetch_all(db.reader()).await? {
            if let Some(p) = row.try_get::<Option<String>, _>("parent_code")? {
                trees.agency_children.entry(p).or_default().push(row.try_get("code")?);
            }
        }
        for row in sqlx::query("SELECT code, parent_code FROM jurisdictions").fetch_all(db.reader()).await? {
            if let Some(p) = row.try_get::<Option<String>, _>("parent_code")? {
                trees.jurisdiction_children.entry(p).or_default().push(row.try_get("code")?);
            }
        }
        let trees = Arc::new(trees);
        if let Ok(mut guard) = self.0.write() {
            *guard = Some((Instant::now(), trees.clone()));
        }
        Ok(trees)
    }

    /// Forgets the cached trees (after a write).
    pub fn invalidate(&self) {
        if let Ok(mut guard) = self.0.write() {
            *guard = None;
        }
    }
}
