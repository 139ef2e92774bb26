//! The apps served, found by key (WebSocket) or id (HTTP API), each with its own hub.

use std::collections::HashMap;
use std::sync::Arc;

use crate::adapter::Adapter;
use crate::config::AppConfig;
use crate::hub::Hub;
use crate::metrics::Usage;
use crate::rate::RateLimiter;
use crate::webhooks::{WebhookEvent, Webhooks};

/// One app: its configuration and its live state.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) config: Arc<AppConfig>,
    /// This node's connections.
    pub(crate) hub: Hub,
    /// Where state shared with other nodes lives, if any.
    pub(crate) adapter: Adapter,
    pub(crate) usage: Usage,
    pub(crate) webhooks: Webhooks,
    /// The HTTP API rate limit, when the app has one.
    pub(crate) api_rate: Option<RateLimiter>,
}

impl App {
    /// Sends a webhook event if the app has a webhook that wants it.
    pub(crate) fn webhook(&self, event: WebhookEvent) {
        self.webhooks.emit(&self.config, event);
    }
}

/// Every app, by key and by id. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct Apps {
    by_key: Arc<HashMap<String, Arc<App>>>,
    by_id: Arc<HashMap<String, Arc<App>>>,
}

impl Apps {
    /// Builds the registry from validated configurations.
    pub(crate) fn new(configs: &[AppConfig], webhooks: &Webhooks, adapter: &Adapter) -> Self {
        let apps: Vec<Arc<App>> = configs
            .iter()
            .map(|c| {
                Arc::new(App {
                    config: Arc::new(c.clone()),
                    hub: Hub::default(),
                    adapter: adapter.clone(),
                    usage: Usage::default(),
                    webhooks: webhooks.clone(),
                    api_rate: c.max_api_requests_per_second.map(RateLimiter::per_second),
                })
            })
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

    /// Every app.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<App>> {
        self.by_id.values()
    }
}
