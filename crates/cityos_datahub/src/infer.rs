//! What an uploaded file holds: cells as the readers see them, the type of
//! each field inferred from every row (widened as rows disagree), the
//! personal-data suggestions an officer reviews, and the difference between
//! two versions' schemas.

use cityos_store::query::table::{Cell as SqlCell, ColumnType};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One value as read from a file, before its field's type is known.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Empty.
    Null,
    /// Text whose type is to be inferred (CSV, XLSX strings): numbers,
    /// booleans, dates are recognised.
    Text(String),
    /// A JSON string: only dates and date-times are recognised in it (a JSON
    /// file says what is a number).
    Str(String),
    /// An integer.
    Int(i64),
    /// A finite floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A nested JSON object or array, as JSON text.
    Json(String),
    /// A GeoJSON geometry, as JSON text, with its point (or centroid) as (lat, lon).
    Geometry(String, Option<(f64, f64)>),
}

/// The type of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Whole numbers (no leading zeros: "0901…" is text).
    Integer,
    /// Decimal numbers (`.` as the decimal mark).
    Number,
    /// true/false, yes/no, có/không.
    Boolean,
    /// A day: `dd/mm/yyyy`, `d-m-yyyy` or `yyyy-mm-dd`; stored as `yyyy-mm-dd`.
    Date,
    /// A moment: ISO 8601 or `dd/mm/yyyy hh:mm[:ss]`; stored as
    /// `yyyy-mm-ddThh:mm:ss` (UTC with `Z` when the source gave an offset).
    Datetime,
    /// Anything else.
    Text,
    /// Nested JSON (objects or arrays in a JSON file).
    Json,
    /// A GeoJSON geometry.
    Geometry,
}

impl FieldType {
    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Integer => "integer",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::Datetime => "datetime",
            Self::Text => "text",
            Self::Json => "json",
            Self::Geometry => "geometry",
        }
    }

    /// Parses a wire name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Integer, Self::Number, Self::Boolean, Self::Date, Self::Datetime, Self::Text, Self::Json, Self::Geometry]
            .into_iter()
            .find(|t| t.as_str() == s)
    }

    /// The SQL type of its datastore column (booleans are 0/1).
    #[must_use]
    pub fn column_type(self) -> ColumnType {
        match self {
            Self::Integer | Self::Boolean => ColumnType::BigInt,
            Self::Number => ColumnType::Double,
            _ => ColumnType::Text,
        }
    }

    /// Whether sums and means make sense.
    #[must_use]
    pub fn is_numeric(self) -> bool {
        matches!(self, Self::Integer | Self::Number)
    }

    /// The narrowest type holding values of both.
    #[must_use]
    pub fn widen(self, other: Self) -> Self {
        use FieldType::{Date, Datetime, Integer, Number, Text};
        match (self, other) {
            (a, b) if a == b => a,
            (Integer, Number) | (Number, Integer) => Number,
            (Date, Datetime) | (Datetime, Date) => Datetime,
            _ => Text,
        }
    }
}

/// A field of a version, as recorded in its `schema_json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldSchema {
    /// The name, from the file's header (NFC, trimmed, made unique).
    pub name: String,
    /// Its datastore column (`c1`, `c2`, …).
    pub column: String,
    /// The inferred type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Whether some rows have no value.
    pub nullable: bool,
    /// Whether the field holds personal data (masked unless a reader may see it).
    pub personal: bool,
    /// Why the field was suggested as personal (`phone`, `email`, `id_number`,
    /// `person_name`, `birth_date`), when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_reason: Option<String>,
}

/// A field whose type changed between versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TypeChange {
    /// The field.
    pub name: String,
    /// Its type in the previous version.
    pub from: FieldType,
    /// Its type now.
    pub to: FieldType,
}

