//! OGC CQL2 (OGC 21-065): the text and JSON encodings parsed into one
//! expression tree ([`Expr`]), and an evaluator over a feature's properties
//! and geometry. Compiling an expression to SQL is the caller's business
//! (`cityos_gis::filter` compiles it through the store's query compiler).

/// A CQL2 expression (placeholder until the parser lands).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A boolean literal.
    Bool(bool),
}

/// Why a filter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Cql2Error {
    /// Text that does not parse, with where and why.
    #[error("invalid CQL2: {0}")]
    Syntax(String),
}

/// Parses the CQL2 text encoding.
///
/// # Errors
/// [`Cql2Error::Syntax`].
pub fn parse_text(s: &str) -> Result<Expr, Cql2Error> {
    match s.trim().to_ascii_uppercase().as_str() {
        "TRUE" => Ok(Expr::Bool(true)),
        "FALSE" => Ok(Expr::Bool(false)),
        _ => Err(Cql2Error::Syntax(format!("cannot parse `{s}`"))),
    }
}

/// Parses the CQL2 JSON encoding.
///
/// # Errors
/// [`Cql2Error::Syntax`].
pub fn parse_json(v: &serde_json::Value) -> Result<Expr, Cql2Error> {
    match v {
        serde_json::Value::Bool(b) => Ok(Expr::Bool(*b)),
        other => Err(Cql2Error::Syntax(format!("cannot parse `{other}`"))),
    }
}
