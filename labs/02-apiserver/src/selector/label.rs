//! Label selectors: requirements on an object's labels, how they match, and how they print.
//!
//! A selector is a list of requirements that must all hold (an AND; there is no OR). Each
//! requirement names one label key and an operator:
//!
//! | written            | operator       | matches an object whose labels...                  |
//! | ------------------ | -------------- | -------------------------------------------------- |
//! | `env=prod`, `==`   | Equals         | have `env` with the value `prod`                   |
//! | `env!=prod`        | NotEquals      | have no `env`, or `env` with another value         |
//! | `env in (a,b)`     | In             | have `env` with one of the values                  |
//! | `env notin (a,b)`  | NotIn          | have no `env`, or `env` with none of the values    |
//! | `env`              | Exists         | have `env` (any value)                             |
//! | `!env`             | DoesNotExist   | have no `env`                                      |
//! | `gen>5`, `gen<5`   | GreaterThan... | have `gen`, an integer greater (less) than 5       |
//!
//! The two negative operators match objects *without* the key: `env!=prod` selects the pods
//! that have no `env` label at all. That surprises people, and it is what Kubernetes does
//! (`labels.Requirement.Matches`).
//!
//! Two selectors are special. The *empty* selector (no requirements; the empty string, or an
//! empty `metav1.LabelSelector`) matches everything. The *nothing* selector (from a missing,
//! `null` `metav1.LabelSelector`) matches no object at all, so that a controller whose selector
//! was forgotten adopts nothing rather than everything.

use std::collections::BTreeMap;
use std::fmt;

use super::error::SelectorError;
use super::parser;
use super::validation::{self, BadValue};

/// An object's labels, key to value.
pub type Labels = BTreeMap<String, String>;

/// How a requirement relates its key to its values (`selection.Operator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `key=value`.
    Equals,
    /// `key==value`: the same as `Equals`, kept apart so the selector prints back as written.
    DoubleEquals,
    /// `key!=value`; also true when the key is missing.
    NotEquals,
    /// `key in (v1,v2)`.
    In,
    /// `key notin (v1,v2)`; also true when the key is missing.
    NotIn,
    /// `key`: the key is present.
    Exists,
    /// `!key`: the key is absent.
    DoesNotExist,
    /// `key>n`: the key's value is an integer greater than `n`.
    GreaterThan,
    /// `key<n`: the key's value is an integer less than `n`.
    LessThan,
}

impl Operator {
    /// The operator's name in Kubernetes (`selection.Operator`), as error messages list it.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => "in",
            Operator::NotIn => "notin",
            Operator::Exists => "exists",
            Operator::DoesNotExist => "!",
            Operator::GreaterThan => "gt",
            Operator::LessThan => "lt",
        }
    }
}

/// One condition on one label key. Built only through [`Requirement::new`], which validates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    operator: Operator,
    /// One value for the exact-match and Gt/Lt operators, at least one for In/NotIn, none for
    /// Exists/DoesNotExist.
    values: Vec<String>,
}

impl Requirement {
    /// Builds a requirement, checking it as `labels.NewRequirement` does: a valid key, the
    /// number of values the operator needs, integers for Gt/Lt, and valid label values. The
    /// error is the real server's text (several problems are listed as `[a, b]`).
    pub fn new(
        key: impl Into<String>,
        operator: Operator,
        values: Vec<String>,
    ) -> Result<Requirement, SelectorError> {
        let key = key.into();
        let mut errors = Vec::new();
        let key_errors = validation::qualified_name_errors(&key);
        if !key_errors.is_empty() {
            errors.push(validation::invalid(
                "key",
                BadValue::Str(&key),
                &key_errors.join("; "),
            ));
        }
        let list = BadValue::List(&values);
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => {
                errors.push(validation::invalid(
                    "values",
                    list,
                    "for 'in', 'notin' operators, values set can't be empty",
                ))
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals
                if values.len() != 1 =>
            {
                errors.push(validation::invalid(
                    "values",
                    list,
                    "exact-match compatibility requires one single value",
                ));
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                errors.push(validation::invalid(
                    "values",
                    list,
                    "values set must be empty for exists and does not exist",
                ));
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    errors.push(validation::invalid(
                        "values",
                        list,
                        "for 'Gt', 'Lt' operators, exactly one value is required",
                    ));
                }
                for (i, value) in values.iter().enumerate() {
                    if value.parse::<i64>().is_err() {
                        errors.push(validation::invalid(
                            &format!("values[{i}]"),
                            BadValue::Str(value),
                            "for 'Gt', 'Lt' operators, the value must be an integer",
                        ));
                    }
                }
            }
            _ => {}
        }
        for (i, value) in values.iter().enumerate() {
            let value_errors = validation::label_value_errors(value);
            if !value_errors.is_empty() {
                errors.push(validation::invalid(
                    &format!("values[{i}][{key}]"),
                    BadValue::Str(value),
                    &value_errors.join("; "),
                ));
            }
        }
        match validation::aggregate(errors) {
            Some(message) => Err(SelectorError::Label { message }),
            None => Ok(Requirement {
                key,
                operator,
                values,
            }),
        }
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values (empty for Exists and DoesNotExist).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    // ANCHOR: requirement_matches
    /// Whether `labels` satisfy this requirement (`labels.Requirement.Matches`).
    pub fn matches(&self, labels: &Labels) -> bool {
        // BEGIN SOLUTION step-3: match one requirement: In/=/== need the key with one of the values; NotIn/!= hold when the key is missing or its value is not listed; Exists/DoesNotExist test presence; Gt/Lt compare integers and fail on a missing or non-integer value
        let value = labels.get(&self.key);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                value.is_some_and(|value| self.values.contains(value))
            }
            Operator::NotIn | Operator::NotEquals => {
                value.is_none_or(|value| !self.values.contains(value))
            }
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(Ok(actual)) = value.map(|value| value.parse::<i64>()) else {
                    return false;
                };
                let [bound] = self.values.as_slice() else {
                    return false;
                };
                let Ok(bound) = bound.parse::<i64>() else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    actual > bound
                } else {
                    actual < bound
                }
            }
        }
        // END SOLUTION
    }
    // ANCHOR_END: requirement_matches
}