/// How a version's schema differs from the previous version's
/// (`resource_versions.diff_json`). The first version lists every field as added.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SchemaDiff {
    /// The version compared with; `None` for the first.
    pub previous_version: Option<i64>,
    /// Fields that are new.
    pub added: Vec<String>,
    /// Fields that are gone.
    pub removed: Vec<String>,
    /// Fields whose type changed.
    pub type_changed: Vec<TypeChange>,
}

impl SchemaDiff {
    /// Compares `new` with `old` (the previous version's fields, if any).
    #[must_use]
    pub fn between(old: Option<(i64, &[FieldSchema])>, new: &[FieldSchema]) -> Self {
        let Some((version, old)) = old else {
            return Self { previous_version: None, added: new.iter().map(|f| f.name.clone()).collect(), ..Self::default() };
        };
        let find = |set: &[FieldSchema], name: &str| set.iter().find(|f| f.name == name).map(|f| f.ty);
        Self {
            previous_version: Some(version),
            added: new.iter().filter(|f| find(old, &f.name).is_none()).map(|f| f.name.clone()).collect(),
            removed: old.iter().filter(|f| find(new, &f.name).is_none()).map(|f| f.name.clone()).collect(),
            type_changed: new
                .iter()
                .filter_map(|f| find(old, &f.name).filter(|t| *t != f.ty).map(|from| TypeChange { name: f.name.clone(), from, to: f.ty }))
                .collect(),
        }
    }

    /// Whether nothing changed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.type_changed.is_empty()
    }
}

/// Values looked at for the personal-data suggestion, per field.
const PERSONAL_SAMPLE: u64 = 10_000;

/// What has been seen of one field.
#[derive(Debug, Clone, Default)]
pub struct FieldStats {
    ty: Option<FieldType>,
    nulls: u64,
    values: u64,
    sampled: u64,
    phones: u64,
    emails: u64,
    id_numbers: u64,
    max_len: usize,
    /// Values written as unsigned digits only (`26506`, `0901…`, a JSON 42).
    digit_values: u64,
    /// Values that are anything else (`-3`, `2.5`, `abc`).
    other_values: u64,
    /// The digit count of the digit values, while they all have the same.
    width: Option<usize>,
    /// Whether digit values of different widths were seen.
    mixed_width: bool,
}

impl FieldStats {
    /// Takes one more value into account.
    pub fn observe(&mut self, cell: &Cell) {
        let ty = match cell {
            Cell::Null => {
                self.nulls += 1;
                return;
            }
            Cell::Text(s) | Cell::Str(s) => {
                if s.trim().is_empty() {
                    self.nulls += 1;
                    return;
                }
                self.max_len = self.max_len.max(s.len());
                self.shape(s.trim());
                if self.sampled < PERSONAL_SAMPLE {
                    self.sampled += 1;
                    let t = s.trim();
                    self.phones += u64::from(looks_like_phone(t));
                    self.emails += u64::from(looks_like_email(t));
                    self.id_numbers += u64::from(looks_like_id_number(t));
                }
                // Once text, always text: no need to parse further values.
                if self.ty == Some(FieldType::Text) {
                    self.values += 1;
                    return;
                }
                if matches!(cell, Cell::Text(_)) {
                    text_type(s)
                } else {
                    string_type(s)
                }
            }
            Cell::Int(i) => {
                self.shape(&i.to_string());
                FieldType::Integer
            }
            Cell::Float(f) => {
                self.shape(&float_text(*f));
                FieldType::Number
            }
            Cell::Bool(_) => {
                self.other_values += 1;
                FieldType::Boolean
            }
            Cell::Json(_) => FieldType::Json,
            Cell::Geometry(..) => FieldType::Geometry,
        };
        self.values += 1;
        self.ty = Some(self.ty.map_or(ty, |t| t.widen(ty)));
    }

