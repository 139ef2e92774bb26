//! The apps served, found by key (WebSocket) or id (HTTP API), each with its own hub.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::AppConfig;
use crate::hub::Hub;

/// One app: its configuration and its live state.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) config: AppConfig,
    pub(crate) hub: Hub,
}

/// Every app, by key and by id. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct Apps {
    by_key: Arc<HashMap<String, Arc<App>>>,
    by_id: Arc<HashMap<String, Arc<App>>>,
}

impl Apps {
    /// Builds the registry from validated configurations.
    pub(crate) fn new(configs: &[AppConfig]) -> Self {
        let apps: Vec<Arc<App>> = configs
            .iter()
            .map(|c| Arc::new(App { config: c.clone(), hub: Hub::default() }))
            .collect();
        Self {
            by_key: Arc::new(apps.iter().map(|a| (a.config.key.clone(), a.clone())).collect()),
            by_id: Arc::new(apps.iter().map(|a| (a.config.id.clone(), a.clone())).collect()),
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
}
