//! The catalogue of notification texts, in Vietnamese (the default) and
//! English, with `{name}` substitution.
//!
//! Every template has an e-mail subject, an e-mail body (plain text) and an
//! SMS text for each [`Locale`]. Variables are inserted verbatim: callers pass
//! values already formatted for the reader (times in Asia/Ho_Chi_Minh, status
//! labels in the notification's locale). A placeholder whose variable is
//! missing is an error ([`TemplateError::MissingVariable`]), never an empty
//! gap in a message sent to a citizen.
//!
//! ## SMS length and encoding
//! An SMS of up to 160 characters fits one segment only when every character
//! is in the GSM 03.38 alphabet (GSM-7). Vietnamese with its marks is not, so
//! such a text is sent as UCS-2, where one segment holds 70 characters (67 per
//! part of a multi-part message): the OTP text with marks would cost two
//! segments. The Vietnamese SMS texts are therefore written without marks
//! ("khong dau"), as Vietnamese banks and brandname senders do, and a test
//! checks that every SMS text, filled with typical values, is GSM-7 and fits
//! one segment. E-mail carries the full Vietnamese text. A variable value with
//! marks (a status label, say) still turns that one SMS into UCS-2; the
//! gateway handles it, it just costs more segments ([`sms_segments`]).

use crate::Channel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The language a notification is written in. Vietnamese is the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// Vietnamese (`vi`), the default.
    #[default]
    Vi,
    /// English (`en`).
    En,
}

impl Locale {
    /// The stored name: `vi` or `en`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vi => "vi",
            Self::En => "en",
        }
    }

    /// Parses a language tag (`vi`, `vi-VN`, `en`, `en-GB`, any case);
    /// `None` for languages the catalogue does not have.
    #[must_use]
    pub fn parse(tag: &str) -> Option<Self> {
        let lang = tag.split(['-', '_']).next().unwrap_or(tag).to_ascii_lowercase();
        match lang.as_str() {
            "vi" => Some(Self::Vi),
            "en" => Some(Self::En),
            _ => None,
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The texts of one template in one language.
#[derive(Debug, Clone, Copy)]
pub struct TemplateText {
    /// E-mail subject line.
    pub subject: &'static str,
    /// E-mail body, plain text.
    pub body: &'static str,
    /// SMS text (see the module notes on length and encoding).
    pub sms: &'static str,
}

/// One kind of notification, in every language of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    /// The stable name callers enqueue by, e.g. `otp_code`.
    pub key: &'static str,
    /// The variables its texts use; every one must be supplied.
    pub variables: &'static [&'static str],
    /// Vietnamese texts.
    pub vi: TemplateText,
    /// English texts.
    pub en: TemplateText,
}

/// A message ready for a transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// E-mail subject; empty for SMS.
    pub subject: String,
    /// E-mail body or SMS text.
    pub body: String,
}

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// No template has this key.
    #[error("unknown notification template `{0}`")]
    UnknownTemplate(String),
    /// A placeholder's variable was not supplied.
    #[error("template `{template}` ({locale}) needs variable `{variable}`, which was not supplied")]
    MissingVariable {
        /// The template key.
        template: String,
        /// The language being rendered.
        locale: Locale,
        /// The missing variable.
        variable: String,
    },
}

const SIGNATURE_VI: &str = "\n\n--\nCityOS – Thành phố Hồ Chí Minh\nĐây là thư tự động, vui lòng không trả lời thư này.";
const SIGNATURE_EN: &str = "\n\n--\nCityOS – Ho Chi Minh City\nThis is an automated message; please do not reply.";