    /// Notes whether a value is written as digits only, and their width.
    fn shape(&mut self, t: &str) {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            self.other_values += 1;
            return;
        }
        self.digit_values += 1;
        match self.width {
            None if !self.mixed_width => self.width = Some(t.len()),
            Some(w) if w != t.len() => {
                self.width = None;
                self.mixed_width = true;
            }
            _ => {}
        }
    }

    /// Counts `n` rows read before the field first appeared (JSON records
    /// may introduce fields late) as rows without a value.
    pub fn missing(&mut self, n: u64) {
        self.nulls += n;
    }

    /// The longest text value seen, in bytes.
    #[must_use]
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The field's type (text when it had no values at all).
    #[must_use]
    pub fn field_type(&self) -> FieldType {
        self.ty.unwrap_or(FieldType::Text)
    }

    /// The type of the field called `name`: as [`FieldStats::field_type`],
    /// except that a column of codes stays text even when its values read
    /// as numbers, so GSO ward codes (`26506`), postcodes and phone numbers
    /// are never summed or shown as `26.506`. A column is codes when every
    /// value is unsigned digits and either its name says so (`mã …`,
    /// `… code`, `id`, phone, postcode: [`code_by_name`]) or every value has
    /// the same number of digits, at least [`CODE_MIN_WIDTH`], over at least
    /// [`CODE_MIN_VALUES`] values, and its name does not say it is a
    /// quantity. Values with a leading zero are text already.
    #[must_use]
    pub fn field_type_named(&self, name: &str) -> FieldType {
        let ty = self.field_type();
        if !ty.is_numeric() || self.digit_values == 0 || self.other_values > 0 {
            return ty;
        }
        let fixed_width =
            self.width.is_some_and(|w| w >= CODE_MIN_WIDTH) && self.digit_values >= CODE_MIN_VALUES && !quantity_by_name(name);
        if code_by_name(name) || fixed_width {
            FieldType::Text
        } else {
            ty
        }
    }

    /// Whether some rows had no value.
    #[must_use]
    pub fn nullable(&self) -> bool {
        self.nulls > 0 || self.values == 0
    }

    /// Why `name`'s values look personal, if they do: by the field's name, or
    /// because most sampled values are phone numbers, e-mail addresses or
    /// identity card numbers (CMND 9 digits, CCCD 12 digits).
    #[must_use]
    pub fn personal_reason(&self, name: &str) -> Option<&'static str> {
        if let Some(r) = personal_by_name(name) {
            return Some(r);
        }
        let most = |n: u64| self.sampled > 0 && n * 2 > self.sampled;
        if most(self.phones) {
            Some("phone")
        } else if most(self.emails) {
            Some("email")
        } else if most(self.id_numbers) {
            Some("id_number")
        } else {
            None
        }
    }
}

/// The fewest digits of a fixed-width column taken for codes: GSO ward
/// codes have 5, postcodes 6; years (4) stay numbers.
pub const CODE_MIN_WIDTH: usize = 5;

/// The fewest values of a fixed-width column taken for codes.
pub const CODE_MIN_VALUES: u64 = 3;

/// Field names that say the field holds codes or identifiers, not amounts:
/// `mã …` (`Mã phường`, `ma_xa`), `… code`, `id`, `số hiệu`, phone numbers,
/// postcodes, tax and identity numbers.
#[must_use]
pub fn code_by_name(name: &str) -> bool {
    let tokens = cityos_text::tokens(name);
    let folded = format!(" {} ", tokens.join(" "));
    let has = |words: &[&str]| words.iter().any(|w| folded.contains(&format!(" {w} ")));
    tokens.first().is_some_and(|t| t == "ma" || t == "mst")
        || has(&[
            "code",
            "id",
            "ma so",
            "so hieu",
            "postcode",
            "postal code",
            "zip",
            "zipcode",
            "buu chinh",
            "phone",
            "tel",
            "mobile",
            "dien thoai",
            "sdt",
            "so dien thoai",
            "fax",
            "cccd",
            "cmnd",
            "dinh danh",
            "ma so thue",
            "mst",
        ])
        || personal_by_name(name).is_some_and(|r| r == "phone" || r == "id_number")
}

