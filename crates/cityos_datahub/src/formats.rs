//! Readers for the formats a resource version may be uploaded in: CSV
//! (delimiter sniffed among `,` `;` tab `|`, first row is the header), JSON
//! (an array of objects, or `{"records": [...]}`), GeoJSON (a
//! FeatureCollection: properties become fields, the geometry a `geometry`
//! field plus its point or centroid) and XLSX (the first sheet, first row
//! the header).
//!
//! Every reader streams: it holds one row at a time and hands it to a
//! [`Sink`], so a file of any size is read in constant memory (XLSX keeps
//! its shared-string table, as the format requires). Readers are
//! synchronous; the ingest runs them on a blocking thread. A malformed file
//! is refused with a 422 `malformed_file` naming the line (CSV), record
//! (JSON) or row (XLSX).

use crate::encoding::{DecodingReader, SourceEncoding};
use crate::infer::Cell;
use cityos_api::ApiError;
use http::StatusCode;
use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::collections::HashMap;
use std::fmt;
use std::io::{BufReader, Read};
use std::path::Path;

/// A file format the datastore loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text with a header row.
    Csv {
        /// The field delimiter.
        delimiter: u8,
    },
    /// JSON records or a GeoJSON FeatureCollection.
    Json,
    /// An Excel workbook (first sheet).
    Xlsx,
}

impl Format {
    /// The name recorded as the resource's `format`.
    #[must_use]
    pub fn label(self, geojson: bool) -> &'static str {
        match self {
            Self::Csv { .. } => "CSV",
            Self::Json if geojson => "GeoJSON",
            Self::Json => "JSON",
            Self::Xlsx => "XLSX",
        }
    }
}

/// Where in the file a row came from, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// A CSV line (1-based; the header is line 1).
    Line(u64),
    /// A JSON record or GeoJSON feature (1-based).
    Record(u64),
    /// A worksheet row (1-based, as Excel numbers them).
    Row(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line(n) => write!(f, "line {n}"),
            Self::Record(n) => write!(f, "record {n}"),
            Self::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// What the readers feed: field names as they are discovered, then rows
/// whose cells line up with the fields discovered so far (missing cells at
/// the end are empty).
pub trait Sink {
    /// A new field, in file order.
    ///
    /// # Errors
    /// The sink refuses (too many fields).
    fn field(&mut self, raw_name: &str) -> Result<(), ApiError>;
    /// The next data row.
    ///
    /// # Errors
    /// The sink refuses or cannot go on (the loader stopped).
    fn row(&mut self, at: Position, cells: Vec<Cell>) -> Result<(), ApiError>;
    /// The file is GeoJSON: its `geometry` field is the first one.
    fn geojson(&mut self) {}
}

/// 422 `malformed_file`, naming where.
#[must_use]
pub fn malformed(at: Option<Position>, detail: impl fmt::Display) -> ApiError {
    let detail = match at {
        Some(p) => format!("{p}: {detail}"),
        None => detail.to_string(),
    };
    let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "malformed_file", "Malformed file").detail(detail);
    match at {
        Some(Position::Line(n)) => e = e.with("line", n),
        Some(Position::Record(n)) => e = e.with("record", n),
        Some(Position::Row(n)) => e = e.with("row", n),
        None => {}
    }
    e
}

fn io_error(e: &std::io::Error) -> ApiError {
    ApiError::internal(e)
}

/// Text as stored: trimmed and in NFC.
fn clean(s: &str) -> String {
    let t = s.trim();
    if t.is_ascii() {
        t.to_string()
    } else {
        cityos_text::nfc(t)
    }
}

/// Tells the format from the file's first bytes (decoded sample for text).
///
/// # Errors
/// 415 for legacy `.xls` workbooks and other binary files.
pub fn detect(head: &[u8], encoding: SourceEncoding) -> Result<Format, ApiError> {
    if head.starts_with(b"PK\x03\x04") {
        return Ok(Format::Xlsx);
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_format", "Unsupported format")
            .detail("Legacy .xls workbooks are not supported: save the sheet as XLSX or CSV."));
    }
    let mut text = String::new();
    let _ = DecodingReader::new(head, encoding).take(head.len() as u64).read_to_string(&mut text);
    let text = if text.is_empty() { String::from_utf8_lossy(head).into_owned() } else { text };
    if text.contains('\u{0}') {
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_format", "Unsupported format")
            .detail("The file is neither CSV, JSON, GeoJSON nor XLSX."));
    }
    match text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}').chars().next() {
        Some('[' | '{') => Ok(Format::Json),
        _ => Ok(Format::Csv { delimiter: sniff_delimiter(&text) }),
    }
}

