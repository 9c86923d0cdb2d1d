//! The label-selector lexer: turns `env in (prod, qa),!canary` into tokens, with the rules of
//! `k8s.io/apimachinery/pkg/labels` (its `Lexer`).
//!
//! ```text
//! env in (prod, qa),!canary
//!
//! Identifier "env"   In "in"   OpenPar "("   Identifier "prod"   Comma ","   Identifier "qa"
//! ClosedPar ")"   Comma ","   DoesNotExist "!"   Identifier "canary"   EndOfString ""
//! ```
//!
//! - Whitespace (space, tab, CR, LF) separates tokens and is otherwise ignored.
//! - The special symbols are `= ! ( ) , > <`; `==` and `!=` are the only two-symbol operators.
//! - Anything else up to the next special symbol or whitespace is one identifier (a key or a
//!   value), except the words `in` and `notin`, which are keywords. The parser turns them back
//!   into identifiers where a value is expected (`tier in (in)` is a valid selector).
//! - The input ends at its end or at a NUL byte (Go's lexer reads a 0 byte as "end").

/// The kinds of token. `EndOfString` is always the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

/// A token and the text it was made from (empty for `EndOfString`); error messages quote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    pub(crate) token: Token,
    pub(crate) literal: String,
}

/// Splits a selector into tokens, ending with `EndOfString`. It never fails: every special
/// symbol is an operator by itself, so any text is a sequence of tokens (the parser decides
/// whether the sequence makes sense).
pub(crate) fn tokenize(input: &str) -> Vec<Item> {
    let input = input.split('\0').next().unwrap_or_default();
    let bytes = input.as_bytes();
    let mut items = Vec::new();
    let mut pos = 0;
    loop {
        while pos < bytes.len() && is_whitespace(bytes[pos]) {
            pos += 1;
        }
        let Some(&first) = bytes.get(pos) else {
            items.push(Item {
                token: Token::EndOfString,
                literal: String::new(),
            });
            return items;
        };
        let start = pos;
        let token = if is_special_symbol(first) {
            // Longest match: the real lexer keeps reading symbols while they still form an
            // operator, and only `==` and `!=` are longer than one symbol.
            pos += if input[pos..].starts_with("==") || input[pos..].starts_with("!=") {
                2
            } else {
                1
            };
            symbol(&input[start..pos])
        } else {
            while pos < bytes.len() && !is_special_symbol(bytes[pos]) && !is_whitespace(bytes[pos])
            {
                pos += 1;
            }
            match &input[start..pos] {
                "in" => Token::In,
                "notin" => Token::NotIn,
                _ => Token::Identifier,
            }
        };
        items.push(Item {
            token,
            literal: input[start..pos].to_owned(),
        });
    }
}

/// The token of one or two special symbols (the caller only passes operators).
fn symbol(text: &str) -> Token {
    match text {
        ")" => Token::ClosedPar,
        "," => Token::Comma,
        "!" => Token::DoesNotExist,
        "==" => Token::DoubleEquals,
        "=" => Token::Equals,
        ">" => Token::GreaterThan,
        "<" => Token::LessThan,
        "!=" => Token::NotEquals,
        _ => Token::OpenPar,
    }
}

fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special_symbol(byte: u8) -> bool {
    matches!(byte, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

#[cfg(test)]
mod tests {
    use super::{Token, tokenize};

    fn tokens(input: &str) -> Vec<(Token, String)> {
        tokenize(input)
            .into_iter()
            .map(|item| (item.token, item.literal))
            .collect()
    }

    #[test]
    fn operators_keywords_and_identifiers() {
        use Token::*;
        let got: Vec<Token> = tokens("a!=b,c==d,e=f, g in (h,i) ,j notin(k),!l,m>1,n<2")
            .into_iter()
            .map(|(token, _)| token)
            .collect();
        assert_eq!(
            got,
            vec![
                Identifier,
                NotEquals,
                Identifier,
                Comma,
                Identifier,
                DoubleEquals,
                Identifier,
                Comma,
                Identifier,
                Equals,
                Identifier,
                Comma,
                Identifier,
                In,
                OpenPar,
                Identifier,
                Comma,
                Identifier,
                ClosedPar,
                Comma,
                Identifier,
                NotIn,
                OpenPar,
                Identifier,
                ClosedPar,
                Comma,
                DoesNotExist,
                Identifier,
                Comma,
                Identifier,
                GreaterThan,
                Identifier,
                Comma,
                Identifier,
                LessThan,
                Identifier,
                EndOfString,
            ]
        );
    }

    #[test]
    fn three_symbols_split_into_the_longest_operator_first() {
        let got = tokens("a!==b");
        assert_eq!(got[1], (Token::NotEquals, "!=".to_owned()));
        assert_eq!(got[2], (Token::Equals, "=".to_owned()));
    }

    #[test]
    fn a_nul_byte_ends_the_input() {
        assert_eq!(tokens("a\0b").len(), 2);
    }
}
