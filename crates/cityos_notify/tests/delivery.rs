//! Delivery through real local receivers (an SMTP server, an HTTP SMS
//! gateway, and HTTP receivers standing in for the Zalo OA API and the
//! Messenger Send API, all on 127.0.0.1), on the backend named by
//! `CITYOS_TEST_BACKEND`.
//! The only integration-test binary of this crate: link time dominates.
#![expect(clippy::unwrap_used, reason = "fixtures outside #[test] functions fail the test loudly")]

use chrono::Duration;
use cityos_core::config::{NotifyConfig, SmsConfig, SmtpConfig};
use cityos_core::{from_millis, ManualClock, SharedClock};
use cityos_notify::testing::{TestHttpReceiver, TestSmsGateway, TestSmtpServer, TEST_MESSENGER_TOKEN, TEST_SMS_TOKEN, TEST_ZALO_TOKEN};
use cityos_notify::{
    enqueue, Channel, DeliveryError, Locale, NotificationRequest, NotificationState, Notifier, NotifyError, Outgoing, Receipt, Transport,
    MIGRATIONS,
};
use cityos_store::testing::TestDb;
use cityos_store::Db;
use std::sync::Arc;
use std::time::Duration as StdDuration;

const WAIT: StdDuration = StdDuration::from_secs(10);

struct Fixture {
    t: TestDb,
    clock: ManualClock,
    smtp: TestSmtpServer,
    sms: TestSmsGateway,
    zalo: TestHttpReceiver,
    messenger: TestHttpReceiver,
}

impl Fixture {
    async fn new() -> Self {
        let t = TestDb::new().await;
        t.db.migrate(&[MIGRATIONS]).await.unwrap();
        let clock = ManualClock::new(from_millis(1_795_000_000_000));
        Self {
            t,
            clock,
            smtp: TestSmtpServer::start().await,
            sms: TestSmsGateway::start().await,
            zalo: TestHttpReceiver::zalo().await,
            messenger: TestHttpReceiver::messenger().await,
        }
    }

    fn shared_clock(&self) -> SharedClock {
        Arc::new(self.clock.clone())
    }

    fn config(&self) -> NotifyConfig {
        NotifyConfig {
            max_attempts: 8,
            smtp: self.smtp.config(),
            sms: self.sms.config(),
            zalo: self.zalo.zalo_config(),
            messenger: self.messenger.messenger_config(),
        }
    }

    fn notifier(&self) -> Notifier {
        self.notifier_on(self.t.db.clone())
    }

    fn notifier_on(&self, db: Db) -> Notifier {
        Notifier::from_config(db, self.shared_clock(), &self.config()).unwrap()
    }

    /// Queues `req` in a committed transaction of its own.
    async fn enqueue(&self, req: &NotificationRequest) -> String {
        let mut tx = self.t.db.begin().await.unwrap();
        let id = enqueue(&mut tx, &self.clock, req).await.unwrap();
        tx.commit().await.unwrap();
        id
    }

    async fn cleanup(self) {
        self.t.cleanup().await;
    }
}

fn otp_email(to: &str, locale: Locale) -> NotificationRequest {
    NotificationRequest::email(to, "otp_code").locale(locale).var("code", "482913").var("minutes", 10).purpose("citizen_sign_in")
}

fn otp_sms(to: &str) -> NotificationRequest {
    NotificationRequest::sms(to, "otp_code").var("code", "482913").var("minutes", 10)
}

#[tokio::test]
async fn otp_email_arrives_in_vietnamese_and_english() {
    let f = Fixture::new().await;
    let vi_id = f.enqueue(&otp_email("cong.dan@example.vn", Locale::Vi)).await;
    let en_id = f.enqueue(&otp_email("citizen@example.com", Locale::En)).await;
    let notifier = f.notifier();
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 2);

    let vi = f.smtp.wait_for(|m| m.to == ["cong.dan@example.vn"], WAIT).await.expect("Vietnamese mail");
    assert_eq!(vi.from, "no-reply@cityos.test");
    assert_eq!(vi.subject().as_deref(), Some("Mã xác thực CityOS: 482913"));
    let raw_subject = vi.data.lines().find(|l| l.starts_with("Subject:")).unwrap();
    assert!(raw_subject.is_ascii(), "a non-ASCII subject travels as MIME encoded-words: {raw_subject}");
    assert!(vi.header("Content-Type").unwrap().to_ascii_lowercase().contains("charset=utf-8"));
    let body = vi.text();
    assert!(body.contains("Mã xác thực CityOS của bạn là 482913. Mã có hiệu lực trong 10 phút."), "{body}");
    assert!(vi.header("Message-ID").unwrap().contains(&vi_id));

    let en = f.smtp.wait_for(|m| m.to == ["citizen@example.com"], WAIT).await.expect("English mail");
    assert_eq!(en.subject().as_deref(), Some("Your CityOS verification code: 482913"));
    assert!(en.text().contains("Your CityOS verification code is 482913. It is valid for 10 minutes."));

    for id in [&vi_id, &en_id] {
        let s = notifier.status(id).await.unwrap().unwrap();
        assert_eq!(s.state, NotificationState::Sent);
        assert_eq!(s.attempts, 1);
        assert_eq!(s.sent_at, Some(f.clock_now()));
        assert_eq!(s.purpose, "citizen_sign_in");
        assert!(s.provider_id.unwrap().contains(id.as_str()), "the Message-ID is the receipt");
        assert_eq!(s.last_error, None);
    }
    // Sent messages keep no template variables (the code is gone).
    let vars: String =
        sqlx::query_scalar("SELECT vars_json FROM notifications WHERE id = $1").bind(&vi_id).fetch_one(f.t.db.reader()).await.unwrap();
    assert_eq!(vars, "{}");
    assert_eq!(f.smtp.messages().len(), 2);
    f.cleanup().await;
}