/// Picks the delimiter among `,` `;` tab `|` that splits the sample's
/// records (quotes respected) into the same number of fields most often,
/// preferring more fields; `,` when nothing splits.
#[must_use]
pub fn sniff_delimiter(sample: &str) -> u8 {
    const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
    let mut records: Vec<[usize; 4]> = Vec::new();
    let mut counts = [0usize; 4];
    let mut in_quotes = false;
    let mut complete = false;
    for b in sample.bytes() {
        complete = false;
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                records.push(counts);
                counts = [0; 4];
                complete = true;
                if records.len() >= 50 {
                    break;
                }
            }
            _ if !in_quotes => {
                if let Some(i) = CANDIDATES.iter().position(|c| *c == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    // A last record cut by the sample's end is not counted; a short file's is.
    if !complete && sample.len() < 64 * 1024 && counts.iter().any(|c| *c > 0) {
        records.push(counts);
    }
    records.retain(|r| r.iter().any(|c| *c > 0));
    let Some(first) = records.first().copied() else { return b',' };
    let mut best = (0usize, 0usize, b',');
    for (i, c) in CANDIDATES.iter().enumerate() {
        if first[i] == 0 {
            continue;
        }
        let agreeing = records.iter().filter(|r| r[i] == first[i]).count();
        if (agreeing, first[i]) > (best.0, best.1) {
            best = (agreeing, first[i], *c);
        }
    }
    best.2
}

/// Reads a CSV file into `sink`.
///
/// # Errors
/// A malformed file (unequal field counts, unterminated quotes) or I/O.
pub fn read_csv(path: &Path, encoding: SourceEncoding, delimiter: u8, sink: &mut dyn Sink) -> Result<(), ApiError> {
    let file = std::fs::File::open(path).map_err(|e| io_error(&e))?;
    let decoded = DecodingReader::new(BufReader::with_capacity(256 * 1024, file), encoding);
    let mut rdr = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(decoded);
    let mut record = csv::StringRecord::new();
    let mut width = None;
    loop {
        let more = rdr.read_record(&mut record).map_err(|e| csv_error(&e, path, encoding))?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, csv::Position::line);
        let Some(width) = width else {
            for name in &record {
                sink.field(name)?;
            }
            width = Some(record.len());
            continue;
        };
        // Blank lines and rows of empty fields carry nothing.
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() > width && record.iter().skip(width).any(|f| !f.trim().is_empty()) || record.len() < width {
            let line = record.position().map_or(line, |p| line_of(path, encoding, p.byte()));
            return Err(malformed(
                Some(Position::Line(line)),
                format!("{} fields where the header has {width} (is a value with the delimiter unquoted?)", record.len()),
            ));
        }
        let cells = record.iter().take(width).map(|f| if f.trim().is_empty() { Cell::Null } else { Cell::Text(clean(f)) }).collect();
        sink.row(Position::Line(line), cells)?;
    }
    if width.is_none() {
        return Err(malformed(None, "the file is empty"));
    }
    Ok(())
}

fn csv_error(e: &csv::Error, path: &Path, encoding: SourceEncoding) -> ApiError {
    let at = e.position().map(|p| Position::Line(line_of(path, encoding, p.byte())));
    match e.kind() {
        csv::ErrorKind::Io(io) => io_error(io),
        csv::ErrorKind::Utf8 { .. } => malformed(at, "invalid text encoding"),
        _ => malformed(at, e),
    }
}

/// The line (1-based, as an editor counts them: blank lines and line breaks
/// inside quoted values included) at a byte offset of the decoded text.
/// The CSV reader's own line numbers skip blank lines, so errors count again.
fn line_of(path: &Path, encoding: SourceEncoding, byte: u64) -> u64 {
    let Ok(file) = std::fs::File::open(path) else { return 0 };
    let mut r = DecodingReader::new(BufReader::new(file), encoding);
    let mut buf = vec![0u8; 64 * 1024];
    let (mut seen, mut lines) = (0u64, 1u64);
    while seen < byte {
        let Ok(n) = r.read(&mut buf) else { break };
        if n == 0 {
            break;
        }
        let take = usize::try_from((byte - seen).min(n as u64)).unwrap_or(n);
        lines += buf[..take].iter().filter(|b| **b == b'\n').count() as u64;
        seen += n as u64;
    }
    lines
}

/// Reads a JSON or GeoJSON file into `sink`.
///
/// # Errors
/// Not JSON, not records or features, or I/O.
pub fn read_json(path: &Path, encoding: SourceEncoding, sink: &mut dyn Sink) -> Result<(), ApiError> {
    let file = std::fs::File::open(path).map_err(|e| io_error(&e))?;
    let decoded = DecodingReader::new(BufReader::with_capacity(256 * 1024, file), encoding);
    let mut de = serde_json::Deserializer::from_reader(decoded);
    let mut state = JsonState { sink, fields: HashMap::new(), count: 0, records: 0, failure: None, geojson: false, seen_list: false };
    let outcome = Top(&mut state).deserialize(&mut de).and_then(|()| de.end());
    if let Some(e) = state.failure.take() {
        return Err(e);
    }
    outcome.map_err(|e| {
        if e.is_io() {
            ApiError::internal(&e)
        } else {
            let at = Position::Line(u64::try_from(e.line()).unwrap_or(0));
            malformed(Some(at), format!("{e} (after {} records)", state.records))
        }
    })?;
    if !state.seen_list {
        return Err(malformed(None, "expected an array of objects, {\"records\": [...]} or a GeoJSON FeatureCollection"));
    }
    Ok(())
}

struct JsonState<'s> {
    sink: &'s mut dyn Sink,
    fields: HashMap<String, usize>,
    count: usize,
    records: u64,
    failure: Option<ApiError>,
    geojson: bool,
    seen_list: bool,
}

