//! The label-selector parser: tokens to requirements, with the grammar and the error messages
//! of `k8s.io/apimachinery/pkg/labels` (its `Parser`).
//!
//! ```text
//! selector     ::= requirement | requirement "," selector
//! requirement  ::= ["!"] KEY [ set-based | exact-match | ordered ]
//! set-based    ::= ("in" | "notin") "(" [VALUE] { "," [VALUE] } ")"
//! exact-match  ::= ("=" | "==" | "!=") [VALUE]
//! ordered      ::= (">" | "<") VALUE
//! ```
//!
//! A KEY alone means Exists, `!KEY` means DoesNotExist. Values may be empty (`env=`,
//! `env in (,a)`); `in` and `notin` are plain values where a value is expected. Every error of a
//! single requirement is wrapped in `unable to parse requirement: `, as the real server does.

use std::collections::BTreeSet;

use super::error::SelectorError;
use super::label::{Operator, Requirement};
use super::lexer::{Item, Token, tokenize};
use super::validation::{self, BadValue};

/// Parses a whole selector into its requirements, in the order written.
pub(crate) fn parse(input: &str) -> Result<Vec<Requirement>, SelectorError> {
    Parser {
        items: tokenize(input),
        position: 0,
    }
    .parse()
}

/// Where the parser is: `in` and `notin` are keywords after a key, values anywhere else.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser {
    items: Vec<Item>,
    position: usize,
}

fn label_error(message: String) -> SelectorError {
    SelectorError::Label { message }
}

impl Parser {
    /// The current token without moving on.
    fn lookahead(&self, context: Context) -> (Token, String) {
        let item = self.items.get(self.position).or(self.items.last());
        let (token, literal) = item.map_or((Token::EndOfString, String::new()), |item| {
            (item.token, item.literal.clone())
        });
        (Self::in_context(token, context), literal)
    }

    /// The current token, moving past it (never past `EndOfString`).
    fn consume(&mut self, context: Context) -> (Token, String) {
        let item = self.lookahead(context);
        if self.position < self.items.len() {
            self.position += 1;
        }
        item
    }

    fn in_context(token: Token, context: Context) -> Token {
        match token {
            Token::In | Token::NotIn if context == Context::Values => Token::Identifier,
            token => token,
        }
    }

    /// requirement { "," requirement }, then the end.
    fn parse(&mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut requirements = Vec::new();
        loop {
            let (token, literal) = self.lookahead(Context::Values);
            match token {
                Token::Identifier | Token::DoesNotExist => {
                    let requirement = self.parse_requirement().map_err(|error| {
                        label_error(format!("unable to parse requirement: {error}"))
                    })?;
                    requirements.push(requirement);
                    let (token, literal) = self.consume(Context::Values);
                    match token {
                        Token::EndOfString => return Ok(requirements),
                        Token::Comma => {
                            let (next, literal) = self.lookahead(Context::Values);
                            if next != Token::Identifier && next != Token::DoesNotExist {
                                return Err(label_error(format!(
                                    "found '{literal}', expected: identifier after ','"
                                )));
                            }
                        }
                        _ => {
                            return Err(label_error(format!(
                                "found '{literal}', expected: ',' or 'end of string'"
                            )));
                        }
                    }
                }
                Token::EndOfString => return Ok(requirements),
                _ => {
                    return Err(label_error(format!(
                        "found '{literal}', expected: !, identifier, or 'end of string'"
                    )));
                }
            }
        }
    }