impl Fixture {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use cityos_core::Clock;
        self.clock.now()
    }
}

#[tokio::test]
async fn sms_reaches_the_gateway_with_the_bearer_token() {
    let f = Fixture::new().await;
    let id = f.enqueue(&otp_sms("+84901234567").related_object("user:42")).await;
    let notifier = f.notifier();
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    let sms = f.sms.wait_for(|m| m.to == "+84901234567", WAIT).await.expect("SMS");
    assert_eq!(sms.authorization.as_deref(), Some(format!("Bearer {TEST_SMS_TOKEN}").as_str()));
    assert_eq!(sms.sender, "CityOS");
    assert!(sms.text.starts_with("Ma xac thuc CityOS cua ban la 482913."), "{}", sms.text);
    let s = notifier.status(&id).await.unwrap().unwrap();
    assert_eq!(s.state, NotificationState::Sent);
    assert_eq!(s.provider_id.as_deref(), Some(sms.id.as_str()));
    assert_eq!(s.channel, Channel::Sms);
    let about = notifier.for_object("user:42").await.unwrap();
    assert_eq!(about.len(), 1);
    assert_eq!(about[0].id, id);
    f.cleanup().await;
}

#[tokio::test]
async fn transient_failures_are_retried_after_the_backoff() {
    let f = Fixture::new().await;
    f.sms.fail_next(2, 500);
    let id = f.enqueue(&otp_sms("0901234567")).await;
    let notifier = f.notifier();
    let t0 = f.clock_now();

    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    let s = notifier.status(&id).await.unwrap().unwrap();
    assert_eq!((s.state, s.attempts), (NotificationState::Queued, 1));
    assert_eq!(s.next_attempt_at, t0 + Duration::seconds(30));
    assert!(s.last_error.as_deref().unwrap().contains("500"), "{:?}", s.last_error);

    f.clock.advance(Duration::seconds(29));
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 0, "not due before its next attempt");
    assert_eq!(f.sms.requests(), 1);

    f.clock.advance(Duration::seconds(1));
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    let s = notifier.status(&id).await.unwrap().unwrap();
    assert_eq!((s.state, s.attempts), (NotificationState::Queued, 2));
    assert_eq!(s.next_attempt_at, t0 + Duration::seconds(30 + 60));

    f.clock.advance(Duration::seconds(59));
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 0);
    f.clock.advance(Duration::seconds(1));
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);

    let s = notifier.status(&id).await.unwrap().unwrap();
    assert_eq!((s.state, s.attempts), (NotificationState::Sent, 3));
    assert_eq!(s.last_error, None);
    assert_eq!(s.sent_at, Some(t0 + Duration::seconds(90)));
    assert_eq!(f.sms.requests(), 3);
    assert_eq!(f.sms.messages().len(), 1);
    f.cleanup().await;
}

#[tokio::test]
async fn a_permanent_refusal_fails_at_once() {
    let f = Fixture::new().await;
    f.sms.fail_next(1, 400);
    let id = f.enqueue(&otp_sms("0901234567")).await;
    let notifier = f.notifier();
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    let s = notifier.status(&id).await.unwrap().unwrap();
    assert_eq!((s.state, s.attempts), (NotificationState::Failed, 1));
    assert!(s.last_error.as_deref().unwrap().contains("400"), "{:?}", s.last_error);
    f.clock.advance(Duration::hours(2));
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 0);
    assert_eq!(f.sms.requests(), 1);
    f.cleanup().await;
}

#[tokio::test]
async fn attempts_run_out() {
    let f = Fixture::new().await;
    f.sms.fail_next(10, 503);
    let id = f.enqueue(&otp_sms("0901234567")).await;
    let notifier = f.notifier().with_max_attempts(2);
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    f.clock.advance(Duration::seconds(30));
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    let s = notifier.status(&id).await.unwrap().unwrap();
    assert_eq!((s.state, s.attempts), (NotificationState::Failed, 2));
    assert!(s.last_error.as_deref().unwrap().starts_with("gave up after 2 attempts"), "{:?}", s.last_error);
    f.cleanup().await;
}