impl JsonState<'_> {
    fn index(&mut self, name: &str) -> Result<usize, ApiError> {
        if let Some(i) = self.fields.get(name) {
            return Ok(*i);
        }
        self.sink.field(name)?;
        let i = self.count;
        self.fields.insert(name.to_string(), i);
        self.count += 1;
        Ok(i)
    }

    fn record(&mut self, value: serde_json::Value, feature: bool) -> Result<(), ApiError> {
        self.records += 1;
        let at = Position::Record(self.records);
        let serde_json::Value::Object(mut obj) = value else {
            return Err(malformed(Some(at), if feature { "a feature must be an object" } else { "a record must be an object" }));
        };
        let mut cells = Vec::with_capacity(self.count + 1);
        let mut put = |state: &mut Self, name: &str, cell: Cell| -> Result<(), ApiError> {
            let i = state.index(name)?;
            if cells.len() <= i {
                cells.resize(i + 1, Cell::Null);
            }
            cells[i] = cell;
            Ok(())
        };
        if feature {
            if !self.geojson {
                self.geojson = true;
                self.sink.geojson();
                self.index("geometry")?;
            }
            let geometry = obj.remove("geometry").unwrap_or(serde_json::Value::Null);
            let cell = geometry_cell(&geometry).map_err(|d| malformed(Some(at), d))?;
            put(self, "geometry", cell)?;
            match obj.remove("properties") {
                Some(serde_json::Value::Object(props)) => obj = props,
                Some(serde_json::Value::Null) | None => obj = serde_json::Map::new(),
                Some(_) => return Err(malformed(Some(at), "a feature's properties must be an object")),
            }
            // A property called "geometry" must not overwrite the geometry.
            if let Some(v) = obj.remove("geometry") {
                obj.insert("geometry_property".into(), v);
            }
        }
        for (k, v) in obj {
            let cell = json_cell(v);
            put(self, &k, cell)?;
        }
        self.sink.row(at, cells)
    }
}

