//! Several nodes on one Redis and prefix: each test starts its own cluster of in-process
//! servers. Crashes (`kill -9`) and Redis restarts are in the `paybell` binary's tests.

use std::time::Duration;

use realtime::{AppConfig, RealtimeConfig, RedisConfig, WebhookConfig};
use serde_json::json;

use crate::helpers::{
    Backend, TestServer, WAIT, app, assert_silent, next, redis_config, redis_prefix, redis_url,
    spawn_with, subscribe, subscribed,
};
use crate::sink::Sink;
use crate::users::signed_in;

/// `n` nodes serving `apps`, sharing one fresh prefix.
async fn cluster(n: usize, apps: Vec<AppConfig>) -> Vec<TestServer> {
    let prefix = redis_prefix();
    let mut nodes = Vec::new();
    for _ in 0..n {
        let config = RealtimeConfig {
            apps: apps.clone(),
            redis: Some(redis_config(&redis_url(), &prefix)),
            ..RealtimeConfig::default()
        };
        nodes.push(spawn_with(Backend::Redis, config).await);
    }
    nodes
}

async fn stop_all(nodes: Vec<TestServer>) {
    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test]
async fn an_event_reaches_every_node_s_subscribers_exactly_once() {
    let nodes = cluster(3, vec![app()]).await;
    let mut subscribers = Vec::new();
    for node in &nodes {
        subscribers.push(subscribed(node, "orders").await);
        subscribers.push(subscribed(node, "orders").await);
    }
    nodes[0].api().trigger(&["orders"], "placed", r#"{"n":1}"#, None, None).await.unwrap();
    nodes[1]
        .publisher
        .trigger("app-id", &["orders".to_owned()], "placed", "{\"n\":2}")
        .await
        .unwrap();
    for conn in &mut subscribers {
        assert_eq!(next(conn).await.data, json!({"n": 1}));
        assert_eq!(next(conn).await.data, json!({"n": 2}));
    }
    for conn in &mut subscribers {
        assert_silent(conn).await;
    }
    stop_all(nodes).await;
}

#[tokio::test]
async fn the_socket_id_excluded_from_a_trigger_is_excluded_on_every_node() {
    let nodes = cluster(2, vec![app()]).await;
    let mut sender = subscribed(&nodes[1], "room").await;
    let mut other = subscribed(&nodes[0], "room").await;
    let except = sender.socket_id().to_string();
    nodes[0].api().trigger(&["room"], "said", "{}", Some(&except), None).await.unwrap();
    assert_eq!(next(&mut other).await.event, "said");
    assert_silent(&mut sender).await;
    stop_all(nodes).await;
}

#[tokio::test]
async fn client_events_reach_the_other_nodes_once_and_never_the_sender() {
    let nodes = cluster(2, vec![app()]).await;
    let mut sender = nodes[0].connect().await;
    subscribe(&mut sender, "private-chat", None).await;
    let mut here = nodes[0].connect().await;
    subscribe(&mut here, "private-chat", None).await;
    let mut there = nodes[1].connect().await;
    subscribe(&mut there, "private-chat", None).await;
    let event = json!({"event": "client-typing", "channel": "private-chat", "data": {"who": "a"}});
    sender.send(&event).await.unwrap();
    for conn in [&mut here, &mut there] {
        let got = next(conn).await;
        assert_eq!((got.event.as_str(), got.data.clone()), ("client-typing", json!({"who": "a"})));
        assert_silent(conn).await;
    }
    assert_silent(&mut sender).await;
    stop_all(nodes).await;
}

#[tokio::test]
async fn presence_is_one_set_of_members_across_nodes() {
    let nodes = cluster(2, vec![app()]).await;
    let mut alice = nodes[0].connect().await;
    subscribe(&mut alice, "presence-room", Some(("alice", json!({"name": "Alice"})))).await;
    let mut bob = nodes[1].connect().await;
    let joined = subscribe(&mut bob, "presence-room", Some(("bob", json!({"name": "Bob"})))).await;
    let presence = &joined.data["presence"];
    assert_eq!(presence["count"], 2);
    assert_eq!(presence["hash"]["alice"], json!({"name": "Alice"}));
    let added = next(&mut alice).await;
    assert_eq!(added.event, "pusher_internal:member_added");
    assert_eq!(added.data, json!({"user_id": "bob", "user_info": {"name": "Bob"}}));

    // Bob's second tab on the other node: not a new member, and its leaving removes nobody.
    let mut bob_again = nodes[0].connect().await;
    subscribe(&mut bob_again, "presence-room", Some(("bob", json!({"name": "Bob"})))).await;
    assert_silent(&mut alice).await;
    bob.close().await.unwrap();
    assert_silent(&mut alice).await;
    bob_again.close().await.unwrap();
    let removed = next(&mut alice).await;
    assert_eq!(removed.event, "pusher_internal:member_removed");
    assert_eq!(removed.data, json!({"user_id": "bob"}));
    assert_silent(&mut alice).await;
    stop_all(nodes).await;
}

#[tokio::test]
async fn the_presence_member_limit_counts_every_node() {
    let mut limited = app();
    limited.max_presence_members = 2;
    let nodes = cluster(3, vec![limited]).await;
    let mut members = Vec::new();
    for (i, node) in nodes.iter().take(2).enumerate() {
        let mut conn = node.connect().await;
        subscribe(&mut conn, "presence-small", Some((&format!("u{i}"), json!({})))).await;
        members.push(conn);
    }
    let mut third = nodes[2].connect().await;
    let channel_data = json!({"user_id": "u3", "user_info": {}}).to_string();
    let socket_id = third.socket_id().to_string();
    let auth = pusher_protocol::sign::channel_auth(
        crate::helpers::KEY,
        crate::helpers::SECRET,
        &socket_id,
        "presence-small",
        Some(&channel_data),
    );
    third.subscribe("presence-small", Some(&auth), Some(&channel_data)).await.unwrap();
    let refused = next(&mut third).await;
    assert_eq!(refused.event, "pusher:error");
    let message = refused.data["message"].as_str().unwrap();
    assert!(message.contains("over its limit of 2 members"), "{message}");
    let info = nodes[2].api().channel("presence-small", Some("user_count")).await.unwrap();
    assert_eq!(info.user_count, Some(2));
    stop_all(nodes).await;
}

#[tokio::test]
async fn the_http_api_answers_for_the_whole_cluster() {
    let nodes = cluster(2, vec![app()]).await;
    let _a = subscribed(&nodes[0], "shared").await;
    let _b = subscribed(&nodes[1], "shared").await;
    let _only_b = subscribed(&nodes[1], "only-on-b").await;
    let mut carol = nodes[1].connect().await;
    subscribe(&mut carol, "presence-team", Some(("carol", json!({})))).await;
    let mut dave = nodes[0].connect().await;
    subscribe(&mut dave, "presence-team", Some(("dave", json!({})))).await;

    let api = nodes[0].api();
    let all = api.channels(None, None).await.unwrap();
    let mut names: Vec<&String> = all.channels.keys().collect();
    names.sort();
    assert_eq!(names, ["only-on-b", "presence-team", "shared"]);
    let shared = api.channel("shared", Some("subscription_count")).await.unwrap();
    assert_eq!((shared.occupied, shared.subscription_count), (true, Some(2)));
    let presence = api.channels(Some("presence-"), Some("user_count")).await.unwrap();
    assert_eq!(presence.channels["presence-team"].user_count, Some(2));
    let mut users: Vec<String> =
        api.users("presence-team").await.unwrap().users.into_iter().map(|u| u.id).collect();
    users.sort();
    assert_eq!(users, ["carol", "dave"]);
    let response = api.trigger(&["shared"], "e", "{}", None, Some("subscription_count")).await;
    let counted = response.unwrap().channels.unwrap();
    assert_eq!(counted["shared"].subscription_count, Some(2));
    stop_all(nodes).await;
}

#[tokio::test]
async fn occupied_and_vacated_fire_once_for_the_cluster() {
    let sink = Sink::start(&[]).await;
    let mut hooked = app();
    hooked.webhooks = vec![WebhookConfig::new(sink.url.parse().unwrap())];
    let nodes = cluster(2, vec![hooked]).await;
    let a = subscribed(&nodes[0], "billing").await;
    let b = subscribed(&nodes[1], "billing").await;
    let occupied = sink.wait_for(1, WAIT).await;
    assert_eq!(occupied[0].names(), ["channel_occupied"]);
    a.close().await.unwrap();
    b.close().await.unwrap();
    let all = sink.wait_for(2, Duration::from_secs(6)).await;
    assert_eq!(all[1].names(), ["channel_vacated"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 2, "{:#?}", sink.received());
    stop_all(nodes).await;
}

#[tokio::test]
async fn terminate_send_to_user_and_watchlists_work_across_nodes() {
    let nodes = cluster(2, vec![app()]).await;
    let mut watcher = nodes[0].connect().await;
    let data = json!({"id": "boss", "watchlist": ["worker"]}).to_string();
    let auth = pusher_protocol::sign::user_auth(
        crate::helpers::KEY,
        crate::helpers::SECRET,
        &watcher.socket_id().to_string(),
        &data,
    );
    watcher.signin(&auth, &data).await.unwrap();
    watcher.expect_event("pusher:signin_success", WAIT).await.unwrap();

    let mut worker = signed_in(&nodes[1], r#"{"id":"worker"}"#).await;
    let online = next(&mut watcher).await;
    assert_eq!(online.data["events"][0], json!({"name": "online", "user_ids": ["worker"]}));
    subscribe(&mut worker, "#server-to-user-worker", None).await;

    nodes[0].api().send_to_user("worker", "task", r#"{"do":"it"}"#).await.unwrap();
    let task = next(&mut worker).await;
    assert_eq!((task.event.as_str(), task.data.clone()), ("task", json!({"do": "it"})));

    nodes[0].api().terminate_user_connections("worker").await.unwrap();
    assert_eq!(next(&mut worker).await.data["code"], 4009);
    assert_eq!(worker.close_frame(WAIT).await.unwrap().code, Some(4009));
    let offline = next(&mut watcher).await;
    assert_eq!(offline.data["events"][0], json!({"name": "offline", "user_ids": ["worker"]}));
    stop_all(nodes).await;
}

#[tokio::test]
async fn cache_channels_and_counts_are_shared() {
    let mut counting = app();
    counting.subscription_count = true;
    let nodes = cluster(2, vec![counting]).await;
    nodes[0].api().trigger(&["cache-rates"], "rate", r#"{"eur":1}"#, None, None).await.unwrap();
    // The cache write leaves through the ordered queue; give it a moment on a busy machine.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut late = nodes[1].connect().await;
    subscribe(&mut late, "cache-rates", None).await;
    let replayed = next(&mut late).await;
    assert_eq!((replayed.event.as_str(), replayed.data.clone()), ("rate", json!({"eur": 1})));

    let mut first = subscribed(&nodes[0], "counted").await;
    assert_eq!(next(&mut first).await.data, json!({"subscription_count": 1}));
    let mut second = subscribed(&nodes[1], "counted").await;
    assert_eq!(next(&mut second).await.data, json!({"subscription_count": 2}));
    assert_eq!(next(&mut first).await.data, json!({"subscription_count": 2}));
    stop_all(nodes).await;
}

#[tokio::test]
async fn a_stopped_node_gives_its_members_back() {
    let nodes = cluster(2, vec![app()]).await;
    let mut alice = nodes[0].connect().await;
    subscribe(&mut alice, "presence-hall", Some(("alice", json!({})))).await;
    let mut bob = nodes[1].connect().await;
    subscribe(&mut bob, "presence-hall", Some(("bob", json!({})))).await;
    next(&mut alice).await;
    let mut nodes = nodes;
    let second = nodes.pop().unwrap();
    second.stop().await;
    let removed = alice.expect_event("pusher_internal:member_removed", WAIT).await.unwrap();
    assert_eq!(removed.data, json!({"user_id": "bob"}));
    let users = nodes[0].api().users("presence-hall").await.unwrap();
    assert_eq!(users.users.len(), 1);
    drop(bob);
    stop_all(nodes).await;
}

#[tokio::test]
async fn a_quick_unsubscribe_and_subscribe_again_leaves_the_member_in() {
    let nodes = cluster(2, vec![app()]).await;
    let mut watcher = nodes[1].connect().await;
    subscribe(&mut watcher, "presence-flip", Some(("watcher", json!({})))).await;
    let mut flipper = nodes[0].connect().await;
    subscribe(&mut flipper, "presence-flip", Some(("flipper", json!({})))).await;
    watcher.expect_event("pusher_internal:member_added", WAIT).await.unwrap();
    for _ in 0..5 {
        // Sent back to back: the leave must be done before the join that follows it.
        flipper.unsubscribe("presence-flip").await.unwrap();
        subscribe(&mut flipper, "presence-flip", Some(("flipper", json!({})))).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let api = nodes[1].api();
    let info = api.channel("presence-flip", Some("user_count,subscription_count")).await.unwrap();
    assert_eq!((info.user_count, info.subscription_count), (Some(2), Some(2)));
    let mut users: Vec<String> = nodes[1]
        .api()
        .users("presence-flip")
        .await
        .unwrap()
        .users
        .into_iter()
        .map(|u| u.id)
        .collect();
    users.sort();
    assert_eq!(users, ["flipper", "watcher"]);
    stop_all(nodes).await;
}

#[tokio::test]
async fn once_a_trigger_is_answered_later_triggers_on_any_node_arrive_after_it() {
    // Node B reaches Redis slowly: were its answer given before its event is in Redis,
    // node A's later event would get there first.
    let proxy = Proxy::start(Duration::from_millis(100)).await;
    let prefix = redis_prefix();
    let node = |url: String| RealtimeConfig {
        apps: vec![app()],
        redis: Some(redis_config(&url, &prefix)),
        ..RealtimeConfig::default()
    };
    let a = spawn_with(Backend::Redis, node(redis_url())).await;
    let b = spawn_with(Backend::Redis, node(format!("redis://127.0.0.1:{}", proxy.port))).await;
    let mut on_a = subscribed(&a, "ledger").await;
    let mut on_b = subscribed(&b, "ledger").await;
    let (api_a, api_b) = (a.api(), b.api());
    for round in 0..5 {
        api_b.trigger(&["ledger"], "first", &round.to_string(), None, None).await.unwrap();
        api_a.trigger(&["ledger"], "second", &round.to_string(), None, None).await.unwrap();
        for conn in [&mut on_a, &mut on_b] {
            assert_eq!(next(conn).await.event, "first", "round {round}");
            assert_eq!(next(conn).await.event, "second", "round {round}");
        }
    }
    stop_all(vec![a, b]).await;
}

/// A TCP forwarder to Redis that holds every chunk for `delay` (a slow link), and whose
/// connections can go silent without closing, as when a firewall drops an idle flow.
struct Proxy {
    port: u16,
    /// Connections accepted so far, and how many of the first ones are silent.
    accepted: std::sync::Arc<std::sync::atomic::AtomicU64>,
    silenced: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Proxy {
    async fn start(delay: Duration) -> Self {
        use std::sync::atomic::{AtomicU64, Ordering};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let silenced = std::sync::Arc::new(AtomicU64::new(0));
        let accepted = std::sync::Arc::new(AtomicU64::new(0));
        let (generation, count) = (silenced.clone(), accepted.clone());
        let target = redis_url().trim_start_matches("redis://").trim_end_matches('/').to_owned();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let id = count.fetch_add(1, Ordering::AcqRel) + 1;
                let generation = generation.clone();
                let server = tokio::net::TcpStream::connect(&target).await.unwrap();
                let pump = |mut from: tokio::net::tcp::OwnedReadHalf,
                            mut to: tokio::net::tcp::OwnedWriteHalf,
                            generation: std::sync::Arc<AtomicU64>| async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut buffer = vec![0; 16 * 1024];
                    while let Ok(n) = from.read(&mut buffer).await {
                        if n == 0 {
                            return;
                        }
                        // Silenced: bytes are swallowed, the socket stays open.
                        if generation.load(Ordering::Acquire) >= id {
                            continue;
                        }
                        tokio::time::sleep(delay).await;
                        if to.write_all(&buffer[..n]).await.is_err() {
                            return;
                        }
                    }
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(pump(client_read, server_write, generation.clone()));
                tokio::spawn(pump(server_read, client_write, generation));
            }
        });
        Self { port, accepted, silenced }
    }

    /// Every connection made so far goes silent; new ones work.
    fn silence(&self) {
        use std::sync::atomic::Ordering;
        self.silenced.store(self.accepted.load(Ordering::Acquire), Ordering::Release);
    }
}

#[tokio::test]
async fn a_node_whose_bus_connection_goes_silent_subscribes_again() {
    let proxy = Proxy::start(Duration::ZERO).await;
    let prefix = redis_prefix();
    let node = |url: String| RealtimeConfig {
        apps: vec![app()],
        redis: Some(RedisConfig {
            node_lease: Duration::from_secs(6),
            ..redis_config(&url, &prefix)
        }),
        ..RealtimeConfig::default()
    };
    let behind_proxy =
        spawn_with(Backend::Redis, node(format!("redis://127.0.0.1:{}", proxy.port))).await;
    let direct = spawn_with(Backend::Redis, node(redis_url())).await;
    let mut listener = subscribed(&behind_proxy, "alerts").await;
    direct.api().trigger(&["alerts"], "before", "{}", None, None).await.unwrap();
    assert_eq!(next(&mut listener).await.event, "before");

    proxy.silence();
    let started = std::time::Instant::now();
    loop {
        direct.api().trigger(&["alerts"], "after", "{}", None, None).await.unwrap();
        if let Ok(frame) = listener.next_frame(Duration::from_millis(500)).await
            && frame.event == "after"
        {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(25), "the node never heard the bus again");
    }
    println!("bus heard again {:?} after its connection went silent", started.elapsed());
    drop(listener);
    direct.stop().await;
    behind_proxy.stop().await;
}