#[tokio::test]
async fn a_rolled_back_transaction_sends_nothing() {
    let f = Fixture::new().await;
    let mut tx = f.t.db.begin().await.unwrap();
    let id = enqueue(&mut tx, &f.clock, &otp_sms("0901234567")).await.unwrap();
    tx.rollback().await.unwrap();
    let notifier = f.notifier();
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 0);
    assert_eq!(notifier.status(&id).await.unwrap(), None);
    assert_eq!(f.sms.requests(), 0);
    f.cleanup().await;
}

#[tokio::test]
async fn two_notifiers_send_each_message_once() {
    let f = Fixture::new().await;
    let mut tx = f.t.db.begin().await.unwrap();
    for i in 0..30 {
        enqueue(&mut tx, &f.clock, &otp_sms(&format!("09000000{i:02}"))).await.unwrap();
    }
    tx.commit().await.unwrap();
    // A second handle on the same database, as another replica would have.
    let other = Db::connect(f.t.db.url(), 4).await.unwrap();
    let a = f.notifier();
    let b = f.notifier_on(other.clone());
    let (na, nb) = tokio::join!(a.deliver_due(100), b.deliver_due(100));
    let (na, nb) = (na.unwrap(), nb.unwrap());
    assert_eq!(na + nb, 30, "each row handled by exactly one notifier ({na} + {nb})");
    let mut to: Vec<String> = f.sms.messages().into_iter().map(|m| m.to).collect();
    assert_eq!(to.len(), 30);
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 30, "no message sent twice");
    other.close().await;
    f.cleanup().await;
}

#[tokio::test]
async fn a_missing_variable_fails_with_a_clear_error() {
    let f = Fixture::new().await;
    let id = f.enqueue(&NotificationRequest::sms("0901234567", "otp_code").var("code", "482913")).await;
    let unknown = f.enqueue(&NotificationRequest::email("a@example.vn", "no_such_template")).await;
    let notifier = f.notifier();
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 2);
    let s = notifier.status(&id).await.unwrap().unwrap();
    assert_eq!(s.state, NotificationState::Failed);
    assert_eq!(s.last_error.as_deref(), Some("template `otp_code` (vi) needs variable `minutes`, which was not supplied"));
    let s = notifier.status(&unknown).await.unwrap().unwrap();
    assert_eq!(s.state, NotificationState::Failed);
    assert_eq!(s.last_error.as_deref(), Some("unknown notification template `no_such_template`"));
    assert_eq!(f.sms.requests(), 0);
    assert!(f.smtp.messages().is_empty());
    f.cleanup().await;
}

#[tokio::test]
async fn an_unconfigured_channel_fails_visibly() {
    let f = Fixture::new().await;
    let sms = f.enqueue(&otp_sms("0901234567")).await;
    let mail = f.enqueue(&otp_email("a@example.vn", Locale::Vi)).await;
    let zalo = f.enqueue(&NotificationRequest::zalo("8451924017238817", "report_received").var("report_id", "X").var("url", "u")).await;
    let config = NotifyConfig { max_attempts: 8, smtp: SmtpConfig::default(), sms: SmsConfig::default(), ..NotifyConfig::default() };
    let notifier = Notifier::from_config(f.t.db.clone(), f.shared_clock(), &config).unwrap();
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 3);
    let s = notifier.status(&zalo).await.unwrap().unwrap();
    assert!(s.last_error.as_deref().unwrap().starts_with("Zalo OA not configured"), "{:?}", s.last_error);
    let s = notifier.status(&sms).await.unwrap().unwrap();
    assert_eq!(s.state, NotificationState::Failed);
    assert!(s.last_error.as_deref().unwrap().starts_with("SMS gateway not configured"), "{:?}", s.last_error);
    let s = notifier.status(&mail).await.unwrap().unwrap();
    assert!(s.last_error.as_deref().unwrap().starts_with("e-mail (SMTP) not configured"), "{:?}", s.last_error);
    f.cleanup().await;
}