fn json_cell(v: serde_json::Value) -> Cell {
    match v {
        serde_json::Value::Null => Cell::Null,
        serde_json::Value::Bool(b) => Cell::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Cell::Int(i),
            None => n.as_f64().filter(|f| f.is_finite()).map_or(Cell::Null, Cell::Float),
        },
        serde_json::Value::String(s) => {
            if s.trim().is_empty() {
                Cell::Null
            } else {
                Cell::Str(clean(&s))
            }
        }
        other => Cell::Json(other.to_string()),
    }
}

/// A GeoJSON geometry as a cell: its JSON text and its point (for a Point)
/// or centroid (for anything else), as (lat, lon).
fn geometry_cell(v: &serde_json::Value) -> Result<Cell, String> {
    use geo::Centroid as _;
    if v.is_null() {
        return Ok(Cell::Null);
    }
    let g = geojson::Geometry::from_json_value(v.clone()).map_err(|e| format!("invalid geometry: {e}"))?;
    let shape: geo::Geometry<f64> = g.try_into().map_err(|e| format!("invalid geometry: {e}"))?;
    let point =
        shape.centroid().map(|p| (p.y(), p.x())).filter(|(lat, lon)| (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon));
    Ok(Cell::Geometry(v.to_string(), point))
}

struct Top<'a, 's>(&'a mut JsonState<'s>);

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of objects, {\"records\": [...]} or a GeoJSON FeatureCollection")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        Records { state: self.0, feature: false }.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "records" => map.next_value_seed(Records { state: &mut *self.0, feature: false })?,
                "features" => map.next_value_seed(Records { state: &mut *self.0, feature: true })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct Records<'a, 's> {
    state: &'a mut JsonState<'s>,
    feature: bool,
}