/// Field names that say the field is an amount (so a fixed width does not
/// make it codes): `số lượng`, `dân số`, `diện tích`, `tổng`, `giá`, …
fn quantity_by_name(name: &str) -> bool {
    let tokens = cityos_text::tokens(name);
    // "Số …" counts something (số hộ, số ca, số giường); the "số …" that
    // name identifiers (số hiệu, số điện thoại) are codes by name first.
    if tokens.first().is_some_and(|t| t == "so") {
        return true;
    }
    let folded = format!(" {} ", tokens.join(" "));
    [
        "so luong",
        "dan so",
        "dien tich",
        "tong",
        "gia",
        "gia tri",
        "kinh phi",
        "doanh thu",
        "chieu dai",
        "khoi luong",
        "luot",
        "count",
        "total",
        "population",
        "amount",
        "area",
        "price",
        "value",
        "length",
        "sum",
        "number of",
    ]
    .iter()
    .any(|w| folded.contains(&format!(" {w} ")))
}

/// Field names that say the field is about a person.
fn personal_by_name(name: &str) -> Option<&'static str> {
    let folded = format!(" {} ", cityos_text::tokens(name).join(" "));
    let has = |words: &[&str]| words.iter().any(|w| folded.contains(&format!(" {w} ")));
    if has(&["so dien thoai", "dien thoai", "sdt", "dtdd", "phone", "mobile", "telephone", "tel"]) {
        Some("phone")
    } else if has(&["email", "e mail", "thu dien tu"]) {
        Some("email")
    } else if has(&["cccd", "cmnd", "can cuoc", "chung minh nhan dan", "so dinh danh", "id number", "passport", "ho chieu"]) {
        Some("id_number")
    } else if has(&[
        "ho ten",
        "ho va ten",
        "full name",
        "nguoi lien he",
        "nguoi phu trach",
        "chu ho",
        "nguoi dai dien",
        "benh nhan",
        "contact name",
    ]) {
        Some("person_name")
    } else if has(&["ngay sinh", "nam sinh", "date of birth", "dob", "birth date", "birthday"]) {
        Some("birth_date")
    } else {
        None
    }
}

fn digits_of(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '0'..='9' => out.push(c),
            ' ' | '.' | '-' | '(' | ')' => {}
            '+' if out.is_empty() => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Vietnamese mobile (0[35789]xxxxxxxx, or with 84) and landline (02xxxxxxxxx) numbers.
fn looks_like_phone(s: &str) -> bool {
    let Some(d) = digits_of(s) else { return false };
    let local = if let Some(rest) = d.strip_prefix("84").filter(|r| r.len() == 9 || r.len() == 10) { format!("0{rest}") } else { d };
    let b = local.as_bytes();
    (b.len() == 10 && b[0] == b'0' && matches!(b[1], b'3' | b'5' | b'7' | b'8' | b'9')) || (b.len() == 11 && b.starts_with(b"02"))
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((user, domain)) => !user.is_empty() && domain.contains('.') && !domain.starts_with('.') && !s.contains(char::is_whitespace),
        None => false,
    }
}

fn looks_like_id_number(s: &str) -> bool {
    (s.len() == 9 || s.len() == 12) && s.bytes().all(|b| b.is_ascii_digit())
}

/// The type of a CSV or XLSX cell's text.
fn text_type(s: &str) -> FieldType {
    let t = s.trim();
    if parse_int(t).is_some() {
        FieldType::Integer
    } else if parse_number(t).is_some() {
        FieldType::Number
    } else if parse_bool(t).is_some() {
        FieldType::Boolean
    } else {
        string_type(t)
    }
}

/// The type of a JSON string.
fn string_type(s: &str) -> FieldType {
    let t = s.trim();
    if parse_date(t).is_some() {
        FieldType::Date
    } else if parse_datetime(t).is_some() {
        FieldType::Datetime
    } else {
        FieldType::Text
    }
}

