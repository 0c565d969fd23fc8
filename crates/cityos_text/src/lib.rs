//! Vietnamese text for search.
//!
//! Everything a search index stores and everything a user types goes through
//! [`fold`], so that "duong le loi", "Đường Lê Lợi" and the same text typed
//! with combining accents (decomposed Unicode, as some keyboards and macOS
//! file names produce) all compare equal.
//!
//! [`fts_query`] and [`pg_tsquery`] turn raw user input into full-text query
//! text for SQLite FTS5 and PostgreSQL. Their output contains only folded
//! word tokens and the handful of operator characters these functions add
//! themselves, so no character typed by a user can act as query syntax. The
//! result is still meant to be *bound* as a parameter, never spliced into SQL.
//!
//! Both query builders assume the indexed column holds [`fold`]ed text (or
//! is indexed by a tokenizer that folds the same way, e.g. FTS5
//! `unicode61 remove_diacritics 2`, which however keeps `đ` distinct from
//! `d`; storing `fold(text)` is the reliable choice).

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The most tokens [`fts_query`] and [`pg_tsquery`] put into one query.
///
/// Tokens past this many are dropped, which bounds the cost of a query built
/// from an arbitrarily long input.
pub const MAX_QUERY_TOKENS: usize = 16;

/// Returns `s` in Unicode Normalization Form C (canonical composition).
///
/// Guarantees: canonically equivalent inputs (precomposed or decomposed
/// Vietnamese, combining marks in any canonical order) give byte-identical
/// output; text is otherwise unchanged (no case or compatibility mapping).
/// Use it before storing or displaying user text.
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// Folds `s` for search comparison.
///
/// Guarantees:
/// - every diacritic is removed (the text is compatibility-decomposed and all
///   combining marks dropped), and `đ`/`Đ` become `d`, so the result for
///   Vietnamese text is plain ASCII letters, digits, punctuation and spaces;
/// - the result is lowercase;
/// - runs of whitespace (any Unicode white space, including no-break space)
///   become one ASCII space, with none at either end;
/// - precomposed and decomposed input fold to the same string, and
///   `fold(fold(s)) == fold(s)`.
///
/// Decomposition is NFKD rather than NFD so that full-width and other
/// compatibility forms typed by some input methods ("ＨＣＭ", "ﬁ") fold to
/// their plain letters too; for Vietnamese text the two are identical.
///
/// ```
/// assert_eq!(cityos_text::fold("Đường Lê Lợi"), "duong le loi");
/// assert_eq!(cityos_text::fold("  HỒ   Chí Minh "), "ho chi minh");
/// ```
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfkd() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if is_combining_mark(c) {
            continue;
        }
        // Lowercasing can itself yield combining marks (e.g. 'İ' becomes
        // "i\u{307}"), so marks are filtered again after it.
        for lower in c.to_lowercase() {
            if is_combining_mark(lower) {
                continue;
            }
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(if lower == 'đ' { 'd' } else { lower });
        }
    }
    out
}