/// Every template CityOS sends.
pub static CATALOGUE: &[Template] = &[
    Template {
        key: "otp_code",
        variables: &["code", "minutes"],
        vi: TemplateText {
            subject: "Mã xác thực CityOS: {code}",
            body: "Xin chào,\n\nMã xác thực CityOS của bạn là {code}. Mã có hiệu lực trong {minutes} phút.\n\nKhông chia sẻ mã này với bất kỳ ai, kể cả người tự xưng là cán bộ CityOS. Nếu bạn không yêu cầu mã, hãy bỏ qua thư này.",
            sms: "Ma xac thuc CityOS cua ban la {code}. Ma co hieu luc trong {minutes} phut. Khong chia se ma nay cho bat ky ai.",
        },
        en: TemplateText {
            subject: "Your CityOS verification code: {code}",
            body: "Hello,\n\nYour CityOS verification code is {code}. It is valid for {minutes} minutes.\n\nDo not share this code with anyone, including people claiming to be CityOS staff. If you did not ask for a code, ignore this message.",
            sms: "Your CityOS verification code is {code}. It is valid for {minutes} minutes. Do not share it with anyone.",
        },
    },
    Template {
        key: "report_received",
        variables: &["report_id", "url"],
        vi: TemplateText {
            subject: "CityOS đã nhận phản ánh {report_id}",
            body: "Xin chào,\n\nCityOS đã nhận phản ánh của bạn, mã số {report_id}. Phản ánh sẽ được chuyển đến cơ quan có thẩm quyền xử lý.\n\nBạn có thể theo dõi tiến độ tại: {url}\n\nCảm ơn bạn đã góp phần xây dựng thành phố.",
            sms: "CityOS da nhan phan anh {report_id} cua ban. Theo doi tien do tai {url}",
        },
        en: TemplateText {
            subject: "CityOS received your report {report_id}",
            body: "Hello,\n\nCityOS has received your report, number {report_id}. It will be passed to the agency responsible for handling it.\n\nFollow its progress at: {url}\n\nThank you for helping to improve the city.",
            sms: "CityOS received your report {report_id}. Follow its progress at {url}",
        },
    },
    Template {
        key: "report_status_changed",
        variables: &["report_id", "status", "url"],
        vi: TemplateText {
            subject: "Phản ánh {report_id}: {status}",
            body: "Xin chào,\n\nPhản ánh {report_id} của bạn đã chuyển sang trạng thái: {status}.\n\nXem chi tiết tại: {url}",
            sms: "Phan anh {report_id} cua ban da chuyen trang thai: {status}. Chi tiet: {url}",
        },
        en: TemplateText {
            subject: "Report {report_id}: {status}",
            body: "Hello,\n\nYour report {report_id} is now: {status}.\n\nSee the details at: {url}",
            sms: "Your CityOS report {report_id} is now: {status}. Details: {url}",
        },
    },
    Template {
        key: "report_message_received",
        variables: &["report_id", "url"],
        vi: TemplateText {
            subject: "CityOS đã nhận thêm thông tin cho phản ánh {report_id}",
            body: "Xin chào,\n\nCityOS đã nhận tin nhắn bổ sung của bạn cho phản ánh {report_id} và chuyển đến đơn vị đang xử lý.\n\nBạn có thể theo dõi tiến độ tại: {url}",
            sms: "CityOS da nhan thong tin bo sung cho phan anh {report_id}. Theo doi tai {url}",
        },
        en: TemplateText {
            subject: "CityOS received more about your report {report_id}",
            body: "Hello,\n\nCityOS has received your message about report {report_id} and passed it to the unit handling it.\n\nFollow its progress at: {url}",
            sms: "CityOS received your message about report {report_id}. Follow it at {url}",
        },
    },
    Template {
        key: "account_locked",
        variables: &["minutes"],
        vi: TemplateText {
            subject: "Tài khoản CityOS của bạn đã bị tạm khoá",
            body: "Xin chào,\n\nTài khoản CityOS của bạn đã bị tạm khoá trong {minutes} phút do đăng nhập sai nhiều lần.\n\nNếu không phải bạn đăng nhập, hãy đổi mật khẩu và báo cho quản trị viên của đơn vị.",
            sms: "Tai khoan CityOS cua ban bi tam khoa {minutes} phut do dang nhap sai nhieu lan. Neu khong phai ban, hay bao quan tri vien.",
        },
        en: TemplateText {
            subject: "Your CityOS account has been locked",
            body: "Hello,\n\nYour CityOS account has been locked for {minutes} minutes after too many failed sign-in attempts.\n\nIf this was not you, change your password and tell your agency's administrator.",
            sms: "Your CityOS account is locked for {minutes} minutes after too many failed sign-ins. If this was not you, tell your administrator.",
        },
    },
    Template {
        key: "password_changed",
        variables: &["time"],
        vi: TemplateText {
            subject: "Mật khẩu CityOS của bạn đã được thay đổi",
            body: "Xin chào,\n\nMật khẩu tài khoản CityOS của bạn đã được thay đổi lúc {time}.\n\nNếu bạn không thực hiện thay đổi này, hãy liên hệ ngay quản trị viên của đơn vị.",
            sms: "Mat khau CityOS cua ban da duoc doi luc {time}. Neu khong phai ban, hay lien he quan tri vien ngay.",
        },
        en: TemplateText {
            subject: "Your CityOS password was changed",
            body: "Hello,\n\nThe password of your CityOS account was changed at {time}.\n\nIf you did not make this change, contact your agency's administrator at once.",
            sms: "Your CityOS password was changed at {time}. If this was not you, contact your administrator at once.",
        },
    },
    Template {
        key: "datahub_access_requested",
        variables: &["dataset", "agency", "url"],
        vi: TemplateText {
            subject: "Yêu cầu khai thác dữ liệu {dataset} từ {agency}",
            body: "Xin chào,\n\n{agency} đề nghị được khai thác bộ dữ liệu {dataset} do đơn vị bạn quản lý.\n\nDữ liệu được chia sẻ cho cơ quan nhà nước theo mặc định; chỉ được từ chối bằng văn bản, nêu rõ lý do và căn cứ pháp lý.\n\nXem và xử lý yêu cầu tại: {url}",
            sms: "{agency} de nghi khai thac du lieu {dataset}. Xem va xu ly tai {url}",
        },
        en: TemplateText {
            subject: "Request to use dataset {dataset} from {agency}",
            body: "Hello,\n\n{agency} asks to use the dataset {dataset}, which your agency manages.\n\nData is shared with state agencies by default; a refusal must be written, with its reason and legal basis.\n\nReview the request at: {url}",
            sms: "{agency} asks to use dataset {dataset}. Review it at {url}",
        },
    },
    Template {
        key: "datahub_access_decided",
        variables: &["dataset", "status", "url"],
        vi: TemplateText {
            subject: "Yêu cầu khai thác dữ liệu {dataset}: {status}",
            body: "Xin chào,\n\nYêu cầu khai thác bộ dữ liệu {dataset} của đơn vị bạn: {status}.\n\nXem điều kiện, thời hạn hoặc lý do tại: {url}",
            sms: "Yeu cau khai thac du lieu {dataset}: {status}. Chi tiet: {url}",
        },
        en: TemplateText {
            subject: "Your request to use dataset {dataset}: {status}",
            body: "Hello,\n\nYour agency's request to use the dataset {dataset}: {status}.\n\nSee the conditions, period or reasons at: {url}",
            sms: "Request to use dataset {dataset}: {status}. Details: {url}",
        },
    },
];