/// An integer without leading zeros (codes and phone numbers like "0901…"
/// stay text) that fits 64 bits with room to spare.
fn parse_int(t: &str) -> Option<i64> {
    let digits = t.strip_prefix('-').unwrap_or(t);
    if digits.is_empty()
        || digits.len() > 18
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    t.parse().ok()
}

/// A finite decimal number with `.` as the decimal mark (an optional
/// exponent), no leading zeros before other digits.
fn parse_number(t: &str) -> Option<f64> {
    let body = t.strip_prefix('-').unwrap_or(t);
    let mantissa = body.split(['e', 'E']).next().unwrap_or("");
    let int_part = mantissa.split('.').next().unwrap_or("");
    let ok_chars = body.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    if !ok_chars
        || int_part.is_empty()
        || (int_part.len() > 1 && int_part.starts_with('0'))
        || !int_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn parse_bool(t: &str) -> Option<bool> {
    match cityos_text::fold(t).as_str() {
        "true" | "yes" | "co" | "dung" => Some(true),
        "false" | "no" | "khong" | "sai" => Some(false),
        _ => None,
    }
}

/// `yyyy-mm-dd`, `dd/mm/yyyy`, `d/m/yyyy`, `dd-mm-yyyy`, `dd.mm.yyyy`.
fn parse_date(t: &str) -> Option<chrono::NaiveDate> {
    let parts: Vec<&str> = t.split(['/', '-', '.']).collect();
    if parts.len() != 3 || !parts.iter().all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let n = |s: &str| s.parse::<u32>().ok();
    let (y, m, d) = if parts[0].len() == 4 && t.as_bytes().get(4) == Some(&b'-') {
        (parts[0], parts[1], parts[2])
    } else if parts[2].len() == 4 && parts[0].len() <= 2 && parts[1].len() <= 2 {
        (parts[2], parts[1], parts[0])
    } else {
        return None;
    };
    chrono::NaiveDate::from_ymd_opt(i32::try_from(n(y)?).ok()?, n(m)?, n(d)?)
}

/// A date-time, normalised: naive ones as `yyyy-mm-ddThh:mm:ss[.f]`, ones
/// with an offset converted to UTC with `Z`.
fn parse_datetime(t: &str) -> Option<String> {
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%S%.fZ").to_string());
    }
    let (date, time) = t.split_once('T').or_else(|| t.split_once(' '))?;
    let date = parse_date(date.trim())?;
    let time = time.trim();
    let time = chrono::NaiveTime::parse_from_str(time, "%H:%M:%S%.f").or_else(|_| chrono::NaiveTime::parse_from_str(time, "%H:%M")).ok()?;
    Some(date.and_time(time).format("%Y-%m-%dT%H:%M:%S%.f").to_string())
}

/// Renders a float as text the way JSON would (integral values without `.0`).
#[must_use]
pub fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

/// The text of a cell, as a text field stores it.
fn cell_text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Null => None,
        Cell::Text(s) | Cell::Str(s) => Some(s.clone()).filter(|s| !s.trim().is_empty()),
        Cell::Int(i) => Some(i.to_string()),
        Cell::Float(f) => Some(float_text(*f)),
        Cell::Bool(b) => Some(b.to_string()),
        Cell::Json(j) | Cell::Geometry(j, _) => Some(j.clone()),
    }
}

