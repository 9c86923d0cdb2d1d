//! The query string of a request (`?limit=2&continue=...&fieldValidation=Strict`), for the
//! REST verbs and the node proxy alike.

use percent_encoding::percent_decode_str;

use crate::status::Status;

/// The decoded `name=value` pairs of a query string, in order.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Splits on `&` and `=`, then decodes `+` as a space and `%XX` escapes, as HTML forms
    /// (and Go's `url.ParseQuery`) do.
    pub fn parse(raw: &str) -> Self {
        let decode = |text: &str| {
            percent_decode_str(&text.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        let pairs = raw
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) => (decode(name), decode(value)),
                None => (decode(pair), String::new()),
            })
            .collect();
        Query { pairs }
    }

    /// The first value of `name`, if the parameter is there.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The first value of `name`, treating an empty value as absent.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|value| !value.is_empty())
    }

    /// True when `name` is `true` (or `1`, `t`, ...), as Go's `strconv.ParseBool` reads it.
    pub fn flag(&self, name: &str) -> bool {
        matches!(
            self.get(name),
            Some("true" | "1" | "True" | "TRUE" | "t" | "T")
        )
    }

    /// Every value of `name`, in order (exec repeats `command` once per argument:
    /// `?command=ls&command=-l`).
    pub fn all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + use<'a> {
        let name = name.to_string();
        self.pairs
            .iter()
            .filter(move |(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The value of `name` as an integer (`None` when absent or empty); anything else is a
    /// 400 BadRequest that says which parameter.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, Status> {
        let Some(text) = self.non_empty(name) else {
            return Ok(None);
        };
        text.parse().map(Some).map_err(|_| {
            Status::bad_request(format!(
                "invalid value for {name}: \"{text}\" is not an integer"
            ))
        })
    }
}
