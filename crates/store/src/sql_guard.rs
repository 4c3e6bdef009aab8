//! The first gate of operator queries: one statement, and it must start as a read.
//!
//! This is a lexical check shared by every backend, so they refuse the same texts with
//! [`StoreError::NotReadOnly`]. It is not the whole defence: the SQLite backend also runs the
//! statement on a read-only connection and asks SQLite whether the compiled statement writes.

use crate::StoreError;

/// The words an operator query may start with.
const READ_KEYWORDS: [&str; 3] = ["select", "with", "values"];

/// Refuses anything but a single statement that starts with a read keyword. Text after the
/// first `;` may only be whitespace, comments or more `;`.
pub(crate) fn check_single_read(sql: &str) -> Result<(), StoreError> {
    let mut lexer = Lexer {
        bytes: sql.as_bytes(),
        at: 0,
    };
    lexer.skip_blanks();
    let start = lexer.at;
    while lexer.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
        lexer.at += 1;
    }
    let first = &sql[start..lexer.at];
    if !READ_KEYWORDS.iter().any(|k| first.eq_ignore_ascii_case(k)) {
        return Err(StoreError::NotReadOnly);
    }
    if lexer.skip_to_statement_end() {
        lexer.skip_blanks_and_semicolons();
        if lexer.peek().is_some() {
            return Err(StoreError::NotReadOnly);
        }
    }
    Ok(())
}

struct Lexer<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn starts_with(&self, s: &[u8]) -> bool {
        self.bytes[self.at..].starts_with(s)
    }

    /// Skips whitespace and comments.
    fn skip_blanks(&mut self) {
        loop {
            match self.peek() {
                Some(b) if b.is_ascii_whitespace() => self.at += 1,
                _ if self.starts_with(b"--") => self.skip_past(b"\n"),
                _ if self.starts_with(b"/*") => {
                    self.at += 2;
                    self.skip_past(b"*/");
                }
                _ => return,
            }
        }
    }

    fn skip_blanks_and_semicolons(&mut self) {
        loop {
            self.skip_blanks();
            if self.peek() != Some(b';') {
                return;
            }
            self.at += 1;
        }
    }

    /// Moves past the next `needle`, or to the end.
    fn skip_past(&mut self, needle: &[u8]) {
        match self.bytes[self.at..].windows(needle.len()).position(|w| w == needle) {
            Some(i) => self.at += i + needle.len(),
            None => self.at = self.bytes.len(),
        }
    }

    /// Moves to just past the first `;` outside strings, quoted names and comments. Returns
    /// whether there was one.
    fn skip_to_statement_end(&mut self) -> bool {
        while let Some(b) = self.peek() {
            match b {
                b';' => {
                    self.at += 1;
                    return true;
                }
                b'\'' | b'"' | b'`' => {
                    self.at += 1;
                    self.skip_past(&[b]);
                }
                b'[' => {
                    self.at += 1;
                    self.skip_past(b"]");
                }
                b'-' if self.starts_with(b"--") => self.skip_past(b"\n"),
                b'/' if self.starts_with(b"/*") => {
                    self.at += 2;
                    self.skip_past(b"*/");
                }
                _ => self.at += 1,
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_single_reads_and_refuses_the_rest() {
        let cases: &[(&str, bool)] = &[
            ("SELECT 1", true),
            ("  select * from accounts;", true),
            ("-- who owes\nSELECT 1; -- done", true),
            ("/* a */ WITH x AS (SELECT 1) SELECT * FROM x;;", true),
            ("VALUES (1)", true),
            ("SELECT ';DELETE FROM t'", true),
            ("SELECT \"a;b\" FROM t", true),
            ("SELECT [a;b] FROM t", true),
            ("SELECT 'it''s; fine'", true),
            ("SELECT 1 /* ; DELETE */", true),
            ("", false),
            ("   ", false),
            ("INSERT INTO t VALUES (1)", false),
            ("DELETE FROM accounts", false),
            ("UPDATE accounts SET dpd = 0", false),
            ("DROP TABLE accounts", false),
            ("PRAGMA query_only = 0", false),
            ("ATTACH 'x.db' AS x", false),
            ("BEGIN", false),
            ("SELECT 1; SELECT 2", false),
            ("SELECT 1; DELETE FROM accounts", false),
            ("SELECT 1;; -- x\n DROP TABLE t", false),
            ("selectx 1", false),
        ];
        for (sql, ok) in cases {
            assert_eq!(check_single_read(sql).is_ok(), *ok, "{sql:?}");
        }
    }
}