/// What a web-push notification says under its title (the e-mail subject),
/// per template key: (key, Vietnamese, English). A notification shows
/// Vietnamese with its marks, unlike an SMS. Templates without an entry use
/// their SMS text.
static PUSH_TEXTS: &[(&str, &str, &str)] = &[
    (
        "report_received",
        "Chúng tôi đã nhận phản ánh {report_id} của bạn. Chạm để theo dõi tiến độ.",
        "We received your report {report_id}. Tap to follow its progress.",
    ),
    (
        "report_status_changed",
        "Phản ánh {report_id} của bạn đã chuyển sang trạng thái: {status}.",
        "Your report {report_id} is now: {status}.",
    ),
];

/// The template with this key.
#[must_use]
pub fn find(key: &str) -> Option<&'static Template> {
    CATALOGUE.iter().find(|t| t.key == key)
}

impl Template {
    /// The texts in `locale`.
    #[must_use]
    pub fn text(&self, locale: Locale) -> &TemplateText {
        match locale {
            Locale::Vi => &self.vi,
            Locale::En => &self.en,
        }
    }

    /// Fills in the texts `channel` needs (subject and body for e-mail, the
    /// SMS text for SMS, the e-mail body with its diacritics for Zalo and Messenger). For web push the body is the
    /// JSON payload the 1022 app's service worker shows:
    /// `{"title", "body", "lang", "tag", "url", "data"}`, where `tag` is the
    /// `report_id` variable, `url` the `url` variable (the page a tap opens;
    /// both `null` when absent) and `data` every variable.
    ///
    /// # Errors
    /// [`TemplateError::MissingVariable`] naming the first placeholder that has
    /// no value in `vars`. Extra variables are ignored.
    pub fn render(&self, locale: Locale, channel: Channel, vars: &BTreeMap<String, String>) -> Result<Rendered, TemplateError> {
        let text = self.text(locale);
        let fill = |s: &str| substitute(self.key, locale, s, vars);
        match channel {
            Channel::Email => {
                let signature = match locale {
                    Locale::Vi => SIGNATURE_VI,
                    Locale::En => SIGNATURE_EN,
                };
                Ok(Rendered { subject: fill(text.subject)?, body: fill(text.body)? + signature })
            }
            Channel::Sms => Ok(Rendered { subject: String::new(), body: fill(text.sms)? }),
            // Chat apps show Vietnamese with its marks and have room: the e-mail text, without the e-mail signature.
            Channel::Zalo | Channel::Messenger => Ok(Rendered { subject: String::new(), body: fill(text.body)? }),
            Channel::WebPush => {
                let push =
                    PUSH_TEXTS.iter().find(|(k, _, _)| *k == self.key).map(|(_, vi, en)| if locale == Locale::En { *en } else { *vi });
                let payload = serde_json::json!({
                    "title": fill(text.subject)?,
                    "body": fill(push.unwrap_or(text.sms))?,
                    "lang": locale.as_str(),
                    "tag": vars.get("report_id"),
                    "url": vars.get("url"),
                    "data": vars,
                });
                Ok(Rendered { subject: String::new(), body: payload.to_string() })
            }
        }
    }
}

