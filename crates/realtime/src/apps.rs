//! The apps served, found by key (WebSocket) or id (HTTP API); also what the cluster
//! backend talks to, as the node's [`Inbound`] handler.
//!
//! The set of apps can change while the server runs ([`AppRegistry::replace`]): the maps
//! are rebuilt aside and swapped in whole, so a lookup is one lock-free load. An app that
//! stays keeps its live state (connections, channels, counters) and takes its new settings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use pusher_protocol::ErrorCode;

use crate::app::App;
use crate::cluster::{Backend, Connections, Inbound, Notice};
use crate::config::{AppConfig, AppId, AppKey};
use crate::webhooks::Webhooks;
use crate::wheel::Wheel;

/// Every app, by key and by id. Cheap to clone: clones share the same registry.
#[derive(Debug, Clone)]
pub(crate) struct Apps(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    maps: ArcSwap<Maps>,
    webhooks: Webhooks,
    cluster: Option<Arc<Backend>>,
    wheel: Arc<Wheel>,
    /// Serialises replacements, so two cannot interleave; lookups never take it.
    replacing: Mutex<()>,
}

/// Keyed by the parsed names, which borrow as `str`, so the text from a request path is
/// looked up without allocating.
#[derive(Debug, Default)]
struct Maps {
    by_key: HashMap<AppKey, Arc<App>>,
    by_id: HashMap<AppId, Arc<App>>,
}

impl Maps {
    fn build(apps: impl IntoIterator<Item = Arc<App>>) -> Self {
        let mut maps = Self::default();
        for app in apps {
            let (id, key) = {
                let config = app.config();
                (config.id.clone(), config.key.clone())
            };
            if maps.by_id.contains_key(&id) || maps.by_key.contains_key(&key) {
                tracing::warn!(app = %id, "an app with this id or key is already served: skipped");
                continue;
            }
            maps.by_key.insert(key, app.clone());
            maps.by_id.insert(id, app);
        }
        maps
    }
}

impl Apps {
    /// Builds the registry from validated configurations; `cluster` and `wheel` are shared
    /// by them all.
    pub(crate) fn new(
        configs: &[AppConfig],
        webhooks: &Webhooks,
        cluster: Option<&Arc<Backend>>,
        wheel: &Arc<Wheel>,
    ) -> Self {
        let apps = configs.iter().map(|c| {
            Arc::new(App::new(c.clone(), webhooks.clone(), cluster.cloned(), wheel.clone()))
        });
        Self(Arc::new(Inner {
            maps: ArcSwap::from_pointee(Maps::build(apps)),
            webhooks: webhooks.clone(),
            cluster: cluster.cloned(),
            wheel: wheel.clone(),
            replacing: Mutex::new(()),
        }))
    }

    /// The app a client connects to with `key`.
    pub(crate) fn by_key(&self, key: &str) -> Option<Arc<App>> {
        self.0.maps.load().by_key.get(key).cloned()
    }

    /// The app of `/apps/{id}`.
    pub(crate) fn by_id(&self, id: &str) -> Option<Arc<App>> {
        self.0.maps.load().by_id.get(id).cloned()
    }

    /// Every app, as the registry holds them now.
    pub(crate) fn all(&self) -> Vec<Arc<App>> {
        self.0.maps.load().by_id.values().cloned().collect()
    }

    /// Serves `configs` from now on. An app whose id and key stay takes its new settings in
    /// place (disabled: its sockets close with 4003); a new one starts empty; one no longer
    /// listed, or whose key changed, has its sockets closed with 4001 and is dropped.
    pub(crate) fn replace(&self, configs: Vec<AppConfig>) {
        let _one_at_a_time =
            self.0.replacing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let old = self.0.maps.load_full();
        let mut kept = Vec::with_capacity(configs.len());
        for config in configs {
            let same = old.by_id.get(&config.id).filter(|app| app.config().key == config.key);
            let app = match same {
                Some(app) => {
                    app.update(config);
                    app.clone()
                }
                None => Arc::new(App::new(
                    config,
                    self.0.webhooks.clone(),
                    self.0.cluster.clone(),
                    self.0.wheel.clone(),
                )),
            };
            kept.push(app);
        }
        let maps = Maps::build(kept);
        let gone: Vec<Arc<App>> = old
            .by_id
            .values()
            .filter(|app| !maps.by_id.get(app.id().as_str()).is_some_and(|n| Arc::ptr_eq(n, app)))
            .cloned()
            .collect();
        self.0.maps.store(Arc::new(maps));
        for app in gone {
            tracing::info!(app = %app.config().id, "app no longer served: closing its connections");
            app.close_all(ErrorCode::AppNotFound, "Application does not exist");
        }
    }
}

/// The apps a running server serves, for the binary to change while it runs (apps added,
/// changed, disabled or rotated in a store). Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppRegistry(pub(crate) Apps);

impl AppRegistry {
    /// Serves exactly `apps` from now on (ids and keys distinct; a repeated one is skipped
    /// with a warning). Apps that stay keep their connections and take the new settings: a
    /// disabled one's sockets close with 4003 and new ones are refused; a rotated secret
    /// applies to the next signature checked. Apps no longer listed have their sockets
    /// closed with 4001.
    pub fn replace(&self, apps: Vec<AppConfig>) {
        self.0.replace(apps);
    }

    /// The ids served now.
    pub fn ids(&self) -> Vec<String> {
        self.0.all().iter().map(|app| app.config().id.to_string()).collect()
    }
}

impl Inbound for Apps {
    fn hear(&self, app: &str, notice: Notice<'_>) {
        if let Some(app) = self.by_id(app) {
            app.hear(notice);
        }
    }

    fn connections(&self) -> Vec<Connections> {
        self.all().iter().map(|app| app.connections()).collect()
    }

    fn consoles_here(&self) -> Vec<String> {
        self.all()
            .iter()
            .filter(|app| app.tap().watched_here())
            .map(|a| a.id().to_string())
            .collect()
    }

    fn consoles_elsewhere(&self, watched: &dyn Fn(&str) -> bool) {
        for app in self.all() {
            app.tap().set_watched_elsewhere(watched(app.id().as_str()));
        }
    }

    fn connection_counts(&self) -> Vec<(String, usize)> {
        self.all()
            .iter()
            .map(|app| (app.id().to_string(), app.connection_count()))
            .filter(|(_, count)| *count > 0)
            .collect()
    }

    fn connections_elsewhere(&self, count: &dyn Fn(&str) -> usize) {
        for app in self.all() {
            app.set_connections_elsewhere(count(app.id().as_str()));
        }
    }
}