#[tokio::test]
async fn smtp_credentials_and_refusals() {
    let f = Fixture::new().await;
    let server = TestSmtpServer::start_with_auth("cityos", "mật-khẩu").await;
    let config = NotifyConfig { max_attempts: 8, smtp: server.config(), sms: SmsConfig::default(), ..NotifyConfig::default() };
    let notifier = Notifier::from_config(f.t.db.clone(), f.shared_clock(), &config).unwrap();

    let ok = f.enqueue(&otp_email("a@example.vn", Locale::Vi)).await;
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    let mail = server.wait_for(|_| true, WAIT).await.expect("mail");
    assert_eq!(mail.authenticated_as.as_deref(), Some("cityos"));
    assert_eq!(notifier.status(&ok).await.unwrap().unwrap().state, NotificationState::Sent);

    server.reject_next(1, 451);
    let retried = f.enqueue(&otp_email("b@example.vn", Locale::En)).await;
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    let s = notifier.status(&retried).await.unwrap().unwrap();
    assert_eq!((s.state, s.attempts), (NotificationState::Queued, 1), "{:?}", s.last_error);

    server.reject_next(1, 550);
    f.clock.advance(Duration::seconds(30));
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    let s = notifier.status(&retried).await.unwrap().unwrap();
    assert_eq!((s.state, s.attempts), (NotificationState::Failed, 2), "{:?}", s.last_error);
    assert!(s.last_error.as_deref().unwrap().contains("550"), "{:?}", s.last_error);

    // Wrong password: the server's 535 is permanent.
    let mut bad = server.config();
    bad.password = cityos_core::config::Secret::new("wrong");
    let notifier = Notifier::from_config(f.t.db.clone(), f.shared_clock(), &NotifyConfig { smtp: bad, ..config }).unwrap();
    let denied = f.enqueue(&otp_email("c@example.vn", Locale::Vi)).await;
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    assert_eq!(notifier.status(&denied).await.unwrap().unwrap().state, NotificationState::Failed);
    assert_eq!(server.messages().len(), 1);
    f.cleanup().await;
}

#[tokio::test]
async fn an_unreachable_provider_is_transient() {
    let f = Fixture::new().await;
    // Ports of dropped receivers: nothing listens there any more.
    let smtp = { TestSmtpServer::start().await.config() };
    let sms = { TestSmsGateway::start().await.config() };
    tokio::time::sleep(StdDuration::from_millis(50)).await;
    let notifier =
        Notifier::from_config(f.t.db.clone(), f.shared_clock(), &NotifyConfig { max_attempts: 8, smtp, sms, ..NotifyConfig::default() })
            .unwrap();
    let a = f.enqueue(&otp_email("a@example.vn", Locale::Vi)).await;
    let b = f.enqueue(&otp_sms("0901234567")).await;
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 2);
    for id in [a, b] {
        let s = notifier.status(&id).await.unwrap().unwrap();
        assert_eq!((s.state, s.attempts), (NotificationState::Queued, 1), "{:?}", s.last_error);
    }
    f.cleanup().await;
}

#[tokio::test]
async fn rows_left_sending_by_a_dead_worker_are_sent_again() {
    let f = Fixture::new().await;
    let id = f.enqueue(&otp_sms("0901234567")).await;
    // A worker claimed it and died.
    sqlx::query("UPDATE notifications SET status = 'sending', attempts = 1, claimed_at = $1 WHERE id = $2")
        .bind(cityos_core::to_millis(f.clock_now()))
        .bind(&id)
        .execute(f.t.db.writer())
        .await
        .unwrap();
    let notifier = f.notifier();
    f.clock.advance(Duration::minutes(9));
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 0, "still within its lease");
    f.clock.advance(Duration::minutes(2));
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    let s = notifier.status(&id).await.unwrap().unwrap();
    assert_eq!((s.state, s.attempts), (NotificationState::Sent, 2));
    f.cleanup().await;
}

#[tokio::test]
async fn run_delivers_until_shut_down() {
    let f = Fixture::new().await;
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let notifier = f.notifier().with_poll_interval(StdDuration::from_millis(20));
    let worker = tokio::spawn(notifier.run(async move {
        let _ = stopped.wait_for(|s| *s).await;
    }));
    f.enqueue(&otp_sms("0901234567")).await;
    assert!(f.sms.wait_for(|m| m.to == "0901234567", WAIT).await.is_some());
    stop.send(true).unwrap();
    tokio::time::timeout(WAIT, worker).await.expect("run stops when told").unwrap();
    f.cleanup().await;
}

#[tokio::test]
async fn requests_are_validated_before_queueing() {
    let f = Fixture::new().await;
    let notifier = f.notifier();
    for bad in [
        NotificationRequest::sms("not a phone", "otp_code"),
        NotificationRequest::email("no-at-sign", "otp_code"),
        NotificationRequest::email("  ", "otp_code"),
        NotificationRequest::email("a@b.vn", ""),
    ] {
        assert!(matches!(notifier.enqueue(&bad).await, Err(NotifyError::Invalid(_))), "{bad:?}");
    }
    let id = notifier.enqueue(&otp_sms("+84 901234567".replace(' ', "").as_str())).await.unwrap();
    assert_eq!(notifier.status(&id).await.unwrap().unwrap().state, NotificationState::Queued);
    f.cleanup().await;
}

#[tokio::test]
async fn finished_notifications_are_purged_after_retention() {
    let f = Fixture::new().await;
    let sent = f.enqueue(&otp_sms("0901234567")).await;
    let notifier = f.notifier();
    notifier.deliver_due(10).await.unwrap();
    f.clock.advance(Duration::days(1));
    let queued = f.enqueue(&otp_sms("0901234568")).await;
    assert_eq!(notifier.purge_finished(f.clock_now()).await.unwrap(), 1);
    assert_eq!(notifier.status(&sent).await.unwrap(), None);
    assert!(notifier.status(&queued).await.unwrap().is_some());
    f.cleanup().await;
}

