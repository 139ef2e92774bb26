//! The apps served, found by key (WebSocket) or id (HTTP API); also what the cluster
//! backend talks to, as the node's [`Inbound`] handler.

use std::collections::HashMap;
use std::sync::Arc;

use crate::app::App;
use crate::cluster::{Backend, Connections, Inbound, Notice};
use crate::config::{AppConfig, AppId, AppKey};
use crate::webhooks::Webhooks;

/// Every app, by key and by id. Cheap to clone. Keyed by the parsed names, which borrow as
/// `str`, so the text from a request path is looked up without allocating.
#[derive(Debug, Clone, Default)]
pub(crate) struct Apps {
    by_key: Arc<HashMap<AppKey, Arc<App>>>,
    by_id: Arc<HashMap<AppId, Arc<App>>>,
}

impl Apps {
    /// Builds the registry from validated configurations; `cluster` is shared by them all.
    pub(crate) fn new(
        configs: &[AppConfig],
        webhooks: &Webhooks,
        cluster: Option<&Arc<Backend>>,
    ) -> Self {
        let apps: Vec<Arc<App>> = configs
            .iter()
            .map(|c| Arc::new(App::new(c.clone(), webhooks.clone(), cluster.cloned())))
            .collect();
        Self {
            by_key: Arc::new(apps.iter().map(|a| (a.config().key.clone(), a.clone())).collect()),
            by_id: Arc::new(apps.iter().map(|a| (a.config().id.clone(), a.clone())).collect()),
        }
    }

    /// The app a client connects to with `key`.
    pub(crate) fn by_key(&self, key: &str) -> Option<&Arc<App>> {
        self.by_key.get(key)
    }

    /// The app of `/apps/{id}`.
    pub(crate) fn by_id(&self, id: &str) -> Option<&Arc<App>> {
        self.by_id.get(id)
    }

    /// Every app.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<App>> {
        self.by_id.values()
    }
}

impl Inbound for Apps {
    fn hear(&self, app: &str, notice: Notice<'_>) {
        if let Some(app) = self.by_id(app) {
            app.hear(notice);
        }
    }

    fn connections(&self) -> Vec<Connections> {
        self.iter().map(|app| app.connections()).collect()
    }

    fn consoles_here(&self) -> Vec<String> {
        self.iter()
            .filter(|app| app.tap().watched_here())
            .map(|a| a.config().id.to_string())
            .collect()
    }

    fn consoles_elsewhere(&self, watched: &dyn Fn(&str) -> bool) {
        for app in self.iter() {
            app.tap().set_watched_elsewhere(watched(app.config().id.as_str()));
        }
    }
}
