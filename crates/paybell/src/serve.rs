//! `paybell serve`: the web app and REST API, and the realtime server (built in, or a remote
//! Pusher-compatible one), stopped together by the one shutdown signal.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use invoicing::domain::ChannelNames;
use invoicing::durable::NodeId;
use invoicing::sink::PusherSink;
use invoicing::{Application, BrowserEndpoint, EventSink, RealtimeAccess, WsHost};
use pusher_client::{Endpoint, PusherClient, Target};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::builtin_sink::BuiltInSink;
use crate::config::{Config, RemotePusher};
use crate::{demo, web};

/// Runs until Ctrl-C or SIGTERM.
///
/// # Errors
/// A listener that cannot bind, a database that cannot be opened, a server failure.
pub async fn run(mut config: Config, with_demo: bool) -> anyhow::Result<()> {
    let http_addr = config.serve().http_addr();
    let http = TcpListener::bind(http_addr)
        .await
        .with_context(|| format!("binding the web address {http_addr}"))?;
    // Stops the apps watcher when the servers stop.
    let watching = CancellationToken::new();
    let _stop_watching = watching.clone().drop_guard();
    let (sink, realtime, mut access) = match config.serve().pusher() {
        Some(remote) => {
            let client = PusherClient::new(remote.target.clone())?;
            (Arc::new(PusherSink::new(client)) as Arc<dyn EventSink>, None, remote_access(remote))
        }
        None => {
            let listening = [http_addr, config.realtime_addr()];
            let started = crate::app::start(&mut config, &listening).await?;
            crate::app::announce(&config, &started.source);
            let (server, sink, access) = built_in(&config).await?;
            started.watch(&config, server.apps(), Some(access.signer.clone()), watching.clone());
            (sink, Some(server), access)
        }
    };
    if let Some(public) = config.serve().public_ws() {
        access.browser.ws_host = WsHost::Fixed(public.host.clone());
        access.browser.ws_port = public.port;
        access.browser.force_tls = public.tls;
    }
    let mut settings = config.serve().settings(access);
    settings.demo_mode = with_demo;
    settings.push = config
        .serve()
        .push()
        .settings(config.serve().data_dir())
        .context("the Web Push key (VAPID)")?;
    let app = Application::build(settings, http, sink)
        .await
        .context("starting the web application")?
        .with_node(node_id(config.serve().data_dir()))
        .with_fallback(web::router());
    let channels = ChannelNames { private: config.serve().private_channels() };
    let demo_invoices =
        if with_demo { Some(demo::seed(app.store(), channels).await?) } else { None };

    println!("paybell web listening on http://{}", app.local_addr()?);
    match (&realtime, config.serve().pusher()) {
        (Some(server), _) => println!("paybell realtime listening on {}", server.local_addr()?),
        (None, Some(remote)) => println!(
            "paybell realtime: publishing to {} (remote)",
            remote.target.endpoint().api_base()
        ),
        (None, None) => {}
    }
    match demo_invoices {
        Some(invoices) => print_demo(app.public_url(), &invoices),
        None => demo::note_disabled(app.store()).await?,
    }

    let stop = CancellationToken::new();
    let on_signal = stop.clone();
    tokio::spawn(async move {
        crate::shutdown_signal().await;
        on_signal.cancel();
    });
    let web = app.run_until_stopped(stop.clone().cancelled_owned());
    match realtime {
        Some(server) => {
            let realtime = server.run_until_stopped(stop.clone().cancelled_owned());
            let (web, realtime) = tokio::join!(web, realtime);
            web.context("web server")?;
            realtime.context("realtime server")?;
        }
        None => web.await.context("web server")?,
    }
    tracing::info!("stopped");
    Ok(())
}

/// Binds and builds the in-process realtime server for the first configured app.
async fn built_in(
    config: &Config,
) -> anyhow::Result<(realtime::Server, Arc<dyn EventSink>, RealtimeAccess)> {
    let addr = config.realtime_addr();
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the realtime address {addr}"))?;
    let app = config.realtime().apps.first().context("no realtime app is configured")?.clone();
    let server = realtime::Server::build(config.serve_realtime(), listener)?
        .with_console_assets(crate::web::console_assets());
    let bound = server.local_addr()?;
    let sink = Arc::new(BuiltInSink::new(server.publisher(), app.id.clone()));
    // With a certificate the realtime port speaks only wss://, so browsers must be told so.
    let tls = config.realtime().tls.is_some();
    let target = Target::new(app.id.as_str(), app.key.as_str(), app.secret.clone())?
        .with_endpoint(Endpoint::host(&browser_host(bound), bound.port(), tls)?);
    let ws_host = if bound.ip().is_unspecified() {
        WsHost::FromRequest
    } else {
        WsHost::Fixed(bound.ip().to_string())
    };
    let browser = BrowserEndpoint {
        cluster: "mt1".to_owned(),
        ws_host,
        ws_port: bound.port(),
        force_tls: tls,
    };
    Ok((server, sink, RealtimeAccess { signer: target.into(), browser }))
}

/// This node's id, kept in the data directory so a restart takes its outbox claims back at
/// once; without a writable directory, a fresh one (claims then wait for their short lease).
fn node_id(data_dir: &Path) -> NodeId {
    NodeId::in_dir(data_dir).unwrap_or_else(|error| {
        tracing::warn!(error = %invoicing::durable::error_chain(&error), "using a node id for this run only");
        NodeId::random()
    })
}

fn browser_host(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() { "127.0.0.1".to_owned() } else { addr.ip().to_string() }
}

/// What browsers are told about a remote server.
fn remote_access(remote: &RemotePusher) -> RealtimeAccess {
    let browser = match remote.target.endpoint() {
        Endpoint::Cluster(cluster) => BrowserEndpoint {
            cluster: cluster.clone(),
            ws_host: WsHost::Fixed(format!("ws-{cluster}.pusher.com")),
            ws_port: 443,
            force_tls: true,
        },
        Endpoint::Host { host, port, tls } => BrowserEndpoint {
            cluster: remote.cluster.clone().unwrap_or_else(|| "mt1".to_owned()),
            ws_host: WsHost::Fixed(host.clone()),
            ws_port: *port,
            force_tls: *tls,
        },
    };
    RealtimeAccess { signer: remote.target.clone().into(), browser }
}

fn print_demo(public_url: &url::Url, invoices: &[invoicing::domain::Invoice]) {
    let base = public_url.as_str().trim_end_matches('/');
    println!("demo login: {} / {}", demo::EMAIL, demo::PASSWORD);
    println!("demo app: {base}/login");
    for invoice in invoices {
        println!(
            "demo invoice #{} ({}): {base}/app/invoices/{} payment page: {base}/pay/{}",
            invoice.number, invoice.status, invoice.id, invoice.id
        );
    }
}