/// Splits `s` into folded search words.
///
/// Guarantees: each token is a non-empty run of alphanumeric characters
/// (letters of any script and digits; digits are kept) taken from
/// [`fold`]`(s)`, in input order; every other character separates tokens and
/// never appears in a token.
///
/// ```
/// assert_eq!(cityos_text::tokens("Số 12, Đường Lê-Lợi!"), ["so", "12", "duong", "le", "loi"]);
/// ```
pub fn tokens(s: &str) -> Vec<String> {
    fold(s).split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

/// Words so common in citizens' reports (they are in almost every address)
/// that matching them costs a read of nearly the whole index and narrows
/// nothing: "đường" (street), "phường" (ward), "số" (number), and the city's
/// abbreviations. Search drops them when the query has any other word.
pub const COMMON_WORDS: &[&str] = &["duong", "phuong", "so", "tp", "tphcm", "hcm"];

/// The [`tokens`] of a search query worth matching: without [`COMMON_WORDS`]
/// unless nothing else is left, at most [`MAX_QUERY_TOKENS`].
///
/// ```
/// assert_eq!(cityos_text::query_tokens("Đường Lê Lợi, phường Sài Gòn"), ["le", "loi", "sai", "gon"]);
/// assert_eq!(cityos_text::query_tokens("đường"), ["duong"]);
/// ```
#[must_use]
pub fn query_tokens(user_input: &str) -> Vec<String> {
    let all = tokens(user_input);
    let significant: Vec<String> = all.iter().filter(|t| !COMMON_WORDS.contains(&t.as_str())).cloned().collect();
    let mut toks = if significant.is_empty() { all } else { significant };
    toks.truncate(MAX_QUERY_TOKENS);
    toks
}

/// Builds a SQLite FTS5 `MATCH` expression from raw user input.
///
/// Guarantees:
/// - `None` when the input has no [`tokens`];
/// - otherwise the [`query_tokens`] (common words dropped), each wrapped in double
///   quotes (an FTS5 string, so `OR`, `NEAR`, `*`, `-`, `:`, `^`,
///   parentheses and column filters typed by the user are plain words or
///   are gone), separated by single spaces (FTS5 implicit `AND`), with `*`
///   after the last one so it matches as a prefix (search as you type);
/// - tokens never contain `"`, and the quoting would double one if they did.
///
/// Bind the result as a parameter: `... WHERE t MATCH ?1`.
///
/// ```
/// assert_eq!(cityos_text::fts_query("Đường Lê Lợ").as_deref(), Some(r#""le" "lo"*"#));
/// assert_eq!(cityos_text::fts_query(" * "), None);
/// ```
pub fn fts_query(user_input: &str) -> Option<String> {
    let toks = query_tokens(user_input);
    let (last, rest) = toks.split_last()?;
    let mut q = String::new();
    for t in rest {
        push_fts_string(&mut q, t);
        q.push(' ');
    }
    push_fts_string(&mut q, last);
    q.push('*');
    Some(q)
}

fn push_fts_string(q: &mut String, token: &str) {
    q.push('"');
    q.push_str(&token.replace('"', "\"\""));
    q.push('"');
}

/// Builds the text argument of PostgreSQL `to_tsquery('simple', $1)` from raw
/// user input.
///
/// Guarantees:
/// - only tokens made entirely of ASCII `[a-z0-9]` are used (after [`fold`],
///   all Vietnamese words are); other tokens are dropped, so no tsquery
///   operator or quote can come from the input;
/// - at most [`MAX_QUERY_TOKENS`] of the [`query_tokens`], joined by ` & `, the last one
///   suffixed with `:*` (prefix match);
/// - `None` when no such token remains.
///
/// ```
/// assert_eq!(cityos_text::pg_tsquery("Đường Lê Lợi").as_deref(), Some("le & loi:*"));
/// ```
pub fn pg_tsquery(user_input: &str) -> Option<String> {
    let toks: Vec<String> =
        query_tokens(user_input).into_iter().filter(|t| t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())).collect();
    if toks.is_empty() {
        return None;
    }
    let mut q = toks.join(" & ");
    q.push_str(":*");
    Some(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Đường Lê Lợi" written with combining marks (NFD), as typed on some
    /// keyboards.
    const DECOMPOSED: &str = "\u{110}u\u{31b}o\u{31b}\u{300}ng Le\u{302} Lo\u{31b}\u{323}i";

    #[test]
    fn nfc_composes_decomposed_vietnamese() {
        assert_eq!(nfc(DECOMPOSED), "Đường Lê Lợi");
        assert_eq!(nfc("Đường Lê Lợi"), "Đường Lê Lợi");
        assert_ne!(DECOMPOSED, "Đường Lê Lợi");
        assert_eq!(DECOMPOSED, "Đường Lê Lợi".nfd().collect::<String>());
    }

    #[test]
    fn nfc_keeps_case_and_compatibility_forms() {
        assert_eq!(nfc("ＨỒ ﬁ"), "ＨỒ ﬁ");
    }

    #[test]
    fn fold_examples_from_spec() {
        assert_eq!(fold("Đường Lê Lợi"), "duong le loi");
        assert_eq!(fold("  HỒ   Chí Minh "), "ho chi minh");
    }

    #[test]
    fn plain_ascii_query_matches_accented_text() {
        assert_eq!(fold("duong le loi"), fold("Đường Lê Lợi"));
        assert_eq!(fold("DUONG LE LOI"), fold("đường lê lợi"));
    }

    #[test]
    fn fold_decomposed_equals_precomposed() {
        assert_eq!(fold(DECOMPOSED), "duong le loi");
        assert_eq!(fold(DECOMPOSED), fold("Đường Lê Lợi"));
    }

    #[test]
    fn fold_d_with_stroke_both_cases() {
        assert_eq!(fold("ĐĐđđ"), "dddd");
        assert_eq!(fold("ĐÀ NẴNG"), "da nang");
        assert_eq!(fold("Đắk Lắk"), "dak lak");
    }

    #[test]
    fn fold_all_vietnamese_vowels() {
        let upper = "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ";
        let folded = fold(upper);
        assert!(folded.chars().all(|c| "aeiouy".contains(c)), "{folded}");
        assert_eq!(fold(&upper.to_lowercase()), folded);
        assert_eq!(folded.len(), upper.chars().count());
    }

    #[test]
    fn fold_collapses_all_whitespace_kinds() {
        assert_eq!(fold("\tQuận\u{a0}1 \n\r Phường\u{3000}Bến Nghé  "), "quan 1 phuong ben nghe");
        assert_eq!(fold("   "), "");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn fold_handles_compatibility_and_special_case_mappings() {
        assert_eq!(fold("ＨＣＭ"), "hcm");
        assert_eq!(fold("İstanbul"), "istanbul");
        assert_eq!(fold("ﬁ"), "fi");
    }

    #[test]
    fn fold_is_idempotent() {
        for s in ["Đường Lê Lợi", DECOMPOSED, "  HỒ   Chí Minh ", "a\" OR 1=1 --", "İ ß Σ"] {
            let once = fold(s);
            assert_eq!(fold(&once), once, "{s:?}");
        }
    }

    #[test]
    fn tokens_split_on_punctuation_and_keep_digits() {
        assert_eq!(tokens("Số 12, Đường Lê-Lợi!"), ["so", "12", "duong", "le", "loi"]);
        assert_eq!(tokens("Q.1/P.Bến Nghé"), ["q", "1", "p", "ben", "nghe"]);
        assert_eq!(tokens("123/45A"), ["123", "45a"]);
        assert!(tokens(" ,.;!? ").is_empty());
    }

    #[test]
    fn fts_query_quotes_tokens_and_prefixes_last() {
        assert_eq!(fts_query("Đường Lê Lợi").as_deref(), Some(r#""le" "loi"*"#));
        assert_eq!(fts_query(DECOMPOSED).as_deref(), Some(r#""le" "loi"*"#));
        assert_eq!(fts_query("duong").as_deref(), Some(r#""duong"*"#));
    }

    #[test]
    fn fts_query_none_without_tokens() {
        assert_eq!(fts_query(""), None);
        assert_eq!(fts_query("*"), None);
        assert_eq!(fts_query(" \" ' -- ( ) "), None);
    }

    /// Every character outside quoted strings must be a space or the single
    /// trailing `*`; inside quotes only token characters may appear.
    fn assert_inert_fts(q: &str) {
        let mut in_string = false;
        for (i, c) in q.char_indices() {
            if c == '"' {
                in_string = !in_string;
            } else if in_string {
                assert!(c.is_alphanumeric(), "{q:?}: unexpected {c:?} in string");
            } else {
                let trailing_star = c == '*' && i == q.len() - 1;
                assert!(c == ' ' || trailing_star, "{q:?}: bare {c:?} outside a string");
            }
        }
        assert!(!in_string, "{q:?}: unterminated string");
    }

    #[test]
    fn fts_query_injection_input_is_inert() {
        let q = fts_query("a\" OR 1=1 --");
        assert_eq!(q.as_deref(), Some(r#""a" "or" "1" "1"*"#));
        assert_eq!(fts_query("NEAR(").as_deref(), Some(r#""near"*"#));
        assert_eq!(fts_query("NEAR(a b, 2)").as_deref(), Some(r#""near" "a" "b" "2"*"#));
        assert_eq!(fts_query("title:x^ -y").as_deref(), Some(r#""title" "x" "y"*"#));
        for input in
            ["a\" OR 1=1 --", "*", "NEAR(", "\"\"\"", "'); DROP TABLE reports; --", "x AND NOT y OR {col}: z*", "Đường \"Lê\" Lợi*"]
        {
            if let Some(q) = fts_query(input) {
                assert_inert_fts(&q);
            }
        }
    }

    #[test]
    fn fts_query_caps_token_count() {
        let input = "w ".repeat(100);
        let q = fts_query(&input).unwrap_or_default();
        assert_eq!(q.matches('"').count(), 2 * MAX_QUERY_TOKENS);
        assert!(q.ends_with('*'));
    }

    #[test]
    fn pg_tsquery_examples() {
        assert_eq!(pg_tsquery("Đường Lê Lợi").as_deref(), Some("le & loi:*"));
        assert_eq!(pg_tsquery("duong").as_deref(), Some("duong:*"));
        assert_eq!(pg_tsquery("Số 12").as_deref(), Some("12:*"), "common words go when others remain");
        assert_eq!(pg_tsquery(DECOMPOSED).as_deref(), Some("le & loi:*"));
    }

    #[test]
    fn pg_tsquery_injection_input_is_inert() {
        assert_eq!(pg_tsquery("a' | !b & (c:*"), Some("a & b & c:*".to_owned()));
        assert_eq!(pg_tsquery("a\" OR 1=1 --").as_deref(), Some("a & or & 1 & 1:*"));
        assert_eq!(pg_tsquery("*"), None);
        assert_eq!(pg_tsquery("NEAR(").as_deref(), Some("near:*"));
        assert_eq!(pg_tsquery("!&|<->:*()'\\"), None);
        // Non-ASCII tokens (after folding) are dropped rather than passed on.
        assert_eq!(pg_tsquery("北京 ha noi ß"), Some("ha & noi:*".to_owned()));
        assert_eq!(pg_tsquery("北京"), None);
        let q = pg_tsquery(&"w ".repeat(100)).unwrap_or_default();
        assert_eq!(q.matches('w').count(), MAX_QUERY_TOKENS);
    }
}
