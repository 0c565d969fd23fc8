//! The CQL2 text encoding (OGC 21-065r2 Annex A BNF): a tokenizer and a
//! recursive-descent parser with the depth and node limits of the crate.

use crate::{op, Cql2Error, Expr, Op, MAX_DEPTH, MAX_NODES, MAX_TEXT_BYTES};
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Quoted(String),
    Str(String),
    Num(f64),
    LParen,
    RParen,
    Comma,
    Cmp(Op),
    End,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Quoted(s) => format!("\"{s}\""),
        Tok::Str(s) => format!("'{s}'"),
        Tok::Num(n) => format!("{n}"),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Cmp(o) => format!("`{}`", o.name()),
        Tok::End => "the end of the filter".into(),
    }
}

fn err(position: usize, message: impl Into<String>) -> Cql2Error {
    Cql2Error::Syntax { position, message: message.into() }
}

fn lex(s: &str) -> Result<Vec<(Tok, usize)>, Cql2Error> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let pos = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => out.push((Tok::LParen, pos)),
            ')' => out.push((Tok::RParen, pos)),
            ',' => out.push((Tok::Comma, pos)),
            '=' => out.push((Tok::Cmp(Op::Eq), pos)),
            '<' | '>' => {
                let next = chars.get(i + 1).copied();
                let (op, width) = match (c, next) {
                    ('<', Some('>')) => (Op::Ne, 2),
                    ('<', Some('=')) => (Op::Le, 2),
                    ('>', Some('=')) => (Op::Ge, 2),
                    ('<', _) => (Op::Lt, 1),
                    _ => (Op::Gt, 1),
                };
                out.push((Tok::Cmp(op), pos));
                i += width;
                continue;
            }
            '\'' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(err(pos, "unterminated string (a quote inside a string is written '')")),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            text.push('\'');
                            i += 2;
                        }
                        Some('\'') => break,
                        Some(ch) => {
                            text.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push((Tok::Str(text), pos));
            }
            '"' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(err(pos, "unterminated quoted property name")),
                        Some('"') if chars.get(i + 1) == Some(&'"') => {
                            text.push('"');
                            i += 2;
                        }
                        Some('"') => break,
                        Some(ch) => {
                            text.push(*ch);
                            i += 1;
                        }
                    }
                }
                if text.is_empty() {
                    return Err(err(pos, "empty property name"));
                }
                out.push((Tok::Quoted(text), pos));
            }
            c if c.is_ascii_digit()
                || ((c == '-' || c == '+' || c == '.') && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit() || *n == '.')) =>
            {
                let start = i;
                i += 1;
                while let Some(ch) = chars.get(i) {
                    let exp_sign = (*ch == '-' || *ch == '+') && matches!(chars.get(i - 1), Some('e' | 'E'));
                    if ch.is_ascii_digit() || *ch == '.' || *ch == 'e' || *ch == 'E' || exp_sign {
                        i += 1;
                    } else {
                        break;
                    }
                }
                let text: String = chars[start..i].iter().collect();
                let n: f64 = text.parse().map_err(|_| err(pos, format!("`{text}` is not a number")))?;
                if !n.is_finite() {
                    return Err(err(pos, format!("`{text}` is out of range")));
                }
                out.push((Tok::Num(n), pos));
                continue;
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while chars.get(i).is_some_and(|ch| ch.is_alphanumeric() || matches!(ch, '_' | '.' | ':')) {
                    i += 1;
                }
                out.push((Tok::Ident(chars[start..i].iter().collect()), pos));
                continue;
            }
            '+' | '-' | '*' | '/' | '%' => return Err(err(pos, format!("arithmetic (`{c}`) is not supported"))),
            other => return Err(err(pos, format!("unexpected character `{other}`"))),
        }
        i += 1;
    }
    out.push((Tok::End, chars.len() + 1));
    Ok(out)
}

const RESERVED: &[&str] = &["AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL"];

struct Parser {
    toks: Vec<(Tok, usize)>,
    at: usize,
    depth: usize,
    nodes: usize,
}