/// A transport of a future channel plugs in through the trait.
#[derive(Debug, Default)]
struct Recording(std::sync::Mutex<Vec<Outgoing>>);

#[async_trait::async_trait]
impl Transport for Recording {
    async fn send(&self, msg: &Outgoing) -> Result<Receipt, DeliveryError> {
        self.0.lock().unwrap().push(msg.clone());
        Ok(Receipt { provider_id: Some("r-1".into()) })
    }
}

#[tokio::test]
async fn custom_transports_plug_in() {
    let f = Fixture::new().await;
    let recording = Arc::new(Recording::default());
    let notifier = Notifier::new(f.t.db.clone(), f.shared_clock()).with_transport(Channel::Email, recording.clone());
    let id = f
        .enqueue(
            &NotificationRequest::email("staff@hcmc.gov.vn", "report_status_changed")
                .locale(Locale::En)
                .var("report_id", "PA-1")
                .var("status", "In progress")
                .var("url", "https://cityos.test/r/PA-1"),
        )
        .await;
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    let sent = recording.0.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].id, id);
    assert_eq!(sent[0].subject, "Report PA-1: In progress");
    assert!(sent[0].body.contains("https://cityos.test/r/PA-1"));
    f.cleanup().await;
}

/// Takes a while, and says when a send has begun.
#[derive(Debug, Default)]
struct Slow {
    started: tokio::sync::Notify,
    sent: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl Transport for Slow {
    async fn send(&self, _msg: &Outgoing) -> Result<Receipt, DeliveryError> {
        self.started.notify_one();
        tokio::time::sleep(StdDuration::from_millis(300)).await;
        self.sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(Receipt::default())
    }
}

#[tokio::test]
async fn shutdown_finishes_the_message_in_hand_and_leaves_the_rest_queued() {
    let f = Fixture::new().await;
    let ids = [f.enqueue(&otp_sms("0901234561")).await, f.enqueue(&otp_sms("0901234562")).await, f.enqueue(&otp_sms("0901234563")).await];
    let slow = Arc::new(Slow::default());
    let notifier = Notifier::new(f.t.db.clone(), f.shared_clock()).with_transport(Channel::Sms, slow.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(notifier.run(async move {
        let _ = stopped.await;
    }));
    slow.started.notified().await;
    stop.send(()).unwrap();
    tokio::time::timeout(WAIT, worker).await.expect("run stops when told").unwrap();
    assert_eq!(slow.sent.load(std::sync::atomic::Ordering::SeqCst), 1);
    let notifier = f.notifier();
    let mut states = Vec::new();
    for id in &ids {
        states.push(notifier.status(id).await.unwrap().unwrap().state);
    }
    assert_eq!(states, [NotificationState::Sent, NotificationState::Queued, NotificationState::Queued]);
    f.cleanup().await;
}

fn received(channel: Channel, to: &str) -> NotificationRequest {
    NotificationRequest::new(channel, to, "report_received")
        .var("report_id", "261127-ABCDE")
        .var("url", "http://127.0.0.1:8080/#/track/261127-ABCDE")
        .related_object("report:261127-ABCDE")
}

#[tokio::test]
async fn zalo_and_messenger_replies_reach_their_apis() {
    let f = Fixture::new().await;
    let z = f.enqueue(&received(Channel::Zalo, "8451924017238817")).await;
    let m = f.enqueue(&received(Channel::Messenger, "24830115671234567").locale(Locale::En)).await;
    let notifier = f.notifier();
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 2);

    let zr = f.zalo.wait_for(|_| true, WAIT).await.expect("Zalo OA API call");
    assert_eq!((zr.method.as_str(), zr.path.as_str()), ("POST", "/v3.0/oa/message/cs"));
    assert_eq!(zr.header("access_token"), Some(TEST_ZALO_TOKEN), "the OA token travels in the access_token header");
    assert_eq!(zr.json["recipient"]["user_id"], "8451924017238817");
    let text = zr.json["message"]["text"].as_str().unwrap();
    assert!(text.contains("CityOS đã nhận phản ánh của bạn, mã số 261127-ABCDE"), "chat keeps Vietnamese marks: {text}");
    assert!(!text.contains("vui lòng không trả lời"), "no e-mail signature in a chat: {text}");
    let s = notifier.status(&z).await.unwrap().unwrap();
    assert_eq!((s.state, s.channel, s.provider_id.as_deref()), (NotificationState::Sent, Channel::Zalo, Some("zalo-1")));

    let mr = f.messenger.wait_for(|_| true, WAIT).await.expect("Send API call");
    assert_eq!((mr.method.as_str(), mr.path.as_str()), ("POST", "/me/messages"));
    assert_eq!(mr.query_param("access_token"), Some(TEST_MESSENGER_TOKEN));
    assert_eq!(mr.json["recipient"]["id"], "24830115671234567");
    assert_eq!(mr.json["messaging_type"], "RESPONSE");
    assert!(mr.json["message"]["text"].as_str().unwrap().contains("CityOS has received your report, number 261127-ABCDE"));
    let s = notifier.status(&m).await.unwrap().unwrap();
    assert_eq!((s.state, s.channel, s.provider_id.as_deref()), (NotificationState::Sent, Channel::Messenger, Some("m_1")));
    f.cleanup().await;
}

#[tokio::test]
async fn zalo_errors_inside_a_200_are_failures() {
    let f = Fixture::new().await;
    // An invalid (expired) OA token: retried, since a renewed token fixes it.
    f.zalo.fail_next(1, 200, serde_json::json!({"error": -216, "message": "Access token is invalid"}));
    let retried = f.enqueue(&received(Channel::Zalo, "8451924017238817")).await;
    let notifier = f.notifier();
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    let s = notifier.status(&retried).await.unwrap().unwrap();
    assert_eq!((s.state, s.attempts), (NotificationState::Queued, 1));
    assert!(s.last_error.as_deref().unwrap().contains("-216"), "{:?}", s.last_error);
    f.clock.advance(Duration::seconds(30));
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    assert_eq!(notifier.status(&retried).await.unwrap().unwrap().state, NotificationState::Sent);
    // Anything else Zalo refuses (here: the user has not written within the reply window) is final.
    f.zalo.fail_next(1, 200, serde_json::json!({"error": -230, "message": "User has not interacted with the OA in the past 7 days"}));
    let refused = f.enqueue(&received(Channel::Zalo, "8451924017238818")).await;
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    let s = notifier.status(&refused).await.unwrap().unwrap();
    assert_eq!((s.state, s.attempts), (NotificationState::Failed, 1));
    assert!(s.last_error.as_deref().unwrap().contains("-230"), "{:?}", s.last_error);
    f.cleanup().await;
}

#[tokio::test]
async fn messenger_throttling_is_retried_and_refusals_are_final() {
    let f = Fixture::new().await;
    f.messenger.fail_next(
        1,
        400,
        serde_json::json!({"error": {"message": "Calls to this api have exceeded the rate limit.", "code": 613}}),
    );
    let throttled = f.enqueue(&received(Channel::Messenger, "24830115671234567")).await;
    let notifier = f.notifier();
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    assert_eq!(notifier.status(&throttled).await.unwrap().unwrap().state, NotificationState::Queued);
    f.messenger.fail_next(1, 400, serde_json::json!({"error": {"message": "No matching user found", "code": 100}}));
    let refused = f.enqueue(&received(Channel::Messenger, "24830115671234568")).await;
    f.clock.advance(Duration::seconds(30));
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 2);
    // The refused one was due first (queued at once; the throttled one waits 30 s) and met the refusal.
    let s = notifier.status(&refused).await.unwrap().unwrap();
    assert_eq!((s.state, s.attempts), (NotificationState::Failed, 1));
    assert!(s.last_error.as_deref().unwrap().contains("400"), "{:?}", s.last_error);
    let s = notifier.status(&throttled).await.unwrap().unwrap();
    assert_eq!((s.state, s.attempts), (NotificationState::Sent, 2));
    f.cleanup().await;
}

