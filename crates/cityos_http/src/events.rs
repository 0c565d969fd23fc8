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
        let mut sent = last;
        loop {
            let batch = match events_after(&db, sent, 500).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "event replay failed");
                    return;
                }
            };
            if batch.is_empty() {
                break;
            }
            for ev in batch {
                sent = ev.seq;
                if visible(&caller, &ev) && tx.send(Ok(sse(&ev))).await.is_err() {
                    return;
                }
            }
        }
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
                    // Catch up from the outbox.
                    while let Ok(batch) = events_after(&db, sent, 500).await {
                        if batch.is_empty() {
                            break;
                        }
                        for ev in batch {
                            sent = ev.seq;
                            if visible(&caller, &ev) && tx.send(Ok(sse(&ev))).await.is_err() {
                                return;
                            }
                        }
                    }
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
    Ok(Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
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
