//! Reports by e-mail, end to end, against a real IMAP server: each test
//! starts Debian's Dovecot in a directory of its own (its own configuration,
//! a passwd-file user, a maildir; `doveadm save` delivers, `doveadm flags`
//! marks), points `[mail_inbox]` at it and `[notify.smtp]` at a local SMTP
//! sink. A Vietnamese e-mail becomes a report routed to its ward and answered
//! by e-mail in the citizen's thread; the same message read twice makes one
//! report; a reply carrying the tracking code joins its report; broken and
//! automatic mail is recorded, not filed, and never stops the poller; TLS and
//! STARTTLS are checked against a self-signed certificate.

use crate::harness::TestApp;
use cityos_core::config::{MailInboxConfig, Secret};
use cityos_feedback::mail_inbox::{MailInbox, MailInboxError};
use cityos_notify::testing::{ReceivedMail, TestSmtpServer};
use serde_json::{json, Value};
use sqlx::Row as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const USER: &str = "phananh1022";
const PASSWORD: &str = "mat-khau-hop-thu-1022";
const WAIT: Duration = Duration::from_secs(20);
/// Phường Bến Thành (GSO 26743) and its People's Committee.
const BEN_THANH: &str = "26743";
const BEN_THANH_UNIT: &str = "UBND-P-BENTHANH";
const CITIZEN: &str = "mai.nguyen@example.vn";

static INSTANCE: AtomicUsize = AtomicUsize::new(0);

fn output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn find_binary(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"].iter().map(|d| Path::new(d).join(name)).find(|p| p.exists())
}

/// A Dovecot IMAP server on 127.0.0.1 with one user, stopped and removed on drop.
struct Dovecot {
    dir: PathBuf,
    conf: PathBuf,
    doveadm: PathBuf,
    port: u16,
    /// The implicit-TLS port, when started with TLS.
    tls_port: Option<u16>,
    child: std::process::Child,
}

impl Dovecot {
    /// Starts Dovecot; `None` (after a loud message) only when it is not installed.
    fn start() -> Option<Self> {
        Self::start_with(None)
    }