#[tokio::test]
async fn chat_recipients_are_checked_and_unknown_channels_refused_by_the_table() {
    let f = Fixture::new().await;
    let notifier = f.notifier();
    for bad in [NotificationRequest::zalo("", "report_received"), NotificationRequest::messenger("12 34", "report_received")] {
        assert!(matches!(notifier.enqueue(&bad).await, Err(NotifyError::Invalid(_))), "{bad:?}");
    }
    let fax = sqlx::query(
        "INSERT INTO notifications (id, channel, recipient, template, locale, vars_json, status, next_attempt_at, purpose, created_at) \
         VALUES ('x', 'fax', 'r', 't', 'vi', '{}', 'queued', 0, 'p', 0)",
    )
    .execute(f.t.db.writer())
    .await;
    assert!(fax.is_err(), "the channel column still refuses what no transport sends");
    f.cleanup().await;
}

// ---------------------------------------------------------------- web push

mod web_push {
    use super::*;
    use cityos_core::config::{PushConfig, Secret};
    use cityos_core::Clock as _;
    use cityos_notify::testing::{TestPushService, TestSubscriber};
    use cityos_notify::webpush::{self, Subscription, VapidKey};

    struct Push {
        f: Fixture,
        service: TestPushService,
        key: VapidKey,
    }

    impl Push {
        async fn new() -> Self {
            Self { f: Fixture::new().await, service: TestPushService::start().await, key: VapidKey::generate() }
        }

        fn notifier(&self) -> Notifier {
            let config = PushConfig {
                vapid_private_key: Secret::new(self.key.private_base64url()),
                subject: "mailto:1022@cityos.test".into(),
                allow_insecure_endpoints: true,
            };
            self.f.notifier().with_web_push(&config).unwrap()
        }

