//! `GET /api/events`: the live event feed as server-sent events. Each event
//! is a CloudEvent; its SSE id is its outbox position, so a client that
//! reconnects with `Last-Event-ID` first receives what it missed (replayed
//! from the outbox), then live events. Only events the caller may see are sent.

use crate::App;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use cityos_api::{ApiError, Caller, Principal, Target};
use cityos_core::Classification;
use cityos_events::{events_after, StoredEvent};
use futures::stream::Stream;
use http::HeaderMap;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router(app: App) -> OpenApiRouter {
    OpenApiRouter::new().routes(routes!(stream)).with_state(app)
}

/// Whether `caller` may see `ev`: public to all; internal to staff;
/// restricted and personal to staff whose grants cover the owning agency or
/// jurisdiction (city-wide grants cover all).
#[must_use]
pub fn visible(caller: &Caller, ev: &StoredEvent) -> bool {
    let e = &ev.event;
    match e.classification {
        Classification::Public => true,
        Classification::Internal => matches!(caller.principal, Principal::Staff { .. }),
        Classification::Restricted | Classification::Personal => {
            matches!(caller.principal, Principal::Staff { .. })
                && caller.grants.iter().any(|g| g.covers(&Target { agency: e.agency.as_deref(), jurisdiction: e.jurisdiction.as_deref() }))
        }
    }
}

fn sse(ev: &StoredEvent) -> Event {
    Event::default().id(ev.seq.to_string()).event(ev.event.kind.clone()).json_data(&ev.event).unwrap_or_default()
}

/// Live events (anyone; each sees only what they may). Resumable with `Last-Event-ID`.
#[utoipa::path(get, path = "/api/events", tag = "events",
    params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id")),
    responses((status = 200, description = "text/event-stream of CloudEvents", content_type = "text/event-stream")))]
async fn stream(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let last: i64 = match headers.get("last-event-id").and_then(|v| v.to_str().ok()) {
        Some(s) => s
            .trim()
            .parse()
            .map_err(|_| ApiError::bad_request("invalid_last_event_id", "Last-Event-ID must be an event id from this stream"))?,
        None => {
            // A new client starts from now: the newest position.
            cityos_events::latest_seq(&app.db).await.map_err(|e| ApiError::internal(&e))?
        }
    };
    // Subscribe before replaying so nothing falls between the two.
    let mut live = app.bus.subscribe();
    let db = app.db.clone();
    let mut stopping = app.stopping();
    let s = async_stream(move |tx| async move {
        let Some(mut sent) = replay(&db, &caller, &tx, last).await else { return };
        loop {
            let next = tokio::select! {
                ev = live.recv() => ev,
                _ = stopping.wait_for(|s| *s) => return,
            };
            match next {
                Ok(ev) if ev.seq > sent => {
                    sent = ev.seq;
                    if visible(&caller, &ev) && tx.send(Ok(sse(&ev))).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {
                    // Too slow for the live feed: catch up from the outbox.
                    let Some(caught_up) = replay(&db, &caller, &tx, sent).await else { return };
                    sent = caught_up;
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
    Ok(Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Sends every visible committed event after `after`; returns the last
/// position read, or `None` when the client has gone or the database failed.
async fn replay(
    db: &cityos_store::Db,
    caller: &Caller,
    tx: &tokio::sync::mpsc::Sender<Result<Event, Infallible>>,
    after: i64,
) -> Option<i64> {
    let mut sent = after;
    loop {
        let batch = match events_after(db, sent, 500).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "event replay failed");
                return None;
            }
        };
        if batch.is_empty() {
            return Some(sent);
        }
        for ev in batch {
            sent = ev.seq;
            if visible(caller, &ev) && tx.send(Ok(sse(&ev))).await.is_err() {
                return None;
            }
        }
    }
}

/// A stream fed by a task through a bounded channel.
fn async_stream<F, Fut>(f: F) -> impl Stream<Item = Result<Event, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<Event, Infallible>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(f(tx));
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cityos_api::{ResolvedGrant, Role, Scope};
    use cityos_events::CloudEvent;

    fn event(classification: Classification, agency: Option<&str>) -> StoredEvent {
        let clock: cityos_core::SharedClock = std::sync::Arc::new(cityos_core::SystemClock);
        StoredEvent {
            seq: 1,
            event: CloudEvent::new(&clock, "/t", "t", classification, serde_json::json!({})).agency(agency.map(Into::into)),
        }
    }

    fn staff_of(agency: &str) -> Caller {
        Caller {
            principal: Principal::Staff { user_id: "u".into(), username: "u".into(), agency: Some(agency.into()), api_key_id: None },
            grants: vec![ResolvedGrant {
                role: Role::Staff,
                scope: Scope::Agency(agency.into()),
                agencies: Some([agency.to_string()].into()),
                jurisdictions: Some(Default::default()),
            }],
            request_id: None,
        }
    }

    #[test]
    fn restricted_events_reach_only_the_owning_agency() {
        let restricted = event(Classification::Restricted, Some("SO-YT"));
        assert!(visible(&staff_of("SO-YT"), &restricted));
        assert!(!visible(&staff_of("SO-XD"), &restricted), "another agency's restricted event");
        assert!(!visible(&Caller::default(), &restricted));
        let personal = event(Classification::Personal, Some("SO-YT"));
        assert!(!visible(&staff_of("SO-XD"), &personal));
        let internal = event(Classification::Internal, Some("SO-YT"));
        assert!(visible(&staff_of("SO-XD"), &internal));
        assert!(!visible(&Caller { principal: Principal::Citizen { citizen_id: "c".into() }, ..Caller::default() }, &internal));
        assert!(visible(&Caller::default(), &event(Classification::Public, None)));
    }
}