/// Parses the CQL2 text encoding (`status = 'functional' AND
/// S_INTERSECTS(geometry, POINT(106.7 10.77))`) into a validated [`Expr`].
///
/// # Errors
/// [`Cql2Error::Syntax`] with the character position, [`Cql2Error::TooLarge`],
/// or [`Cql2Error::Invalid`] for a well-formed but meaningless filter.
pub fn parse_text(s: &str) -> Result<Expr, Cql2Error> {
    if s.len() > MAX_TEXT_BYTES {
        return Err(Cql2Error::TooLarge(format!("the text is {} bytes, the limit is {MAX_TEXT_BYTES}", s.len())));
    }
    let mut p = Parser { toks: lex(s)?, at: 0, depth: 0, nodes: 0 };
    if p.peek() == &Tok::End {
        return Err(err(1, "the filter is empty"));
    }
    let e = p.or()?;
    if p.peek() != &Tok::End {
        return Err(p.unexpected("AND, OR or the end of the filter"));
    }
    crate::validate(&e)?;
    Ok(e)
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.at).map_or(&Tok::End, |t| &t.0)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.at).or(self.toks.last()).map_or(1, |t| t.1)
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.at < self.toks.len() {
            self.at += 1;
        }
        t
    }

    fn unexpected(&self, wanted: &str) -> Cql2Error {
        err(self.pos(), format!("expected {wanted}, found {}", describe(self.peek())))
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        if self.keyword(kw) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, t: &Tok, wanted: &str) -> Result<(), Cql2Error> {
        if self.peek() == t {
            self.at += 1;
            Ok(())
        } else {
            Err(self.unexpected(wanted))
        }
    }

    fn enter(&mut self) -> Result<(), Cql2Error> {
        self.depth += 1;
        self.nodes += 1;
        if self.depth > MAX_DEPTH {
            return Err(Cql2Error::TooLarge(format!("nesting deeper than {MAX_DEPTH} at position {}", self.pos())));
        }
        if self.nodes > MAX_NODES {
            return Err(Cql2Error::TooLarge(format!("more than {MAX_NODES} terms")));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn or(&mut self) -> Result<Expr, Cql2Error> {
        self.enter()?;
        let mut parts = vec![self.and()?];
        while self.eat_keyword("OR") {
            parts.push(self.and()?);
        }
        self.leave();
        Ok(if parts.len() == 1 { parts.remove(0) } else { op(Op::Or, parts) })
    }

    fn and(&mut self) -> Result<Expr, Cql2Error> {
        self.enter()?;
        let mut parts = vec![self.not()?];
        while self.eat_keyword("AND") {
            parts.push(self.not()?);
        }
        self.leave();
        Ok(if parts.len() == 1 { parts.remove(0) } else { op(Op::And, parts) })
    }

    fn not(&mut self) -> Result<Expr, Cql2Error> {
        self.enter()?;
        let e = if self.eat_keyword("NOT") { op(Op::Not, vec![self.not()?]) } else { self.primary()? };
        self.leave();
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, Cql2Error> {
        if self.peek() == &Tok::LParen {
            self.at += 1;
            let e = self.or()?;
            self.expect(&Tok::RParen, "`)`")?;
            return Ok(e);
        }
        let start = self.pos();
        let left = self.operand()?;
        if let Tok::Cmp(cmp) = self.peek() {
            let cmp = *cmp;
            self.at += 1;
            let right = self.operand()?;
            return Ok(op(cmp, vec![left, right]));
        }
        let negated = self.eat_keyword("NOT");
        let e = if self.eat_keyword("LIKE") {
            op(Op::Like, vec![left, self.operand()?])
        } else if self.eat_keyword("BETWEEN") {
            let lo = self.operand()?;
            if !self.eat_keyword("AND") {
                return Err(self.unexpected("AND (BETWEEN low AND high)"));
            }
            op(Op::Between, vec![left, lo, self.operand()?])
        } else if self.eat_keyword("IN") {
            self.expect(&Tok::LParen, "`(` after IN")?;
            let mut items = vec![self.operand()?];
            while self.peek() == &Tok::Comma {
                self.at += 1;
                items.push(self.operand()?);
            }
            self.expect(&Tok::RParen, "`,` or `)` closing the IN list")?;
            op(Op::In, vec![left, Expr::List(items)])
        } else if negated {
            return Err(self.unexpected("LIKE, BETWEEN or IN after NOT"));
        } else if self.eat_keyword("IS") {
            let not_null = self.eat_keyword("NOT");
            if !self.eat_keyword("NULL") {
                return Err(self.unexpected("NULL"));
            }
            let e = op(Op::IsNull, vec![left]);
            return Ok(if not_null { op(Op::Not, vec![e]) } else { e });
        } else {
            return match left {
                Expr::Bool(_) | Expr::Op { op: Op::Spatial(_) | Op::Temporal(_), .. } => Ok(left),
                _ => Err(err(start, format!("expected a condition; follow this value with a comparison (=, <>, <, >, <=, >=, LIKE, BETWEEN, IN, IS NULL), found {}", describe(self.peek())))),
            };
        };
        Ok(if negated { op(Op::Not, vec![e]) } else { e })
    }

    fn string_arg(&mut self, what: &str) -> Result<(String, usize), Cql2Error> {
        self.expect(&Tok::LParen, &format!("`(` after {what}"))?;
        let pos = self.pos();
        let Tok::Str(s) = self.bump() else {
            self.at -= 1;
            return Err(self.unexpected(&format!("a quoted string in {what}(…)")));
        };
        self.expect(&Tok::RParen, "`)`")?;
        Ok((s, pos))
    }

    fn operand(&mut self) -> Result<Expr, Cql2Error> {
        self.enter()?;
        let e = self.operand_inner();
        self.leave();
        e
    }

    fn operand_inner(&mut self) -> Result<Expr, Cql2Error> {
        let pos = self.pos();
        match self.bump() {
            Tok::Str(s) => Ok(Expr::Text(s)),
            Tok::Num(n) => Ok(Expr::Number(n)),
            Tok::Quoted(name) => Ok(Expr::Property(name)),
            Tok::Ident(name) => self.after_ident(name, pos),
            _ => {
                self.at -= 1;
                Err(self.unexpected("a property, a literal or a function"))
            }
        }
    }

    fn after_ident(&mut self, name: String, pos: usize) -> Result<Expr, Cql2Error> {
        let upper = name.to_ascii_uppercase();
        match upper.as_str() {
            "TRUE" => return Ok(Expr::Bool(true)),
            "FALSE" => return Ok(Expr::Bool(false)),
            "DATE" if self.peek() == &Tok::LParen => {
                let (s, at) = self.string_arg("DATE")?;
                return crate::date_from_str(&s).map_err(|m| err(at, m));
            }
            "TIMESTAMP" if self.peek() == &Tok::LParen => {
                let (s, at) = self.string_arg("TIMESTAMP")?;
                return crate::timestamp_from_str(&s).map_err(|m| err(at, m));
            }
            "INTERVAL" if self.peek() == &Tok::LParen => {
                self.at += 1;
                let a = self.interval_end()?;
                self.expect(&Tok::Comma, "`,` between the ends of an INTERVAL")?;
                let b = self.interval_end()?;
                self.expect(&Tok::RParen, "`)` closing the INTERVAL")?;
                return Ok(Expr::Interval(Box::new(a), Box::new(b)));
            }
            "BBOX" if self.peek() == &Tok::LParen => return self.bbox(),
            "POINT" | "LINESTRING" | "POLYGON" | "MULTIPOINT" | "MULTILINESTRING" | "MULTIPOLYGON" | "GEOMETRYCOLLECTION" => {
                return self.wkt_body(&upper, pos).map(Expr::Geometry);
            }
            kw if RESERVED.contains(&kw) => {
                return Err(err(pos, format!("expected a property, a literal or a function, found the keyword {kw}")))
            }
            _ => {}
        }
        if self.peek() != &Tok::LParen {
            return Ok(Expr::Property(name));
        }
        let Some(f) = Op::from_name(&name).filter(|f| matches!(f, Op::Casei | Op::Accenti | Op::Spatial(_) | Op::Temporal(_))) else {
            return Err(err(pos, format!("unknown function `{name}`")));
        };
        self.at += 1;
        let mut args = vec![self.operand()?];
        while self.peek() == &Tok::Comma {
            self.at += 1;
            args.push(self.operand()?);
        }
        self.expect(&Tok::RParen, &format!("`,` or `)` in {name}(…)"))?;
        let (lo, hi) = f.arity();
        if args.len() < lo || args.len() > hi {
            return Err(err(pos, format!("{name} takes {lo} argument(s), got {}", args.len())));
        }
        Ok(op(f, args))
    }

    fn interval_end(&mut self) -> Result<Expr, Cql2Error> {
        let pos = self.pos();
        match self.operand()? {
            Expr::Text(s) => crate::instant_from_str(&s).map_err(|m| err(pos, m)),
            e @ (Expr::Date(_) | Expr::Timestamp(_) | Expr::Property(_)) => Ok(e),
            _ => Err(err(pos, "an INTERVAL end must be a date, a timestamp, a property or '..'")),
        }
    }

    fn number(&mut self) -> Result<f64, Cql2Error> {
        match self.bump() {
            Tok::Num(n) => Ok(n),
            _ => {
                self.at -= 1;
                Err(self.unexpected("a number"))
            }
        }
    }

    fn bbox(&mut self) -> Result<Expr, Cql2Error> {
        let pos = self.pos();
        self.expect(&Tok::LParen, "`(`")?;
        let mut n = vec![self.number()?];
        while self.peek() == &Tok::Comma {
            self.at += 1;
            n.push(self.number()?);
        }
        self.expect(&Tok::RParen, "`)` closing the BBOX")?;
        let b = match n.as_slice() {
            [a, b, c, d] => [*a, *b, *c, *d],
            [a, b, _, d, e, _] => [*a, *b, *d, *e],
            _ => return Err(err(pos, format!("BBOX takes 4 or 6 numbers, got {}", n.len()))),
        };
        if b[0] > b[2] || b[1] > b[3] {
            return Err(err(pos, "BBOX must be (minx, miny, maxx, maxy) with min ≤ max"));
        }
        Ok(Expr::Bbox(b))
    }

    fn coord(&mut self) -> Result<Coord<f64>, Cql2Error> {
        let x = self.number()?;
        let y = self.number()?;
        // Optional Z and M values are read and dropped: predicates are 2D.
        for _ in 0..2 {
            if matches!(self.peek(), Tok::Num(_)) {
                self.at += 1;
            }
        }
        Ok(Coord { x, y })
    }

    fn coords(&mut self) -> Result<Vec<Coord<f64>>, Cql2Error> {
        self.expect(&Tok::LParen, "`(` starting a coordinate list")?;
        let mut out = vec![self.coord()?];
        while self.peek() == &Tok::Comma {
            self.at += 1;
            out.push(self.coord()?);
            self.nodes += 1;
        }
        if self.nodes > MAX_NODES {
            return Err(Cql2Error::TooLarge(format!("more than {MAX_NODES} terms")));
        }
        self.expect(&Tok::RParen, "`,` or `)` in a coordinate list")?;
        Ok(out)
    }

    fn list<T>(&mut self, item: fn(&mut Self) -> Result<T, Cql2Error>) -> Result<Vec<T>, Cql2Error> {
        self.expect(&Tok::LParen, "`(`")?;
        let mut out = vec![item(self)?];
        while self.peek() == &Tok::Comma {
            self.at += 1;
            out.push(item(self)?);
        }
        self.expect(&Tok::RParen, "`,` or `)`")?;
        Ok(out)
    }

    fn line(&mut self) -> Result<LineString<f64>, Cql2Error> {
        let pos = self.pos();
        let c = self.coords()?;
        if c.len() < 2 {
            return Err(err(pos, "a line string needs at least 2 points"));
        }
        Ok(LineString::new(c))
    }

    fn polygon(&mut self) -> Result<Polygon<f64>, Cql2Error> {
        let pos = self.pos();
        let mut rings = self.list(Self::coords)?;
        for r in &rings {
            if r.len() < 4 || r.first() != r.last() {
                return Err(err(pos, "a polygon ring needs at least 4 points and must be closed"));
            }
        }
        let outer = LineString::new(rings.remove(0));
        Ok(Polygon::new(outer, rings.into_iter().map(LineString::new).collect()))
    }

    fn multipoint_member(&mut self) -> Result<Point<f64>, Cql2Error> {
        if self.peek() == &Tok::LParen {
            self.at += 1;
            let c = self.coord()?;
            self.expect(&Tok::RParen, "`)`")?;
            Ok(Point(c))
        } else {
            Ok(Point(self.coord()?))
        }
    }

    fn any_wkt(&mut self) -> Result<Geometry<f64>, Cql2Error> {
        let pos = self.pos();
        match self.bump() {
            Tok::Ident(k) => {
                let upper = k.to_ascii_uppercase();
                self.enter()?;
                let g = self.wkt_body(&upper, pos);
                self.leave();
                g
            }
            _ => Err(err(pos, "expected a WKT geometry")),
        }
    }

    fn wkt_body(&mut self, kind: &str, pos: usize) -> Result<Geometry<f64>, Cql2Error> {
        // `POINT Z (…)`, `POINT ZM (…)`: dimension markers are accepted.
        if self.keyword("Z") || self.keyword("M") || self.keyword("ZM") {
            self.at += 1;
        }
        if self.keyword("EMPTY") {
            return Err(err(self.pos(), "empty geometries are not supported"));
        }
        Ok(match kind {
            "POINT" => {
                self.expect(&Tok::LParen, "`(` after POINT")?;
                let c = self.coord()?;
                self.expect(&Tok::RParen, "`)` closing the POINT")?;
                Geometry::Point(Point(c))
            }
            "LINESTRING" => Geometry::LineString(self.line()?),
            "POLYGON" => Geometry::Polygon(self.polygon()?),
            "MULTIPOINT" => Geometry::MultiPoint(MultiPoint(self.list(Self::multipoint_member)?)),
            "MULTILINESTRING" => Geometry::MultiLineString(MultiLineString(self.list(Self::line)?)),
            "MULTIPOLYGON" => Geometry::MultiPolygon(MultiPolygon(self.list(Self::polygon)?)),
            "GEOMETRYCOLLECTION" => Geometry::GeometryCollection(geo::GeometryCollection(self.list(Self::any_wkt)?)),
            other => return Err(err(pos, format!("`{other}` is not a WKT geometry type"))),
        })
    }
}

/// Writes an expression in the CQL2 text encoding: the inverse of
/// [`parse_text`] for every tree it returns (property names are always
/// quoted, boolean sub-expressions parenthesised).
#[must_use]
pub fn to_text(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, e);
    out
}

fn quote(out: &mut String, s: &str, q: char) {
    out.push(q);
    for c in s.chars() {
        if c == q {
            out.push(q);
        }
        out.push(c);
    }
    out.push(q);
}

fn instant_text(e: &Expr) -> Option<String> {
    match e {
        Expr::Date(d) => Some(d.format("%Y-%m-%d").to_string()),
        Expr::Timestamp(t) => Some(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        Expr::Open => Some("..".into()),
        _ => None,
    }
}

fn write_list(out: &mut String, items: &[Expr]) {
    out.push('(');
    for (i, a) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(out, a);
    }
    out.push(')');
}

fn write_expr(out: &mut String, e: &Expr) {
    match e {
        Expr::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        Expr::Number(n) => out.push_str(&n.to_string()),
        Expr::Text(s) => quote(out, s, '\''),
        Expr::Date(_) | Expr::Timestamp(_) => {
            out.push_str(if matches!(e, Expr::Date(_)) { "DATE(" } else { "TIMESTAMP(" });
            quote(out, &instant_text(e).unwrap_or_default(), '\'');
            out.push(')');
        }
        Expr::Open => quote(out, "..", '\''),
        Expr::Interval(a, b) => {
            out.push_str("INTERVAL(");
            for (i, end) in [a, b].into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match instant_text(end) {
                    Some(s) => quote(out, &s, '\''),
                    None => write_expr(out, end),
                }
            }
            out.push(')');
        }
        Expr::Geometry(g) => write_wkt(out, g),
        Expr::Bbox(b) => out.push_str(&format!("BBOX({}, {}, {}, {})", b[0], b[1], b[2], b[3])),
        Expr::Property(p) => quote(out, p, '"'),
        Expr::List(items) => write_list(out, items),
        Expr::Op { op, args } => write_op(out, *op, args),
    }
}