/// Converts a cell into the stored value of a field of type `ty` (a value
/// that does not fit, which inference rules out, is stored as NULL).
#[must_use]
pub fn to_sql(cell: &Cell, ty: FieldType) -> SqlCell {
    match ty {
        FieldType::Integer => SqlCell::Int(match cell {
            Cell::Int(i) => Some(*i),
            Cell::Text(s) | Cell::Str(s) => parse_int(s.trim()),
            _ => None,
        }),
        FieldType::Number => SqlCell::Double(match cell {
            Cell::Float(f) => Some(*f),
            #[expect(clippy::cast_precision_loss, reason = "a number field holds doubles by definition")]
            Cell::Int(i) => Some(*i as f64),
            Cell::Text(s) | Cell::Str(s) => parse_number(s.trim()),
            _ => None,
        }),
        FieldType::Boolean => SqlCell::Int(match cell {
            Cell::Bool(b) => Some(i64::from(*b)),
            Cell::Text(s) | Cell::Str(s) => parse_bool(s.trim()).map(i64::from),
            _ => None,
        }),
        FieldType::Date => SqlCell::Text(match cell {
            Cell::Text(s) | Cell::Str(s) => parse_date(s.trim()).map(|d| d.format("%Y-%m-%d").to_string()),
            _ => None,
        }),
        FieldType::Datetime => SqlCell::Text(match cell {
            Cell::Text(s) | Cell::Str(s) => {
                let t = s.trim();
                parse_datetime(t).or_else(|| parse_date(t).map(|d| d.format("%Y-%m-%dT00:00:00").to_string()))
            }
            _ => None,
        }),
        FieldType::Text | FieldType::Json | FieldType::Geometry => SqlCell::Text(cell_text(cell)),
    }
}

/// A cell's text as it goes into the full-text words of its row.
#[must_use]
pub fn search_text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Json(_) | Cell::Geometry(..) => None,
        other => cell_text(other),
    }
}