/// Prints the requirement the way Kubernetes does: `!key`, `key`, `key=v`, `key in (a,b)`,
/// with the values of a set sorted.
impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let operator = match self.operator {
            Operator::DoesNotExist => return write!(f, "!{}", self.key),
            Operator::Exists => return write!(f, "{}", self.key),
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => " in ",
            Operator::NotIn => " notin ",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
        };
        let mut values: Vec<&str> = self.values.iter().map(String::as_str).collect();
        values.sort_unstable();
        let values = values.join(",");
        if matches!(self.operator, Operator::In | Operator::NotIn) {
            write!(f, "{}{operator}({values})", self.key)
        } else {
            write!(f, "{}{operator}{values}", self.key)
        }
    }
}

/// A label selector: requirements that must all hold, or the selector that matches nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Matches no object (from a `null` `metav1.LabelSelector`: `labels.Nothing()`).
    Nothing,
    /// Matches the objects that satisfy every requirement; with none, every object.
    /// The requirements are kept sorted by key, as Kubernetes keeps them.
    Requirements(Vec<Requirement>),
}

impl Selector {
    /// The selector that matches every object (no requirements).
    pub fn everything() -> Selector {
        Selector::Requirements(Vec::new())
    }

    /// Parses a selector string such as `app=web,tier notin (db),!canary` (`labels.Parse`).
    /// The empty string is [`Selector::everything`].
    pub fn parse(input: &str) -> Result<Selector, SelectorError> {
        Ok(Selector::from_requirements(parser::parse(input)?))
    }

    /// The selector of a plain label map, such as a Service's `spec.selector` or a pod's
    /// `nodeSelector`: `key=value` for each entry (`labels.SelectorFromSet`). An empty map
    /// selects everything. Like Kubernetes, it does not validate: the map came from an object
    /// that was validated when it was stored.
    pub fn from_set(labels: &Labels) -> Selector {
        Selector::Requirements(
            labels
                .iter()
                .map(|(key, value)| Requirement {
                    key: key.clone(),
                    operator: Operator::Equals,
                    values: vec![value.clone()],
                })
                .collect(),
        )
    }

    /// A selector of these requirements, sorted by key (stably, so two requirements on one
    /// key keep their order).
    pub fn from_requirements(mut requirements: Vec<Requirement>) -> Selector {
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Selector::Requirements(requirements)
    }

    /// Whether the selector matches every object.
    pub fn is_everything(&self) -> bool {
        matches!(self, Selector::Requirements(requirements) if requirements.is_empty())
    }

    /// The requirements (none for both special selectors).
    pub fn requirements(&self) -> &[Requirement] {
        match self {
            Selector::Nothing => &[],
            Selector::Requirements(requirements) => requirements,
        }
    }

    /// Whether an object with these labels is selected: every requirement holds.
    pub fn matches(&self, labels: &Labels) -> bool {
        match self {
            Selector::Nothing => false,
            Selector::Requirements(requirements) => requirements
                .iter()
                .all(|requirement| requirement.matches(labels)),
        }
    }
}

/// The canonical text (`Selector.String()`): requirements sorted by key and joined by commas;
/// both special selectors print as the empty string.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, requirement) in self.requirements().iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{requirement}")?;
        }
        Ok(())
    }
}