        /// Stores a subscription of `browser` at endpoint `name` following `topic`.
        async fn subscribe(&self, browser: &TestSubscriber, name: &str, topic: &str) -> String {
            let sub = Subscription::parse(&self.service.endpoint(name), &browser.p256dh(), &browser.auth(), true).unwrap();
            let mut tx = self.f.t.db.begin().await.unwrap();
            let id = webpush::subscribe(&mut tx, &self.f.clock, &sub, topic).await.unwrap();
            tx.commit().await.unwrap();
            id
        }

        async fn subscriptions(&self) -> i64 {
            sqlx::query_scalar("SELECT COUNT(*) FROM push_subscriptions").fetch_one(self.f.t.db.reader()).await.unwrap()
        }
    }

    fn status_push(subscription: &str) -> NotificationRequest {
        NotificationRequest::web_push(subscription, "report_status_changed")
            .var("report_id", "PA-7")
            .var("status", "Đang xử lý")
            .var("url", "https://1022.example.vn/#/track/PA-7")
    }

    #[tokio::test]
    async fn a_push_is_vapid_signed_and_decrypts_in_the_browser() {
        let p = Push::new().await;
        let browser = TestSubscriber::new();
        let sub = p.subscribe(&browser, "a", "report:PA-7").await;
        assert_eq!(p.subscribe(&browser, "a", "report:PA-8").await, sub, "one browser, one subscription, several topics");
        let mut tx = p.f.t.db.begin().await.unwrap();
        assert_eq!(webpush::subscribers(&mut tx, &["report:PA-7".into(), "report:PA-8".into()]).await.unwrap(), vec![sub.clone()]);
        tx.rollback().await.unwrap();

        let id = p.f.enqueue(&status_push(&sub)).await;
        let notifier = p.notifier();
        assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
        let got = p.service.wait_for(|m| m.path == "/push/a", WAIT).await.expect("push");
        assert_eq!(got.header("content-encoding"), Some("aes128gcm"));
        assert_eq!(got.header("ttl"), Some("604800"));
        assert_eq!(got.header("urgency"), Some("normal"));
        assert_eq!(got.header("topic"), Some("PA-7"));
        let claims = got.vapid_claims(&p.key.public_key()).unwrap();
        assert_eq!(claims["aud"], p.service.endpoint("").trim_end_matches("/push/"));
        assert_eq!(claims["sub"], "mailto:1022@cityos.test");
        let exp = claims["exp"].as_i64().unwrap();
        let now = p.f.clock.now().timestamp();
        assert!(exp > now && exp <= now + 24 * 3600, "exp within 24 hours");
        assert!(got.vapid_claims(&VapidKey::generate().public_key()).is_err(), "another key does not verify");

        let payload: serde_json::Value = serde_json::from_slice(&browser.decrypt(&got.body).unwrap()).unwrap();
        assert_eq!(payload["title"], "Phản ánh PA-7: Đang xử lý");
        assert_eq!(payload["url"], "https://1022.example.vn/#/track/PA-7");
        assert!(TestSubscriber::new().decrypt(&got.body).is_err(), "only the subscriber can read it");

        let s = notifier.status(&id).await.unwrap().unwrap();
        assert_eq!((s.channel, s.state), (Channel::WebPush, NotificationState::Sent));
        assert_eq!(s.provider_id.as_deref(), Some("/message/1"));
        p.f.cleanup().await;
    }

    #[tokio::test]
    async fn gone_deletes_the_subscription_and_busy_is_retried() {
        let p = Push::new().await;
        let browser = TestSubscriber::new();
        let sub = p.subscribe(&browser, "busy", "report:PA-7").await;
        let notifier = p.notifier();

        p.service.fail_next(1, 429);
        let busy = p.f.enqueue(&status_push(&sub)).await;
        assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
        let s = notifier.status(&busy).await.unwrap().unwrap();
        assert_eq!((s.state, s.attempts), (NotificationState::Queued, 1), "{:?}", s.last_error);
        p.service.fail_next(1, 503);
        p.f.clock.advance(Duration::seconds(30));
        assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
        assert_eq!(notifier.status(&busy).await.unwrap().unwrap().state, NotificationState::Queued);
        p.f.clock.advance(Duration::seconds(60));
        assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
        assert_eq!(notifier.status(&busy).await.unwrap().unwrap().state, NotificationState::Sent);

        p.service.fail_next(1, 410);
        let gone = p.f.enqueue(&status_push(&sub)).await;
        let after = p.f.enqueue(&status_push(&sub)).await;
        assert_eq!(notifier.deliver_due(10).await.unwrap(), 2);
        let s = notifier.status(&gone).await.unwrap().unwrap();
        assert_eq!(s.state, NotificationState::Failed);
        assert!(s.last_error.as_deref().unwrap().contains("410"), "{:?}", s.last_error);
        assert_eq!(p.subscriptions().await, 0, "an expired subscription is deleted");
        let s = notifier.status(&after).await.unwrap().unwrap();
        assert_eq!(s.state, NotificationState::Failed);
        assert!(s.last_error.as_deref().unwrap().contains("no longer exists"), "{:?}", s.last_error);
        assert_eq!(p.service.pushes().len(), 4, "429, 503, 201, 410; nothing after the subscription is gone");
        p.f.cleanup().await;
    }