/// Which fields hold coordinates: `lat`/`latitude`/`vĩ độ` and
/// `lon`/`lng`/`long`/`longitude`/`kinh độ`, both numeric. Returns their
/// positions in `fields`.
#[must_use]
pub fn coordinate_fields(fields: &[FieldSchema]) -> Option<(usize, usize)> {
    let find =
        |names: &[&str]| fields.iter().position(|f| f.ty.is_numeric() && names.contains(&cityos_text::tokens(&f.name).join(" ").as_str()));
    Some((find(&["lat", "latitude", "vi do"])?, find(&["lon", "lng", "long", "longitude", "kinh do"])?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(values: &[&str]) -> FieldStats {
        let mut s = FieldStats::default();
        for v in values {
            s.observe(&if v.is_empty() { Cell::Null } else { Cell::Text((*v).into()) });
        }
        s
    }

    #[test]
    fn types_are_inferred_from_every_row_and_widened() {
        assert_eq!(infer(&["1", "-20", "300"]).field_type(), FieldType::Integer);
        assert_eq!(infer(&["1", "2.5", "1e3"]).field_type(), FieldType::Number);
        assert_eq!(infer(&["1", "2", "ba"]).field_type(), FieldType::Text);
        assert_eq!(infer(&["true", "không", "Có"]).field_type(), FieldType::Boolean);
        assert_eq!(infer(&["01/02/2024", "2024-03-05", "5/6/2023"]).field_type(), FieldType::Date);
        assert_eq!(infer(&["01/02/2024", "2024-03-05T10:00:00+07:00"]).field_type(), FieldType::Datetime);
        assert_eq!(infer(&["31/02/2024"]).field_type(), FieldType::Text);
        // Leading zeros and long digit strings are codes, not numbers.
        assert_eq!(infer(&["0901234567"]).field_type(), FieldType::Text);
        assert_eq!(infer(&["079123456789"]).field_type(), FieldType::Text);
        assert_eq!(infer(&["007.5"]).field_type(), FieldType::Text);
        assert_eq!(infer(&["1,5"]).field_type(), FieldType::Text);
        assert_eq!(infer(&["NaN", "inf"]).field_type(), FieldType::Text);
        let nullable = infer(&["1", "", "3"]);
        assert_eq!((nullable.field_type(), nullable.nullable()), (FieldType::Integer, true));
        assert!(!infer(&["1"]).nullable());
        assert_eq!(infer(&["", ""]).field_type(), FieldType::Text);
        // JSON strings stay text unless they are dates.
        let mut s = FieldStats::default();
        s.observe(&Cell::Str("123".into()));
        assert_eq!(s.field_type(), FieldType::Text);
        let mut s = FieldStats::default();
        s.observe(&Cell::Int(3));
        s.observe(&Cell::Float(2.5));
        assert_eq!(s.field_type(), FieldType::Number);
    }

    #[test]
    fn values_are_stored_in_their_fields_type() {
        assert_eq!(to_sql(&Cell::Text("12".into()), FieldType::Integer), SqlCell::Int(Some(12)));
        assert_eq!(to_sql(&Cell::Text("12".into()), FieldType::Number), SqlCell::Double(Some(12.0)));
        assert_eq!(to_sql(&Cell::Text("Không".into()), FieldType::Boolean), SqlCell::Int(Some(0)));
        assert_eq!(to_sql(&Cell::Text("05/06/2023".into()), FieldType::Date), SqlCell::Text(Some("2023-06-05".into())));
        assert_eq!(to_sql(&Cell::Text("05/06/2023".into()), FieldType::Datetime), SqlCell::Text(Some("2023-06-05T00:00:00".into())));
        assert_eq!(
            to_sql(&Cell::Text("2024-03-05T10:00:00+07:00".into()), FieldType::Datetime),
            SqlCell::Text(Some("2024-03-05T03:00:00Z".into()))
        );
        assert_eq!(to_sql(&Cell::Text("05/06/2023 08:30".into()), FieldType::Datetime), SqlCell::Text(Some("2023-06-05T08:30:00".into())));
        assert_eq!(to_sql(&Cell::Float(3.0), FieldType::Text), SqlCell::Text(Some("3".into())));
        assert_eq!(to_sql(&Cell::Null, FieldType::Integer), SqlCell::Int(None));
        assert_eq!(to_sql(&Cell::Text("  ".into()), FieldType::Text), SqlCell::Text(None));
    }

    #[test]
    fn personal_data_is_suggested_by_name_and_by_values() {
        let none = FieldStats::default();
        assert_eq!(none.personal_reason("Số điện thoại"), Some("phone"));
        assert_eq!(none.personal_reason("SĐT liên hệ"), Some("phone"));
        assert_eq!(none.personal_reason("E-mail"), Some("email"));
        assert_eq!(none.personal_reason("Số CCCD"), Some("id_number"));
        assert_eq!(none.personal_reason("Họ và tên"), Some("person_name"));
        assert_eq!(none.personal_reason("Ngày sinh"), Some("birth_date"));
        assert_eq!(none.personal_reason("Tên cơ sở"), None);
        assert_eq!(none.personal_reason("Địa chỉ"), None);
        assert_eq!(infer(&["0901234567", "+84 912 345 678", "028.3855.4269"]).personal_reason("liên lạc"), Some("phone"));
        assert_eq!(infer(&["an@example.vn", "binh@example.com", ""]).personal_reason("x"), Some("email"));
        assert_eq!(infer(&["079123456789", "123456789"]).personal_reason("so"), Some("id_number"));
        assert_eq!(infer(&["Quận 1", "0901234567", "Quận 3"]).personal_reason("ghi chú"), None);
    }

    fn infer_named(name: &str, values: &[&str]) -> FieldType {
        infer(values).field_type_named(name)
    }

    #[test]
    fn codes_stay_text_and_amounts_stay_numbers() {
        // By name: GSO ward codes, postcodes, phone numbers, ids.
        assert_eq!(infer_named("Mã phường", &["26506", "26734", "27004"]), FieldType::Text);
        assert_eq!(infer_named("ma_xa", &["26506", "9"]), FieldType::Text);
        assert_eq!(infer_named("ward_code", &["26506"]), FieldType::Text);
        assert_eq!(infer_named("id", &["1", "2", "3"]), FieldType::Text);
        assert_eq!(infer_named("so_dien_thoai", &["2838554269"]), FieldType::Text);
        assert_eq!(infer_named("phone", &["909123456"]), FieldType::Text);
        assert_eq!(infer_named("postcode", &["700000", "710000"]), FieldType::Text);
        assert_eq!(infer_named("Mã bưu chính", &["700000"]), FieldType::Text);
        // Leading zeros anywhere in the column, whatever the name.
        assert_eq!(infer_named("Phường", &["26506", "00001", "27004"]), FieldType::Text);
        // Fixed width digits: codes, unless the name says amount.
        assert_eq!(infer_named("Phường", &["26506", "26734", "27004"]), FieldType::Text);
        assert_eq!(infer_named("Dân số", &["45123", "51234", "38765"]), FieldType::Integer);
        // Real numbers stay numbers.
        assert_eq!(infer_named("Số giường", &["1800", "1400", "0", "20"]), FieldType::Integer);
        assert_eq!(infer_named("Năm", &["2023", "2024", "2025"]), FieldType::Integer);
        assert_eq!(infer_named("Dân số", &["45123", "1234567", "987"]), FieldType::Integer);
        assert_eq!(infer_named("Vĩ độ", &["10.7578", "10.7686", "10.7769"]), FieldType::Number);
        assert_eq!(infer_named("Nhiệt độ", &["-1", "20", "35"]), FieldType::Integer);
        assert_eq!(infer_named("Mã", &["1.5", "2"]), FieldType::Number);
        assert_eq!(infer_named("Tổng", &["12345", "23456", "34567"]), FieldType::Integer);
        assert_eq!(infer_named("Số hộ", &["12345", "23456", "34567"]), FieldType::Integer);
        assert_eq!(infer_named("Số hiệu", &["12345", "23456", "34567"]), FieldType::Text);
        assert_eq!(infer_named("Số", &["12", "34567", "10"]), FieldType::Integer);
        // Fewer values than a fixed width needs: a number.
        assert_eq!(infer_named("x", &["12345", "23456"]), FieldType::Integer);
        // JSON numbers and XLSX cells named as codes are codes too, written without `.0`.
        let mut s = FieldStats::default();
        s.observe(&Cell::Float(26506.0));
        s.observe(&Cell::Int(26734));
        assert_eq!(s.field_type_named("Mã phường"), FieldType::Text);
        assert_eq!(to_sql(&Cell::Float(26506.0), FieldType::Text), SqlCell::Text(Some("26506".into())));
        assert_eq!(s.field_type_named("Số hộ"), FieldType::Number);
    }

    fn field(name: &str, ty: FieldType) -> FieldSchema {
        FieldSchema { name: name.into(), column: "c1".into(), ty, nullable: false, personal: false, personal_reason: None }
    }

    #[test]
    fn schema_diff_names_added_removed_and_changed_fields() {
        let v1 = [field("Tên", FieldType::Text), field("Số giường", FieldType::Integer), field("Quận", FieldType::Text)];
        let v2 = [field("Tên", FieldType::Text), field("Số giường", FieldType::Number), field("Phường", FieldType::Text)];
        let d = SchemaDiff::between(Some((1, &v1)), &v2);
        assert_eq!(d.previous_version, Some(1));
        assert_eq!(d.added, ["Phường"]);
        assert_eq!(d.removed, ["Quận"]);
        assert_eq!(d.type_changed, [TypeChange { name: "Số giường".into(), from: FieldType::Integer, to: FieldType::Number }]);
        assert!(SchemaDiff::between(Some((1, &v1)), &v1).is_empty());
        let first = SchemaDiff::between(None, &v1);
        assert_eq!((first.previous_version, first.added.len()), (None, 3));
    }

    #[test]
    fn coordinates_are_found_by_name() {
        let f = [field("Tên", FieldType::Text), field("Vĩ độ", FieldType::Number), field("Kinh độ", FieldType::Number)];
        assert_eq!(coordinate_fields(&f), Some((1, 2)));
        let f = [field("lat", FieldType::Number), field("lng", FieldType::Integer)];
        assert_eq!(coordinate_fields(&f), Some((0, 1)));
        let f = [field("lat", FieldType::Text), field("lon", FieldType::Number)];
        assert_eq!(coordinate_fields(&f), None);
    }
}
