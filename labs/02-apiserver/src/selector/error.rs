//! The one error type of selectors: why a `labelSelector`, a `fieldSelector` or a
//! `metav1.LabelSelector` was refused.
//!
//! The API server answers every one of them with `400 Bad Request` and the error's text as the
//! `Status` message, so the text is exactly what kube-apiserver would say (kubectl prints it after
//! `Error from server (BadRequest):`). That is why the messages keep the real server's quirks,
//! such as the `<nil>:` in front of an invalid key and the rune printed as a number.

/// A selector that cannot be used. `Display` is the message for the `Status` answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// A label selector that does not parse, or a requirement in it that is invalid (a bad key,
    /// a bad value, an unknown operator, an empty value set). Comes from a `labelSelector`
    /// string or from a `metav1.LabelSelector`.
    #[error("{message}")]
    Label {
        /// The text kube-apiserver gives for the same input.
        message: String,
    },

    /// A field selector that does not parse: a term without an operator, or a value with a bad
    /// escape sequence.
    #[error("{message}")]
    Field {
        /// The text kube-apiserver gives for the same input.
        message: String,
    },

    /// A well-formed field selector on a field this resource does not offer for selection
    /// (for pods: `field label not supported: spec.containers`).
    #[error("{message}")]
    FieldNotSupported {
        /// The text kube-apiserver gives for the same input; its wording depends on the
        /// resource, as it does in the real server.
        message: String,
    },
}

impl SelectorError {
    /// The HTTP status of every selector error: 400.
    pub fn code(&self) -> u16 {
        400
    }

    /// The `reason` of the `Status` answer: `BadRequest`.
    pub fn reason(&self) -> &'static str {
        "BadRequest"
    }
}