    // ANCHOR: parse_requirement
    /// One requirement: a key (with `!` or without), then, unless the key stands alone, an
    /// operator and its values. The requirement is validated by [`Requirement::new`].
    fn parse_requirement(&mut self) -> Result<Requirement, SelectorError> {
        // BEGIN SOLUTION step-3: parse one requirement: key and inferred operator; Exists/DoesNotExist take no values; otherwise read the operator, then a value set for in/notin or one exact value, and build it with Requirement::new
        let (key, inferred) = self.parse_key_and_infer_operator()?;
        if let Some(operator) = inferred {
            return Requirement::new(key, operator, Vec::new());
        }
        let operator = self.parse_operator()?;
        let values = match operator {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        Requirement::new(key, operator, values.into_iter().collect())
        // END SOLUTION
    }
    // ANCHOR_END: parse_requirement

    /// The key, after an optional `!`. Returns the operator when it is already known: `!key`
    /// is DoesNotExist, and a key followed by `,` or the end is Exists. `None` means an
    /// operator follows.
    fn parse_key_and_infer_operator(
        &mut self,
    ) -> Result<(String, Option<Operator>), SelectorError> {
        let (mut token, mut literal) = self.consume(Context::Values);
        let mut operator = None;
        if token == Token::DoesNotExist {
            operator = Some(Operator::DoesNotExist);
            (token, literal) = self.consume(Context::Values);
        }
        if token != Token::Identifier {
            return Err(label_error(format!(
                "found '{literal}', expected: identifier"
            )));
        }
        let key_errors = validation::qualified_name_errors(&literal);
        if !key_errors.is_empty() {
            // The real parser has no field path here, and Go prints the missing path as <nil>.
            return Err(label_error(validation::invalid(
                "<nil>",
                BadValue::Str(&literal),
                &key_errors.join("; "),
            )));
        }
        let (next, _) = self.lookahead(Context::Values);
        if operator.is_none() && matches!(next, Token::EndOfString | Token::Comma) {
            operator = Some(Operator::Exists);
        }
        Ok((literal, operator))
    }

    /// A binary operator: `in`, `notin`, `=`, `==`, `!=`, `>`, `<`.
    fn parse_operator(&mut self) -> Result<Operator, SelectorError> {
        let (token, literal) = self.consume(Context::KeyAndOperator);
        match token {
            Token::In => Ok(Operator::In),
            Token::Equals => Ok(Operator::Equals),
            Token::DoubleEquals => Ok(Operator::DoubleEquals),
            Token::GreaterThan => Ok(Operator::GreaterThan),
            Token::LessThan => Ok(Operator::LessThan),
            Token::NotIn => Ok(Operator::NotIn),
            Token::NotEquals => Ok(Operator::NotEquals),
            _ => Err(label_error(format!(
                "found '{literal}', expected: in, notin, =, ==, !=, gt, lt"
            ))),
        }
    }

    /// `( v1, v2, ... )`: a set, so sorted and without duplicates. `()` is the set of the
    /// empty value.
    fn parse_values(&mut self) -> Result<BTreeSet<String>, SelectorError> {
        let (token, literal) = self.consume(Context::Values);
        if token != Token::OpenPar {
            // (sic: the real message has no comma after the quote)
            return Err(label_error(format!("found '{literal}' expected: '('")));
        }
        let (token, literal) = self.lookahead(Context::Values);
        match token {
            Token::Identifier | Token::Comma => {
                let values = self.parse_identifiers_list()?;
                let (token, _) = self.consume(Context::Values);
                if token != Token::ClosedPar {
                    // (sic: the real parser quotes the token after '(' here)
                    return Err(label_error(format!("found '{literal}', expected: ')'")));
                }
                Ok(values)
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                Ok(BTreeSet::from([String::new()]))
            }
            _ => Err(label_error(format!(
                "found '{literal}', expected: ',', ')' or identifier"
            ))),
        }
    }

    /// The inside of `( ... )`, where an empty place between commas is the empty value.
    fn parse_identifiers_list(&mut self) -> Result<BTreeSet<String>, SelectorError> {
        let mut values = BTreeSet::new();
        loop {
            let (token, literal) = self.consume(Context::Values);
            match token {
                Token::Identifier => {
                    values.insert(literal);
                    let (next, literal) = self.lookahead(Context::Values);
                    match next {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(values),
                        _ => {
                            return Err(label_error(format!(
                                "found '{literal}', expected: ',' or ')'"
                            )));
                        }
                    }
                }
                Token::Comma => {
                    if values.is_empty() {
                        values.insert(String::new()); // "(,"
                    }
                    let (next, _) = self.lookahead(Context::Values);
                    if next == Token::ClosedPar {
                        values.insert(String::new()); // ",)"
                        return Ok(values);
                    }
                    if next == Token::Comma {
                        self.consume(Context::Values);
                        values.insert(String::new()); // ",,"
                    }
                }
                _ => {
                    return Err(label_error(format!(
                        "found '{literal}', expected: ',', or identifier"
                    )));
                }
            }
        }
    }

    /// The one value after `=`, `==`, `!=`, `>` or `<`; nothing (the end, or a comma) is the
    /// empty value.
    fn parse_exact_value(&mut self) -> Result<BTreeSet<String>, SelectorError> {
        let (token, _) = self.lookahead(Context::Values);
        if matches!(token, Token::EndOfString | Token::Comma) {
            return Ok(BTreeSet::from([String::new()]));
        }
        let (token, literal) = self.consume(Context::Values);
        if token == Token::Identifier {
            return Ok(BTreeSet::from([literal]));
        }
        Err(label_error(format!(
            "found '{literal}', expected: identifier"
        )))
    }
}