    #[tokio::test]
    async fn without_a_key_web_push_fails_visibly_and_bad_recipients_are_refused() {
        let p = Push::new().await;
        let notifier = p.f.notifier().with_web_push(&PushConfig::default()).unwrap();
        let id = p.f.enqueue(&status_push("0193aaaa-0000-7000-8000-000000000000")).await;
        assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
        let s = notifier.status(&id).await.unwrap().unwrap();
        assert!(s.last_error.as_deref().unwrap().contains("[push] vapid_private_key"), "{:?}", s.last_error);
        assert!(matches!(notifier.enqueue(&status_push("https://evil/")).await, Err(NotifyError::Invalid(_))));
        let bad = PushConfig { vapid_private_key: Secret::new("short"), ..PushConfig::default() };
        assert!(matches!(p.f.notifier().with_web_push(&bad), Err(NotifyError::Config(_))));
        p.f.cleanup().await;
    }
}

#[tokio::test]
async fn zalo_tokens_renew_themselves_and_survive_a_restart() {
    let f = Fixture::new().await;
    // Zalo's OAuth endpoint: the n-th renewal hands out access token `renewed-n` and refresh token `refresh-(n+1)`.
    let oauth = TestHttpReceiver::start(|n| {
        serde_json::json!({"access_token": format!("renewed-{n}"), "refresh_token": format!("refresh-{}", n + 1), "expires_in": "90000"})
    })
    .await;
    let mut config = f.config();
    config.zalo.access_token = cityos_core::config::Secret::new("expired-token");
    config.zalo.app_id = "4321".into();
    config.zalo.app_secret = cityos_core::config::Secret::new("zalo-app-secret");
    config.zalo.refresh_token = cityos_core::config::Secret::new("refresh-1");
    config.zalo.oauth_url = oauth.url("/v4/oa/access_token");
    let notifier = Notifier::from_config(f.t.db.clone(), f.shared_clock(), &config).unwrap();

    // The configured token has expired: Zalo says -216, CityOS renews and sends again at once.
    f.zalo.fail_next(1, 200, serde_json::json!({"error": -216, "message": "Access token is invalid"}));
    let first = f.enqueue(&received(Channel::Zalo, "8451924017238817")).await;
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    assert_eq!(notifier.status(&first).await.unwrap().unwrap().state, NotificationState::Sent);
    let renewal = &oauth.requests()[0];
    assert_eq!(renewal.header("secret_key"), Some("zalo-app-secret"));
    assert!(renewal.body.contains("refresh_token=refresh-1") && renewal.body.contains("app_id=4321"), "{}", renewal.body);
    assert!(renewal.body.contains("grant_type=refresh_token"), "{}", renewal.body);
    let sent = f.zalo.requests();
    assert_eq!(sent.last().unwrap().header("access_token"), Some("renewed-1"));

    // Shortly before the 25 hours are up, the next message renews first, with the newest refresh token.
    f.clock.advance(Duration::hours(25));
    let second = f.enqueue(&received(Channel::Zalo, "8451924017238817")).await;
    assert_eq!(notifier.deliver_due(10).await.unwrap(), 1);
    assert_eq!(notifier.status(&second).await.unwrap().unwrap().state, NotificationState::Sent);
    assert!(oauth.requests()[1].body.contains("refresh_token=refresh-2"), "refresh tokens are single-use");
    assert_eq!(f.zalo.requests().last().unwrap().header("access_token"), Some("renewed-2"));

    // A restarted process uses the stored pair, not the stale one in the configuration.
    let restarted = Notifier::from_config(f.t.db.clone(), f.shared_clock(), &config).unwrap();
    let third = f.enqueue(&received(Channel::Zalo, "8451924017238817")).await;
    assert_eq!(restarted.deliver_due(10).await.unwrap(), 1);
    assert_eq!(restarted.status(&third).await.unwrap().unwrap().state, NotificationState::Sent);
    assert_eq!(f.zalo.requests().last().unwrap().header("access_token"), Some("renewed-2"));
    assert_eq!(oauth.requests().len(), 2, "no renewal while the stored token is fresh");

    // A refresh token without the app's id and secret is a configuration error, named.
    config.zalo.app_secret = cityos_core::config::Secret::default();
    let err = Notifier::from_config(f.t.db.clone(), f.shared_clock(), &config).unwrap_err();
    assert!(err.to_string().contains("notify.zalo.app_secret"), "{err}");
    f.cleanup().await;
}