/// Renders template `key` (see [`Template::render`]).
///
/// # Errors
/// An unknown key or a missing variable.
pub fn render(key: &str, locale: Locale, channel: Channel, vars: &BTreeMap<String, String>) -> Result<Rendered, TemplateError> {
    find(key).ok_or_else(|| TemplateError::UnknownTemplate(key.to_string()))?.render(locale, channel, vars)
}

/// Replaces each `{name}` (name: ASCII letters, digits, `_`) with its value.
/// A brace that does not open such a placeholder is kept as written.
fn substitute(key: &str, locale: Locale, text: &str, vars: &BTreeMap<String, String>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], &after[close + 1..])) {
            Some((name, tail)) if is_variable_name(name) => {
                let value = vars.get(name).ok_or_else(|| TemplateError::MissingVariable {
                    template: key.to_string(),
                    locale,
                    variable: name.to_string(),
                })?;
                out.push_str(value);
                rest = tail;
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn is_variable_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The placeholders `text` uses, in order of appearance.
#[must_use]
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_variable_name(&after[..close]) => {
                names.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    names
}

/// How an SMS text travels: its encoding and how many segments it costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsSegments {
    /// True when every character is in the GSM 03.38 alphabet (GSM-7);
    /// otherwise the text is sent as UCS-2.
    pub gsm7: bool,
    /// Length in the encoding's units (septets for GSM-7, where the extension
    /// characters `^{}\[~]|€` count two; UTF-16 units for UCS-2).
    pub units: usize,
    /// Segments the text costs: 160/153 units per segment for GSM-7,
    /// 70/67 for UCS-2.
    pub segments: usize,
}

const GSM7_BASIC: &str =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{c}";

/// The encoding and segment count of an SMS text (see the module notes).
#[must_use]
pub fn sms_segments(text: &str) -> SmsSegments {
    let mut septets = 0;
    let mut gsm7 = true;
    for c in text.chars() {
        if GSM7_BASIC.contains(c) {
            septets += 1;
        } else if GSM7_EXTENSION.contains(c) {
            septets += 2;
        } else {
            gsm7 = false;
            break;
        }
    }
    let (units, single, multi) = if gsm7 { (septets, 160, 153) } else { (text.encode_utf16().count(), 70, 67) };
    let segments = match units {
        0 => 0,
        n if n <= single => 1,
        n => n.div_ceil(multi),
    };
    SmsSegments { gsm7, units, segments }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    #[test]
    fn otp_in_vietnamese_and_english() {
        let v = vars(&[("code", "482913"), ("minutes", "10")]);
        let vi = render("otp_code", Locale::Vi, Channel::Email, &v).unwrap();
        assert_eq!(vi.subject, "Mã xác thực CityOS: 482913");
        assert!(vi.body.contains("Mã xác thực CityOS của bạn là 482913. Mã có hiệu lực trong 10 phút."), "{}", vi.body);
        let en = render("otp_code", Locale::En, Channel::Email, &v).unwrap();
        assert!(en.body.contains("Your CityOS verification code is 482913. It is valid for 10 minutes."));
        let sms = render("otp_code", Locale::Vi, Channel::Sms, &v).unwrap();
        assert!(sms.subject.is_empty());
        assert!(sms.body.starts_with("Ma xac thuc CityOS cua ban la 482913."));
        for chat in [Channel::Zalo, Channel::Messenger] {
            let text = render("otp_code", Locale::Vi, chat, &v).unwrap();
            assert!(text.subject.is_empty());
            assert!(text.body.contains("Mã xác thực CityOS của bạn là 482913."), "chat keeps the marks: {}", text.body);
            assert!(!text.body.contains("--\nCityOS"), "no e-mail signature in a chat: {}", text.body);
        }
    }

    #[test]
    fn web_push_payload_is_json_in_vietnamese_with_marks() {
        let v = vars(&[("report_id", "PA-1"), ("status", "Đang xử lý"), ("url", "https://1022.vn/#/track/PA-1")]);
        let push = render("report_status_changed", Locale::Vi, Channel::WebPush, &v).unwrap();
        let payload: serde_json::Value = serde_json::from_str(&push.body).unwrap();
        assert_eq!(payload["title"], "Phản ánh PA-1: Đang xử lý");
        assert_eq!(payload["body"], "Phản ánh PA-1 của bạn đã chuyển sang trạng thái: Đang xử lý.");
        assert_eq!(payload["lang"], "vi");
        assert_eq!(payload["tag"], "PA-1");
        assert_eq!(payload["url"], "https://1022.vn/#/track/PA-1");
        assert_eq!(payload["data"]["status"], "Đang xử lý");
        let en = render("report_status_changed", Locale::En, Channel::WebPush, &v).unwrap();
        assert!(en.body.contains("Your report PA-1 is now"), "{}", en.body);
        // Templates without a push text fall back to their SMS text.
        let otp = render("otp_code", Locale::En, Channel::WebPush, &vars(&[("code", "1"), ("minutes", "5")])).unwrap();
        let otp: serde_json::Value = serde_json::from_str(&otp.body).unwrap();
        assert!(otp["body"].as_str().unwrap().starts_with("Your CityOS verification code is 1."));
        assert!(otp["url"].is_null());
        for (key, vi, en) in PUSH_TEXTS {
            let t = find(key).unwrap_or_else(|| panic!("push text for unknown template {key}"));
            for text in [vi, en] {
                assert!(placeholders(text).iter().all(|p| t.variables.contains(p)), "{key}: push text uses an undeclared variable");
            }
        }
    }

    #[test]
    fn missing_variable_is_named() {
        let err = render("otp_code", Locale::En, Channel::Sms, &vars(&[("code", "1")])).unwrap_err();
        assert_eq!(err, TemplateError::MissingVariable { template: "otp_code".into(), locale: Locale::En, variable: "minutes".into() });
        assert_eq!(err.to_string(), "template `otp_code` (en) needs variable `minutes`, which was not supplied");
        assert_eq!(render("nope", Locale::Vi, Channel::Sms, &BTreeMap::new()).unwrap_err(), TemplateError::UnknownTemplate("nope".into()));
    }

    #[test]
    fn braces_that_are_not_placeholders_stay() {
        let out = substitute("t", Locale::Vi, "{a} { b} {} {{a}} {a", &vars(&[("a", "X")])).unwrap();
        assert_eq!(out, "X { b} {} {X} {a");
        // Values are inserted verbatim and never re-expanded.
        assert_eq!(substitute("t", Locale::Vi, "{a}", &vars(&[("a", "{a}")])).unwrap(), "{a}");
    }

    #[test]
    fn catalogue_is_consistent() {
        let mut keys = std::collections::HashSet::new();
        for t in CATALOGUE {
            assert!(keys.insert(t.key), "duplicate template {}", t.key);
            for locale in [Locale::Vi, Locale::En] {
                let text = t.text(locale);
                let mut used: Vec<&str> = [text.subject, text.body, text.sms].iter().flat_map(|s| placeholders(s)).collect();
                used.sort_unstable();
                used.dedup();
                let mut declared = t.variables.to_vec();
                declared.sort_unstable();
                assert_eq!(used, declared, "{} ({locale}) declares other variables than it uses", t.key);
                // Each channel's text uses every declared variable except where
                // the subject alone could not carry it.
                assert_eq!(placeholders(text.sms).len(), t.variables.len(), "{} ({locale}) SMS omits a variable", t.key);
            }
        }
    }

    #[test]
    fn sms_texts_fit_one_gsm7_segment_with_typical_values() {
        let v = vars(&[
            ("code", "482913"),
            ("minutes", "10"),
            ("report_id", "PA-2026-001234"),
            ("url", "https://cityos.hochiminhcity.gov.vn/r/PA-2026-001234"),
            ("status", "Dang xu ly"),
            ("time", "08:15 27/11/2026"),
            ("dataset", "co-so-y-te-2026"),
            ("agency", "SO-TC"),
        ]);
        for t in CATALOGUE {
            for locale in [Locale::Vi, Locale::En] {
                let sms = t.render(locale, Channel::Sms, &v).unwrap().body;
                let seg = sms_segments(&sms);
                assert!(seg.gsm7, "{} ({locale}) SMS is not GSM-7: {sms}", t.key);
                assert_eq!(seg.segments, 1, "{} ({locale}) SMS is {} septets: {sms}", t.key, seg.units);
            }
        }
    }

    #[test]
    fn segments_count_ucs2_and_extension_characters() {
        assert_eq!(sms_segments(""), SmsSegments { gsm7: true, units: 0, segments: 0 });
        assert_eq!(sms_segments("a{b}"), SmsSegments { gsm7: true, units: 6, segments: 1 });
        assert_eq!(sms_segments(&"a".repeat(161)).segments, 2);
        let vi = "Mã xác thực CityOS của bạn là 482913. Mã có hiệu lực trong 10 phút.";
        let seg = sms_segments(vi);
        assert!(!seg.gsm7);
        assert_eq!(seg.units, vi.chars().count());
        assert_eq!(seg.segments, 1);
        assert_eq!(sms_segments(&"ạ".repeat(71)).segments, 2);
    }

    #[test]
    fn locales_parse_language_tags() {
        assert_eq!(Locale::parse("vi-VN"), Some(Locale::Vi));
        assert_eq!(Locale::parse("EN_gb"), Some(Locale::En));
        assert_eq!(Locale::parse("fr"), None);
        assert_eq!(Locale::default(), Locale::Vi);
    }
}
