//! Background work of a serving process: the outbox dispatcher, the
//! notification sender, the webhook inbox, the 1022 mailbox, the 1022 open data feed, audit sealing, escalation of
//! overdue reports and expired-session cleanup. All stop
//! when the shutdown signal turns true.

use crate::App;
use cityos_events::Dispatcher;
use cityos_notify::Notifier;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Starts the workers; they finish when [`App::begin_shutdown`] is called.
pub fn spawn_workers(app: &App) -> Vec<JoinHandle<()>> {
    let shutdown = &app.stopping();
    let mut handles = Vec::new();
    let dispatcher = Dispatcher::new(app.db.clone(), app.bus.clone(), app.clock.clone());
    handles.push(tokio::spawn(dispatcher.run(Duration::from_millis(200), shutdown.clone())));

    match Notifier::from_config(app.db.clone(), app.clock.clone(), &app.config.notify) {
        Ok(n) => {
            // A bad [push] section turns web push off, not the other channels.
            let n = match cityos_notify::WebPush::from_config(app.db.clone(), app.clock.clone(), &app.config.push) {
                Ok(Some(push)) => n.with_transport(cityos_notify::Channel::WebPush, std::sync::Arc::new(push)),
                Ok(None) => n,
                Err(e) => {
                    tracing::error!(error = %e, "web push is off: check [push]");
                    n
                }
            };
            let mut rx = shutdown.clone();
            handles.push(tokio::spawn(n.run(async move {
                let _ = rx.wait_for(|stop| *stop).await;
            })));
        }
        Err(e) => tracing::error!(error = %e, "notification sender not started: check [notify] settings"),
    }

    // The anonymised 1022 reports, published as an open dataset: shortly after start, then every interval.
    if !app.config.open_data.feedback_owner_agency.trim().is_empty() {
        let (app2, mut rx) = (app.clone(), shutdown.clone());
        let every = Duration::from_secs(app.config.open_data.feed_interval_hours.max(1) * 3600);
        handles.push(tokio::spawn(async move {
            let mut wait = Duration::from_secs(5);
            loop {
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    _ = rx.wait_for(|stop| *stop) => break,
                }
                match publish_feedback_feed(&app2).await {
                    Ok(Some(rows)) => tracing::info!(rows, "published the 1022 open data feed"),
                    Ok(None) => {
                        tracing::warn!(agency = %app2.config.open_data.feedback_owner_agency, "1022 open data feed off: no such agency")
                    }
                    Err(e) => tracing::warn!(error = %e, "1022 open data feed failed; will retry"),
                }
                wait = every;
            }
        }));
    }

    // Messages that came by webhook become reports; most are filed at once by the
    // request that stored them, this catches the rest.
    handles.push(tokio::spawn(cityos_feedback::webhooks::run_inbox(app.feedback.clone(), Duration::from_millis(500), shutdown.clone())));
    // The 1022 mailbox, polled over IMAP while [mail_inbox] names a host; its messages go through that inbox.
    if !app.config.mail_inbox.host.trim().is_empty() {
        match cityos_feedback::mail_inbox::MailInbox::new(app.feedback.clone(), &app.config.mail_inbox) {
            Ok(inbox) => handles.push(tokio::spawn(inbox.run(shutdown.clone()))),
            Err(e) => tracing::error!(error = %e, "the 1022 mailbox is not polled: check [mail_inbox]"),
        }
    }
    // Callers' numbers are not kept for ever.
    handles.push(tokio::spawn(cityos_feedback::calls::run_retention(app.feedback.clone(), shutdown.clone())));

    let (db, clock, key, every) = (app.db.clone(), app.clock.clone(), app.seal_key.clone(), app.config.security.audit_seal_every);
    let feedback = app.feedback.clone();
    let mut rx = shutdown.clone();
    handles.push(tokio::spawn(async move {
        loop {
            if let Err(e) = cityos_audit::seal(&db, &clock, &key, every).await {
                tracing::warn!(error = %e, "audit sealing failed; will retry");
            }
            match feedback.escalate_overdue().await {
                Ok(n) if n > 0 => tracing::info!(escalated = n, "overdue reports escalated"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "escalation failed; will retry"),
            }
            // SQLite's planner needs statistics to choose indexes on big tables;
            // `PRAGMA optimize` refreshes them only where they are stale (cheap when nothing changed).
            if db.backend() == cityos_store::Backend::Sqlite {
                if let Err(e) = sqlx::raw_sql("PRAGMA analysis_limit = 1000; PRAGMA optimize;").execute(db.writer()).await {
                    tracing::warn!(error = %e, "PRAGMA optimize failed");
                }
            }
            if let Err(e) = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
                .bind(cityos_core::to_millis(clock.now()))
                .execute(db.writer())
                .await
            {
                tracing::warn!(error = %e, "session cleanup failed");
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(60)) => {}
                _ = rx.wait_for(|stop| *stop) => break,
            }
        }
    }));
    handles
}

/// Publishes the anonymised 1022 reports as the next version of the open
/// dataset `phan-anh-1022` (created the first time), owned by
/// `[open_data] feedback_owner_agency`. Returns the rows published, or
/// `None` when that agency does not exist.
///
/// # Errors
/// Writing the file or ingesting it failed.
pub async fn publish_feedback_feed(app: &App) -> Result<Option<i64>, String> {
    let dir = app.config.storage.data_dir.join("tmp");
    tokio::fs::create_dir_all(&dir).await.map_err(|e| e.to_string())?;
    let path = dir.join(format!("phan-anh-1022-{}.csv", cityos_core::new_id()));
    let file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
    let written = app.feedback.write_open_data_csv(std::io::BufWriter::new(file)).await.map_err(|e| e.to_string());
    let published = match written {
        Ok(_) => app
            .datahub
            .publish_feed(&cityos_datahub::feeds::FEEDBACK_FEED, app.config.open_data.feedback_owner_agency.trim(), &path)
            .await
            .map_err(|e| cityos_api::ApiError::from(e).to_string()),
        Err(e) => Err(e),
    };
    let _ = tokio::fs::remove_file(&path).await;
    published.map(|r| r.map(|v| v.row_count))
}