    /// Dovecot with TLS when `ssl` holds its settings (STARTTLS on the IMAP port, and an IMAPS port).
    fn start_with(ssl: Option<&str>) -> Option<Self> {
        let (Some(dovecot), Some(doveadm)) = (find_binary("dovecot"), find_binary("doveadm")) else {
            eprintln!(
                "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                 !!! SKIPPED: Dovecot is not installed, so the e-mail channel is NOT tested. \n\
                 !!! Install it with scripts/ensure-system-deps.sh (Debian: dovecot-imapd).\n\
                 !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
            );
            return None;
        };
        let n = INSTANCE.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("cityos-dovecot-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("mail")).unwrap();
        let root = output("id", &["-u"]).as_deref() == Some("0");
        // Dovecot refuses to serve mail as root and runs its login processes unprivileged: as root
        // (CI) it uses the users its package creates and `nobody` for the mail; otherwise, the caller.
        let (login_user, internal_user, internal_group, uid, gid) = if root {
            let (uid, gid) = (output("id", &["-u", "nobody"]).unwrap(), output("id", &["-g", "nobody"]).unwrap());
            ("dovenull".to_string(), "dovecot".to_string(), "dovecot".to_string(), uid, gid)
        } else {
            let (user, group) = (output("id", &["-un"]).unwrap(), output("id", &["-gn"]).unwrap());
            (user.clone(), user, group, output("id", &["-u"]).unwrap(), output("id", &["-g"]).unwrap())
        };
        if root {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
            std::os::unix::fs::chown(dir.join("mail"), uid.parse().ok(), gid.parse().ok()).unwrap();
        }
        let free_port = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let port = free_port();
        let tls_port = ssl.map(|_| free_port());
        let ssl = ssl.unwrap_or("ssl = no");
        let d = dir.display();
        std::fs::write(dir.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}::::::\n")).unwrap();
        let conf = dir.join("dovecot.conf");
        std::fs::write(
            &conf,
            format!(
                "instance_name = cityos-test-{pid}-{n}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
mail_location = maildir:{d}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
  }}
}}
service anvil {{
  chroot =
}}
",
                pid = std::process::id(),
                imaps = tls_port.unwrap_or(0),
            ),
        )
        .unwrap();
        let child = Command::new(&dovecot).arg("-F").arg("-c").arg(&conf).spawn().expect("start dovecot");
        let server = Self { dir, conf, doveadm, port, tls_port, child };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "Dovecot did not start:\n{}", server.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }

    /// `[mail_inbox]` for this server, polled every second.
    fn config(&self) -> MailInboxConfig {
        MailInboxConfig {
            host: "127.0.0.1".into(),
            port: self.port,
            security: "none".into(),
            username: USER.into(),
            password: Secret::new(PASSWORD),
            mailbox: "INBOX".into(),
            poll_seconds: 1,
        }
    }

    fn doveadm(&self, args: &[&str], input: Option<&[u8]>) -> String {
        use std::io::Write as _;
        let mut cmd = Command::new(&self.doveadm);
        cmd.arg("-c").arg(&self.conf).args(args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        cmd.stdin(if input.is_some() { std::process::Stdio::piped() } else { std::process::Stdio::null() });
        let mut child = cmd.spawn().expect("doveadm");
        if let Some(bytes) = input {
            child.stdin.take().unwrap().write_all(bytes).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "doveadm {args:?}: {}\n{}", String::from_utf8_lossy(&out.stderr), self.log());
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Delivers a raw message into the user's INBOX.
    fn deliver(&self, raw: &[u8]) {
        self.doveadm(&["save", "-u", USER, "-m", "INBOX"], Some(raw));
    }

    /// UIDs of the INBOX with whether each is `\Seen`.
    fn flags(&self) -> Vec<(u32, bool)> {
        let out = self.doveadm(&["fetch", "-u", USER, "uid flags", "mailbox", "INBOX", "all"], None);
        let mut found = Vec::new();
        let mut uid = None;
        for line in out.lines() {
            if let Some(u) = line.strip_prefix("uid: ") {
                uid = u.trim().parse().ok();
            } else if let (Some(f), Some(u)) = (line.strip_prefix("flags:"), uid.take()) {
                found.push((u, f.contains("\\Seen")));
            }
        }
        found
    }

    fn mark_unseen(&self, uid: u32) {
        self.doveadm(&["flags", "remove", "-u", USER, "\\Seen", "mailbox", "INBOX", "uid", &uid.to_string()], None);
    }

    /// Waits until every message in the INBOX is `\Seen` (the poller read them all).
    async fn wait_all_seen(&self, count: usize) {
        let deadline = Instant::now() + WAIT;
        loop {
            let flags = self.flags();
            if flags.len() == count && flags.iter().all(|(_, seen)| *seen) {
                return;
            }
            assert!(Instant::now() < deadline, "messages not all read: {flags:?}\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new(&self.doveadm).arg("-c").arg(&self.conf).arg("stop").output();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct MailApp {
    t: TestApp,
    smtp: TestSmtpServer,
    imap: Dovecot,
}

/// CityOS polling a fresh Dovecot every second and sending mail to a local sink; `None` without Dovecot.
async fn app() -> Option<MailApp> {
    app_polling(true).await
}

/// [`app`], with the mailbox polled by its worker or (`false`) only when the test polls.
async fn app_polling(worker: bool) -> Option<MailApp> {
    let imap = Dovecot::start()?;
    let smtp = TestSmtpServer::start().await;
    let (mail_cfg, smtp_cfg) = (imap.config(), smtp.config());
    let t = TestApp::spawn_with(move |cfg| {
        if worker {
            cfg.mail_inbox = mail_cfg;
        }
        cfg.notify.smtp = smtp_cfg;
    })
    .await;
    cityos::demo::seed_feedback(t.db(), &t.app.identity, t.app.calendar.clone(), 0).await.unwrap();
    Some(MailApp { t, smtp, imap })
}

/// A Vietnamese e-mail as mail clients send it: RFC 2047 name and subject,
/// quoted-printable UTF-8 text, an HTML alternative and a signature.
fn pothole_mail(message_id: &str) -> Vec<u8> {
    format!(
        "From: =?UTF-8?B?Tmd1eeG7hW4gVGjhu4sgTWFp?= <Mai.Nguyen@Example.VN>\r\n\
         To: 1022@tphcm.gov.vn\r\n\
         Subject: =?UTF-8?Q?=E1=BB=94_g=C3=A0_l=E1=BB=9Bn_tr=C3=AAn_=C4=91=C6=B0=E1=BB=9Dng_L=C3=AA_Th=C3=A1nh_T=C3=B4n?=\r\n\
         Date: Thu, 26 Nov 2026 08:15:00 +0700\r\n\
         Message-ID: {message_id}\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"ranh-gioi\"\r\n\
         \r\n\
         --ranh-gioi\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\
         \r\n\
         Tr=C6=B0=E1=BB=9Bc s=E1=BB=91 12, ph=C6=B0=E1=BB=9Dng B=E1=BA=BFn Th=C3=A0nh c=C3=B3 =E1=BB=95 g=C3=A0 s=C3=A2u,=20=\r\n\
          xe m=C3=A1y d=E1=BB=85 t=C3=A9 ng=C3=A3.\r\n\
         \r\n\
         -- \r\n\
         Nguy=E1=BB=85n Th=E1=BB=8B Mai\r\n\
         0901 234 567\r\n\
         --ranh-gioi\r\n\
         Content-Type: text/html; charset=UTF-8\r\n\
         \r\n\
         <p>HTML version</p>\r\n\
         --ranh-gioi--\r\n"
    )
    .into_bytes()
}

const POTHOLE_TEXT: &str = "Trước số 12, phường Bến Thành có ổ gà sâu, xe máy dễ té ngã.";

/// The stored report for a message id, waiting for the poller and the inbox to file it.
async fn report_for(t: &TestApp, message_id: &str) -> (String, String) {
    let deadline = Instant::now() + WAIT;
    loop {
        let row = sqlx::query("SELECT id, tracking_code FROM reports WHERE channel = 'email' AND external_id = $1")
            .bind(message_id)
            .fetch_optional(t.db().reader())
            .await
            .unwrap();
        if let Some(row) = row {
            return (row.try_get("id").unwrap(), row.try_get("tracking_code").unwrap());
        }
        assert!(Instant::now() < deadline, "no e-mail report for {message_id}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn count(t: &TestApp, sql: &'static str) -> i64 {
    sqlx::query(sql).fetch_one(t.db().reader()).await.unwrap().try_get("n").unwrap()
}

/// Waits for every stored e-mail to be handled by the inbox.
async fn inbox_settled(t: &TestApp, rows: i64) {
    let deadline = Instant::now() + WAIT;
    loop {
        let done = count(t, "SELECT COUNT(*) AS n FROM webhook_inbox WHERE channel = 'email' AND processed_at IS NOT NULL").await;
        if done == rows {
            return;
        }
        assert!(Instant::now() < deadline, "{done} of {rows} e-mails handled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn to(mail: &ReceivedMail, address: &str) -> bool {
    mail.to.iter().any(|a| a == address)
}

#[tokio::test]
async fn a_vietnamese_email_becomes_a_routed_report_answered_in_its_thread() {
    let Some(c) = app().await else { return };
    let t = &c.t;
    let message_id = "<CAK8Jx=pothole-1@mail.example.vn>";
    c.imap.deliver(&pothole_mail(message_id));

    let (id, code) = report_for(t, message_id).await;
    let op = t.login("operator").await;
    let r: Value = t.get(&format!("/api/feedback/reports/{code}"), Some(&op)).await.json().await.unwrap();
    assert_eq!(r["channel"], "email", "{r}");
    assert_eq!(r["jurisdiction_code"], BEN_THANH, "routed by the ward its words name: {r}");
    assert_eq!(r["agency_code"], BEN_THANH_UNIT, "{r}");
    assert_eq!(r["status"], "forwarded", "{r}");
    assert_eq!(r["description"], format!("Ổ gà lớn trên đường Lê Thánh Tôn\n\n{POTHOLE_TEXT}"), "subject and text, signature removed: {r}");
    assert_eq!(r["reporter"]["email"], CITIZEN, "{r}");
    assert_eq!(r["reporter"]["name"], "Nguyễn Thị Mai", "{r}");
    c.imap.wait_all_seen(1).await;

    // The acknowledgement with the tracking code answers the citizen's e-mail, in its thread.
    let ack = c.smtp.wait_for(|m| to(m, CITIZEN) && m.subject().is_some_and(|s| s.contains(&code)), WAIT).await.expect("acknowledgement");
    assert_eq!(ack.subject().unwrap(), format!("CityOS đã nhận phản ánh {code}"));
    assert!(ack.text().contains(&format!("/#/track/{code}")), "{}", ack.text());
    assert_eq!(ack.header("In-Reply-To").as_deref(), Some(message_id));
    assert_eq!(ack.header("References").as_deref(), Some(message_id));
    assert_eq!(ack.header("Auto-Submitted").as_deref(), Some("auto-replied"), "auto-responders must not answer it");

    // Later news about the report goes to the same address, in the same thread.
    let moved = t.post(&format!("/api/feedback/reports/{id}/transition"), Some(&op), &json!({"status": "acknowledged"})).await;
    assert_eq!(moved.status(), 200);
    let update = c
        .smtp
        .wait_for(|m| to(m, CITIZEN) && m.subject().is_some_and(|s| s.contains(&code) && s.contains("Đơn vị đã nhận")), WAIT)
        .await
        .expect("status update by e-mail");
    assert_eq!(update.header("In-Reply-To").as_deref(), Some(message_id));
    // The public view never shows the reporter's address.
    let public = t.get(&format!("/api/feedback/public/reports/{code}"), None).await.text().await.unwrap();
    assert!(!public.contains(CITIZEN) && !public.contains("mai.nguyen"), "{public}");
    c.t.cleanup().await;
}

#[tokio::test]
async fn the_same_message_read_twice_makes_one_report() {
    let Some(c) = app_polling(false).await else { return };
    let t = &c.t;
    let inbox = MailInbox::new(t.app.feedback.clone(), &c.imap.config()).unwrap();
    let inbox = &inbox;
    let polled = |fetched: usize, stored: usize| async move {
        let r = inbox.poll().await.unwrap();
        assert_eq!((r.fetched, r.stored), (fetched, stored));
    };
    assert_eq!(inbox.poll().await.unwrap().fetched, 0, "an empty mailbox");
    let message_id = "<twice-1@mail.example.vn>";
    let raw = pothole_mail(message_id);
    c.imap.deliver(&raw);
    polled(1, 1).await;
    let (_, code) = report_for(t, message_id).await;
    assert_eq!(c.imap.flags(), [(1, true)], "read once stored");
    polled(0, 0).await;

    // Someone marks it unread again, and the provider delivers it a second time (a new UID).
    c.imap.mark_unseen(1);
    c.imap.deliver(&raw);
    polled(2, 0).await;
    assert_eq!(c.imap.flags(), [(1, true), (2, true)]);
    // A poller that lost its read position (a new replica, a restored database) reads everything again.
    sqlx::query("DELETE FROM mail_inbox_state").execute(t.db().writer()).await.unwrap();
    polled(2, 0).await;
    polled(0, 0).await;

    inbox_settled(t, 1).await;
    assert_eq!(count(t, "SELECT COUNT(*) AS n FROM reports WHERE channel = 'email'").await, 1);
    assert_eq!(count(t, "SELECT COUNT(*) AS n FROM webhook_inbox WHERE channel = 'email'").await, 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let acks = c.smtp.messages().into_iter().filter(|m| to(m, CITIZEN) && m.subject().is_some_and(|s| s.contains(&code))).count();
    assert_eq!(acks, 1, "one acknowledgement");
    c.t.cleanup().await;
}

#[tokio::test]
async fn a_reply_carrying_the_tracking_code_joins_its_report() {
    let Some(c) = app().await else { return };
    let t = &c.t;
    let first = "<first-2@mail.example.vn>";
    c.imap.deliver(&pothole_mail(first));
    let (id, code) = report_for(t, first).await;
    c.smtp.wait_for(|m| to(m, CITIZEN) && m.subject().is_some_and(|s| s.contains(&code)), WAIT).await.expect("acknowledgement");

    // The citizen answers the acknowledgement (Gmail style, in Vietnamese, with the quote below).
    let reply_id = "<reply-2@mail.example.vn>";
    let reply = format!(
        "From: Mai <mai.nguyen@example.vn>\r\nTo: 1022@tphcm.gov.vn\r\n\
         Subject: =?UTF-8?Q?Re:_CityOS_=C4=91=C3=A3_nh=E1=BA=ADn_ph=E1=BA=A3n_=C3=A1nh_{code}?=\r\n\
         Message-ID: {reply_id}\r\nIn-Reply-To: <ack@cityos.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Hố đã sâu hơn sau cơn mưa tối qua.\r\n\r\n\
         Vào Th 5, 26 thg 11, 2026 lúc 08:20 CityOS <no-reply@cityos.test> đã viết:\r\n\
         > CityOS đã nhận phản ánh của bạn, mã số {code}.\r\n"
    );
    c.imap.deliver(reply.as_bytes());
    inbox_settled(t, 2).await;
    assert_eq!(count(t, "SELECT COUNT(*) AS n FROM reports").await, 1, "no second report");

    let op = t.login("operator").await;
    let r: Value = t.get(&format!("/api/feedback/reports/{id}"), Some(&op)).await.json().await.unwrap();
    let message = r["updates"].as_array().unwrap().iter().find(|u| u["kind"] == "citizen_message").expect("citizen message in history");
    assert_eq!(message["text"], "Hố đã sâu hơn sau cơn mưa tối qua.", "the quote is not kept");
    assert_eq!(message["public"], false);
    // The citizen is told it arrived, in the reply's thread.
    let ack = c
        .smtp
        .wait_for(|m| to(m, CITIZEN) && m.subject().is_some_and(|s| s.contains("thêm thông tin") && s.contains(&code)), WAIT)
        .await
        .expect("message acknowledged");
    assert_eq!(ack.header("In-Reply-To").as_deref(), Some(reply_id));
    // What the citizen wrote stays inside: the public history does not show it.
    let public = t.get(&format!("/api/feedback/public/reports/{code}"), None).await.text().await.unwrap();
    assert!(!public.contains("cơn mưa"), "{public}");

    // Tracking codes are public: someone else naming it files a report of their own.
    let stranger = format!(
        "From: khac@example.vn\r\nSubject: {code} cũng ở gần nhà tôi\r\nMessage-ID: <other-2@example.vn>\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\r\nCây xanh ngã trên đường Nguyễn Huệ.\r\n"
    );
    c.imap.deliver(stranger.as_bytes());
    inbox_settled(t, 3).await;
    assert_eq!(count(t, "SELECT COUNT(*) AS n FROM reports").await, 2);
    let r: Value = t.get(&format!("/api/feedback/reports/{id}"), Some(&op)).await.json().await.unwrap();
    assert_eq!(r["updates"].as_array().unwrap().iter().filter(|u| u["kind"] == "citizen_message").count(), 1, "{r}");
    c.t.cleanup().await;
}

#[tokio::test]
async fn broken_and_automatic_mail_is_recorded_not_filed_and_the_poller_goes_on() {
    let Some(c) = app().await else { return };
    let t = &c.t;
    c.imap.deliver(b"\r\n");
    c.imap.deliver(b"this is not a mail at all \xff\xfe\x00 no headers\r\n");
    c.imap.deliver(b"Subject: no sender\r\nMessage-ID: <nosender@x.vn>\r\n\r\nCay do tren duong Le Loi, phuong Ben Thanh\r\n");
    c.imap.deliver(
        b"From: away@example.vn\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <ooo@example.vn>\r\n\r\nI am away, phuong Ben Thanh.\r\n",
    );
    c.imap.deliver(b"From: short@example.vn\r\nMessage-ID: <short@example.vn>\r\n\r\nhi\r\n");
    let good = "<good-4@mail.example.vn>";
    c.imap.deliver(&pothole_mail(good));
    report_for(t, good).await;
    c.imap.wait_all_seen(6).await;
    inbox_settled(t, 6).await;
    assert_eq!(count(t, "SELECT COUNT(*) AS n FROM reports").await, 1, "only the real message is a report");
    assert_eq!(
        count(t, "SELECT COUNT(*) AS n FROM webhook_inbox WHERE channel = 'email' AND error IS NOT NULL").await,
        5,
        "the others say why"
    );
    let ooo: String = sqlx::query("SELECT error FROM webhook_inbox WHERE external_id = '<ooo@example.vn>'")
        .fetch_one(t.db().reader())
        .await
        .unwrap()
        .try_get("error")
        .unwrap();
    assert!(ooo.contains("automatic"), "{ooo}");
    // Operators see them in the inbox triage list.
    let op = t.login("operator").await;
    let failed: Value = t.get("/api/feedback/inbox?state=failed", Some(&op)).await.json().await.unwrap();
    assert!(failed.to_string().contains("away@example.vn"), "{failed}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!c.smtp.messages().iter().any(|m| to(m, "away@example.vn") || to(m, "short@example.vn")), "nothing answered");
    c.t.cleanup().await;
}

/// A test certificate authority and a server certificate for 127.0.0.1 it
/// signed (PEM files `cert.pem` and `key.pem` in `dir`); returns the
/// authority's certificate (DER), which the poller is told to trust.
fn certificates(dir: &Path) -> Option<Vec<u8>> {
    let run = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(dir).output().ok()?;
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        Some(())
    };
    std::fs::write(dir.join("leaf.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n").unwrap();
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=CityOS test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ])?;
    run(&["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "key.pem", "-out", "leaf.csr"])?;
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "leaf.ext",
        "-out",
        "cert.pem",
    ])?;
    run(&["x509", "-outform", "der", "-in", "ca.pem", "-out", "ca.der"])?;
    std::fs::read(dir.join("ca.der")).ok()
}

#[tokio::test]
async fn tls_and_starttls_check_the_server_certificate() {
    let certs = std::env::temp_dir().join(format!("cityos-imap-tls-{}", std::process::id()));
    std::fs::create_dir_all(&certs).unwrap();
    let Some(der) = certificates(&certs) else {
        eprintln!("!!! SKIPPED: openssl is not installed, so IMAP over TLS is NOT tested");
        return;
    };
    let roots = [der];
    let ssl = format!("ssl = required\nssl_cert = <{0}/cert.pem\nssl_key = <{0}/key.pem", certs.display());
    let Some(imap) = Dovecot::start_with(Some(&ssl)) else { return };
    let t = TestApp::spawn().await;
    cityos::demo::seed_feedback(t.db(), &t.app.identity, t.app.calendar.clone(), 0).await.unwrap();
    imap.deliver(&pothole_mail("<tls-5@mail.example.vn>"));

    // STARTTLS on the IMAP port, trusting the server's certificate.
    let starttls = MailInboxConfig { security: "starttls".into(), ..imap.config() };
    let polled = MailInbox::with_roots(t.app.feedback.clone(), &starttls, &roots).unwrap().poll().await.unwrap();
    assert_eq!((polled.fetched, polled.stored), (1, 1));
    report_for(&t, "<tls-5@mail.example.vn>").await;

    // Without trusting it, the connection is refused, and nothing is sent in clear.
    let err = MailInbox::new(t.app.feedback.clone(), &starttls).unwrap().poll().await.unwrap_err();
    assert!(matches!(err, MailInboxError::Io(_)), "{err}");
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
    // Implicit TLS (IMAPS): the message is there, already read.
    let tls = MailInboxConfig { security: "tls".into(), port: imap.tls_port.unwrap(), ..imap.config() };
    imap.deliver(&pothole_mail("<tls-6@mail.example.vn>"));
    let polled = MailInbox::with_roots(t.app.feedback.clone(), &tls, &roots).unwrap().poll().await.unwrap();
    assert_eq!((polled.fetched, polled.stored), (1, 1));
    report_for(&t, "<tls-6@mail.example.vn>").await;
    // Implicit TLS to the port that starts in plain text fails cleanly.
    let mixed = MailInboxConfig { security: "tls".into(), ..imap.config() };
    assert!(MailInbox::with_roots(t.app.feedback.clone(), &mixed, &roots).unwrap().poll().await.is_err());
    // A bad setting is named.
    let bad = MailInboxConfig { security: "ssl".into(), ..imap.config() };
    assert!(MailInbox::new(t.app.feedback.clone(), &bad).unwrap_err().to_string().contains("mail_inbox.security"));
    drop(imap);
    let _ = std::fs::remove_dir_all(&certs);
    t.cleanup().await;
}