fn write_op(out: &mut String, op: Op, args: &[Expr]) {
    let infix = |out: &mut String, word: &str| {
        out.push('(');
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                out.push_str(word);
            }
            write_expr(out, a);
        }
        out.push(')');
    };
    match (op, args) {
        (Op::And, _) => infix(out, " AND "),
        (Op::Or, _) => infix(out, " OR "),
        (Op::Not, [a]) => {
            out.push_str("NOT ");
            write_expr(out, a);
        }
        (Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge, [_, _]) => infix(out, &format!(" {} ", op.name())),
        (Op::Like, [_, _]) => infix(out, " LIKE "),
        (Op::Between, [v, lo, hi]) => {
            out.push('(');
            write_expr(out, v);
            out.push_str(" BETWEEN ");
            write_expr(out, lo);
            out.push_str(" AND ");
            write_expr(out, hi);
            out.push(')');
        }
        (Op::In, [v, list]) => {
            out.push('(');
            write_expr(out, v);
            out.push_str(" IN ");
            match list {
                Expr::List(items) => write_list(out, items),
                other => write_list(out, std::slice::from_ref(other)),
            }
            out.push(')');
        }
        (Op::IsNull, [v]) => {
            out.push('(');
            write_expr(out, v);
            out.push_str(" IS NULL)");
        }
        _ => {
            out.push_str(&op.name().to_ascii_uppercase());
            write_list(out, args);
        }
    }
}