impl<'de> DeserializeSeed<'de> for Records<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Records<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.state.seen_list = true;
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            if let Err(e) = self.state.record(v, self.feature) {
                self.state.failure = Some(e);
                return Err(A::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// Reads the first sheet of an XLSX workbook into `sink`.
///
/// # Errors
/// Not a workbook, a value outside the header's columns, or I/O.
pub fn read_xlsx(path: &Path, sink: &mut dyn Sink) -> Result<(), ApiError> {
    use calamine::{DataRef, Reader as _};
    let file = std::fs::File::open(path).map_err(|e| io_error(&e))?;
    let mut book = calamine::Xlsx::new(BufReader::new(file)).map_err(|e| malformed(None, format!("not an XLSX workbook: {e}")))?;
    let Some(sheet) = book.sheet_names().first().cloned() else {
        return Err(malformed(None, "the workbook has no sheet"));
    };
    let mut cells = book.worksheet_cells_reader(&sheet).map_err(|e| malformed(None, e))?;
    // Column index → field index, from the header row.
    let mut header: Option<HashMap<u32, usize>> = None;
    let mut header_names: Vec<(u32, String)> = Vec::new();
    let mut header_row = None;
    let mut current: Option<(u32, Vec<Cell>)> = None;
    let flush = |row: Option<(u32, Vec<Cell>)>, sink: &mut dyn Sink| -> Result<(), ApiError> {
        match row {
            Some((r, cells)) if cells.iter().any(|c| *c != Cell::Null) => sink.row(Position::Row(u64::from(r) + 1), cells),
            _ => Ok(()),
        }
    };
    loop {
        let next = cells.next_cell().map_err(|e| malformed(None, e))?;
        let Some(cell) = next else { break };
        let (r, c) = cell.get_position();
        let value = match cell.get_value() {
            DataRef::Int(i) => Cell::Int(*i),
            #[expect(clippy::cast_possible_truncation, reason = "only integral values within ±2^53 are taken as integers")]
            DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Cell::Int(*f as i64),
            DataRef::Float(f) if f.is_finite() => Cell::Float(*f),
            DataRef::String(s) => Cell::Text(clean(s)),
            DataRef::SharedString(s) => Cell::Text(clean(s)),
            DataRef::Bool(b) => Cell::Bool(*b),
            DataRef::DateTime(dt) => {
                let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
                if (h, mi, s) == (0, 0, 0) {
                    Cell::Str(format!("{y:04}-{mo:02}-{d:02}"))
                } else {
                    Cell::Str(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}"))
                }
            }
            DataRef::DateTimeIso(s) => Cell::Str(s.clone()),
            DataRef::DurationIso(s) => Cell::Text(s.clone()),
            _ => Cell::Null,
        };
        if matches!(value, Cell::Text(ref s) if s.is_empty()) || value == Cell::Null {
            continue;
        }
        // The first row with a value is the header.
        if header.is_none() {
            match header_row {
                None => header_row = Some(r),
                Some(h) if h != r => {
                    header_names.sort_by_key(|(c, _)| *c);
                    let mut map = HashMap::new();
                    for (i, (col, name)) in header_names.iter().enumerate() {
                        sink.field(name)?;
                        map.insert(*col, i);
                    }
                    header = Some(map);
                }
                Some(_) => {}
            }
            if header.is_none() {
                let name = match value {
                    Cell::Text(s) | Cell::Str(s) => s,
                    Cell::Int(i) => i.to_string(),
                    Cell::Float(f) => crate::infer::float_text(f),
                    Cell::Bool(b) => b.to_string(),
                    _ => String::new(),
                };
                header_names.push((c, name));
                continue;
            }
        }
        let Some(map) = header.as_ref() else { continue };
        let Some(i) = map.get(&c).copied() else {
            return Err(malformed(
                Some(Position::Row(u64::from(r) + 1)),
                format!("a value in column {} which has no header", column_letters(c)),
            ));
        };
        if current.as_ref().is_some_and(|(cr, _)| *cr != r) {
            flush(current.take(), sink)?;
        }
        let row = current.get_or_insert_with(|| (r, vec![Cell::Null; map.len()]));
        row.1[i] = value;
    }
    if header.is_none() {
        if header_names.is_empty() {
            return Err(malformed(None, "the first sheet is empty"));
        }
        header_names.sort_by_key(|(c, _)| *c);
        for (_, name) in &header_names {
            sink.field(name)?;
        }
    }
    flush(current.take(), sink)
}

/// `0` → `A`, `27` → `AB`.
fn column_letters(mut c: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + u8::try_from(c % 26).unwrap_or(0));
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect {
        fields: Vec<String>,
        rows: Vec<(Position, Vec<Cell>)>,
        geojson: bool,
    }

    impl Sink for Collect {
        fn field(&mut self, raw_name: &str) -> Result<(), ApiError> {
            self.fields.push(raw_name.to_string());
            Ok(())
        }
        fn row(&mut self, at: Position, cells: Vec<Cell>) -> Result<(), ApiError> {
            self.rows.push((at, cells));
            Ok(())
        }
        fn geojson(&mut self) {
            self.geojson = true;
        }
    }

    fn file(bytes: &[u8]) -> (tempdir::Dir, std::path::PathBuf) {
        let d = tempdir::Dir::new();
        let p = d.0.join("f");
        std::fs::write(&p, bytes).unwrap();
        (d, p)
    }

    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Self {
                let p = std::env::temp_dir().join(format!("cityos_formats_{}", cityos_core::new_id()));
                std::fs::create_dir_all(&p).unwrap();
                Self(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn delimiters_are_sniffed() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter("Tên;Địa chỉ;Số\n\"Chợ Lớn, Q5\";x;1\nA;B;2\n"), b';');
        assert_eq!(sniff_delimiter("a\tb\n1\t2\n"), b'\t');
        assert_eq!(sniff_delimiter("a|b|c\n1|2,5|3\n"), b'|');
        assert_eq!(sniff_delimiter("one column\nvalue\n"), b',');
        // Decimal commas inside a semicolon file do not fool it.
        assert_eq!(sniff_delimiter("a;b\n1,5;2,5\n3,25;4\n"), b';');
    }

    #[test]
    fn formats_are_told_from_content() {
        assert_eq!(detect(b"PK\x03\x04rest", SourceEncoding::Utf8).unwrap(), Format::Xlsx);
        assert_eq!(detect(b" \n[{\"a\":1}]", SourceEncoding::Utf8).unwrap(), Format::Json);
        assert_eq!(detect(b"{\"type\":\"FeatureCollection\"}", SourceEncoding::Utf8).unwrap(), Format::Json);
        assert_eq!(detect(b"a;b\n1;2\n", SourceEncoding::Utf8).unwrap(), Format::Csv { delimiter: b';' });
        assert_eq!(detect(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0], SourceEncoding::Utf8).unwrap_err().status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[test]
    fn csv_rows_and_errors_name_the_line() {
        let (_d, p) = file("Tên,Số giường\n\"Chợ Rẫy, Q5\",1800\n\n Nhi Đồng 1 ,\n".as_bytes());
        let mut c = Collect::default();
        read_csv(&p, SourceEncoding::Utf8, b',', &mut c).unwrap();
        assert_eq!(c.fields, ["Tên", "Số giường"]);
        assert_eq!(c.rows[0], (Position::Line(2), vec![Cell::Text("Chợ Rẫy, Q5".into()), Cell::Text("1800".into())]));
        assert_eq!(c.rows[1].1, vec![Cell::Text("Nhi Đồng 1".into()), Cell::Null]);
        let (_d, p) = file(b"a,b\n1,2\n\n3,4\n5,6,7\n");
        let e = read_csv(&p, SourceEncoding::Utf8, b',', &mut Collect::default()).unwrap_err();
        assert_eq!(e.code, "malformed_file");
        assert!(e.detail.as_deref().unwrap().starts_with("line 5: 3 fields where the header has 2"), "{e}");
        assert_eq!(e.extra["line"], 5);
        let (_d, p) = file(b"a,b\n1,2\n\n\"3,4\n");
        let e = read_csv(&p, SourceEncoding::Utf8, b',', &mut Collect::default()).unwrap_err();
        assert_eq!(e.code, "malformed_file");
    }

    #[test]
    fn json_records_in_both_shapes() {
        let (_d, p) = file(br#"[{"a": 1, "b": "x"}, {"b": "y", "c": {"n": [1]}}]"#);
        let mut c = Collect::default();
        read_json(&p, SourceEncoding::Utf8, &mut c).unwrap();
        assert_eq!(c.fields, ["a", "b", "c"]);
        assert_eq!(c.rows[1].1, vec![Cell::Null, Cell::Str("y".into()), Cell::Json(r#"{"n":[1]}"#.into())]);
        let (_d, p) = file(br#"{"help": "x", "records": [{"a": 2.5}], "total": 1}"#);
        let mut c = Collect::default();
        read_json(&p, SourceEncoding::Utf8, &mut c).unwrap();
        assert_eq!(c.rows[0].1, vec![Cell::Float(2.5)]);
        let (_d, p) = file(br#"[{"a": 1}, 7]"#);
        let e = read_json(&p, SourceEncoding::Utf8, &mut Collect::default()).unwrap_err();
        assert!(e.detail.as_deref().unwrap().starts_with("record 2"), "{e}");
        let (_d, p) = file(b"[{\"a\": 1},\n {\"a\": }]");
        let e = read_json(&p, SourceEncoding::Utf8, &mut Collect::default()).unwrap_err();
        assert!(e.detail.as_deref().unwrap().starts_with("line 2"), "{e}");
        let (_d, p) = file(br#"{"a": 1}"#);
        assert_eq!(read_json(&p, SourceEncoding::Utf8, &mut Collect::default()).unwrap_err().code, "malformed_file");
    }

    #[test]
    fn geojson_features_become_rows_with_points() {
        let (_d, p) = file(
            r#"{"type": "FeatureCollection", "features": [
              {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.66, 10.75]}, "properties": {"name": "Chợ Lớn"}},
              {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[106.0, 10.0], [107.0, 10.0], [107.0, 11.0], [106.0, 11.0], [106.0, 10.0]]]}, "properties": {"name": "Vùng"}}
            ]}"#
            .as_bytes(),
        );
        let mut c = Collect::default();
        read_json(&p, SourceEncoding::Utf8, &mut c).unwrap();
        assert!(c.geojson);
        assert_eq!(c.fields, ["geometry", "name"]);
        match &c.rows[0].1[0] {
            Cell::Geometry(json, Some((lat, lon))) => {
                assert!(json.contains("Point"));
                assert!((lat - 10.75).abs() < 1e-9 && (lon - 106.66).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
        match &c.rows[1].1[0] {
            Cell::Geometry(_, Some((lat, lon))) => assert!((lat - 10.5).abs() < 1e-9 && (lon - 106.5).abs() < 1e-9),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn column_letters_like_excel() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
    }
}
