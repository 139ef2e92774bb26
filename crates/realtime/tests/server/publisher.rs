//! The in-process publisher obeys the same rules as the HTTP API.

use realtime::TriggerError;

use crate::helpers::{Backend, ID, app, next, on_both, spawn, subscribed};

on_both!(in_process_triggers_reach_subscribers);

async fn in_process_triggers_reach_subscribers(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut conn = subscribed(&server, "invoice.abc").await;
    let channels = vec!["invoice.abc".to_owned()];
    server.publisher.trigger(ID, &channels, "invoice.updated", r#"{"a":1}"#).await.unwrap();
    let event = next(&mut conn).await;
    assert_eq!(
        event.raw,
        r#"{"event":"invoice.updated","channel":"invoice.abc","data":"{\"a\":1}"}"#
    );

    let big = "x".repeat(10 * 1024 + 1);
    assert_eq!(
        server.publisher.trigger(ID, &channels, "e", &big).await,
        Err(TriggerError::TooLarge { size: big.len(), max: 10 * 1024 })
    );
    assert_eq!(
        server.publisher.trigger("nope", &channels, "e", "{}").await,
        Err(TriggerError::UnknownApp("nope".to_owned()))
    );
    let bad = vec!["bad name".to_owned()];
    let refused = server.publisher.trigger(ID, &bad, "e", "{}").await;
    assert!(matches!(refused, Err(TriggerError::Channel { .. })));
    server.stop().await;
}