fn write_coords(out: &mut String, coords: impl Iterator<Item = Coord<f64>>) {
    out.push('(');
    for (i, c) in coords.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&format!("{} {}", c.x, c.y));
    }
    out.push(')');
}

fn write_polygon_body(out: &mut String, p: &Polygon<f64>) {
    out.push('(');
    write_coords(out, p.exterior().coords().copied());
    for ring in p.interiors() {
        out.push_str(", ");
        write_coords(out, ring.coords().copied());
    }
    out.push(')');
}

fn write_wkt(out: &mut String, g: &Geometry<f64>) {
    match g {
        Geometry::Point(p) => {
            out.push_str("POINT");
            write_coords(out, std::iter::once(p.0));
        }
        Geometry::Line(l) => {
            out.push_str("LINESTRING");
            write_coords(out, [l.start, l.end].into_iter());
        }
        Geometry::LineString(l) => {
            out.push_str("LINESTRING");
            write_coords(out, l.coords().copied());
        }
        Geometry::Polygon(p) => {
            out.push_str("POLYGON");
            write_polygon_body(out, p);
        }
        Geometry::MultiPoint(m) => {
            out.push_str("MULTIPOINT(");
            for (i, p) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_coords(out, std::iter::once(p.0));
            }
            out.push(')');
        }
        Geometry::MultiLineString(m) => {
            out.push_str("MULTILINESTRING(");
            for (i, l) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_coords(out, l.coords().copied());
            }
            out.push(')');
        }
        Geometry::MultiPolygon(m) => {
            out.push_str("MULTIPOLYGON(");
            for (i, p) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_polygon_body(out, p);
            }
            out.push(')');
        }
        Geometry::GeometryCollection(c) => {
            out.push_str("GEOMETRYCOLLECTION(");
            for (i, g) in c.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_wkt(out, g);
            }
            out.push(')');
        }
        Geometry::Rect(r) => write_wkt(out, &Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => write_wkt(out, &Geometry::Polygon(t.to_polygon())),
    }
}
