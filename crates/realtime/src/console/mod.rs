//! The Debug Console under `/console`: sign in with an app's id and secret, then watch the
//! app's live log, send events, list channels and see the last hour.
//!
//! - `session`: the signed cookie (`Path=/console`, HttpOnly, SameSite=Strict) and the
//!   same-origin check of unsafe requests; `throttle`: failed sign-ins, in Redis in a
//!   cluster and in memory otherwise.
//! - `history`: the Overview's samples, taken every 10 s on this node (and kept in Redis for
//!   the cluster's Overview).
//! - `api`: the JSON endpoints and the log as server-sent events; `assets`: the web page.
//!
//! Everything under `/console/api` but signing in needs a session. With `console = false`
//! (globally) the routes do not exist; an app with `console = false` cannot be signed in to
//! and its sessions stop working.

mod api;
mod assets;
mod history;
mod session;
mod throttle;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use tokio_util::sync::CancellationToken;

use crate::cluster::Backend;
use crate::state::AppState;
use history::History;
use throttle::Throttle;

/// Serves the console's built web files by path (`index.html`, `assets/…`), or `None`.
/// The binary embeds them; without it the console page says it was not built.
pub type ConsoleAssets = Arc<dyn Fn(&str) -> Option<Response> + Send + Sync>;

/// What the console's handlers share. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Console {
    state: AppState,
    history: Arc<History>,
    throttle: Arc<Throttle>,
    assets: Option<ConsoleAssets>,
    /// The node's cluster, on Redis.
    cluster: Option<Arc<Backend>>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console").field("assets", &self.assets.is_some()).finish_non_exhaustive()
    }
}

impl Console {
    pub(crate) fn new(
        state: AppState,
        assets: Option<ConsoleAssets>,
        cluster: Option<Arc<Backend>>,
    ) -> Self {
        let throttle = Arc::new(Throttle::new(cluster.clone()));
        Self { state, history: Arc::default(), throttle, assets, cluster }
    }

    /// Starts sampling the Overview's history, until `stop`.
    pub(crate) fn spawn_sampler(&self, stop: CancellationToken) {
        let (apps, history) = (self.state.apps.clone(), self.history.clone());
        tokio::spawn(history::sample(apps, history, self.cluster.clone(), stop));
    }

    /// With the console switched off: `/console` and everything under it answer 404, for
    /// every method.
    pub(crate) fn switched_off() -> Router {
        async fn not_found() -> Response {
            let message = "the Debug Console is switched off on this server";
            api::error(StatusCode::NOT_FOUND, "not_found", message).into_response()
        }
        Router::new().route("/console", any(not_found)).route("/console/{*rest}", any(not_found))
    }

    /// The console's routes, with their state.
    pub(crate) fn routes(self) -> Router {
        let api = Router::new()
            .route("/console/api/session", get(api::who).post(api::sign_in).delete(api::sign_out))
            .route("/console/api/log", get(api::log))
            .route("/console/api/events", axum::routing::post(api::trigger))
            .route("/console/api/channels", get(api::channels))
            .route("/console/api/overview", get(api::overview))
            .route_layer(middleware::from_fn(same_origin_only));
        Router::new()
            .route("/console", get(assets::index))
            .route("/console/", get(assets::index))
            .route("/console/assets/{*file}", get(assets::file))
            .merge(api)
            .layer(middleware::map_response(assets::security_headers))
            .with_state(self)
    }
}

/// Middleware: 403 for an unsafe console request that does not come from this server's
/// own origin (CSRF).
async fn same_origin_only(request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || session::same_origin(request.headers()) {
        return next.run(request).await;
    }
    api::error(StatusCode::FORBIDDEN, "cross_origin", "cross-origin requests are not allowed")
        .into_response()
}
