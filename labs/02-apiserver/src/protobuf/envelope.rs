//! The envelope of a protobuf body: the magic bytes, then a `runtime.Unknown` message.
//!
//! The envelope is read by hand, straight from the protobuf wire format, because it is small
//! and shows that format plainly. A message is a sequence of fields; each field starts with a
//! *key*, a varint holding `field_number << 3 | wire_type`, followed by its value:
//!
//! ```text
//! wire type 0  varint            7 bits a byte, low bits first; the top bit says "more follows"
//! wire type 1  64-bit            8 bytes, little-endian
//! wire type 2  length-delimited  a varint length, then that many bytes (strings, bytes,
//!                                embedded messages, packed lists)
//! wire type 5  32-bit            4 bytes, little-endian
//! ```
//!
//! So `0a 0f ...` is field 1 (`0x0a >> 3`), length-delimited (`0x0a & 7 == 2`), 15 bytes long:
//! the `typeMeta` of `runtime.Unknown`. Fields a reader does not know are skipped, which is
//! how protobuf lets old readers accept messages from newer writers.

use super::ProtobufError;

/// The 4 bytes every Kubernetes protobuf body starts with (`k8s\0`), which tell it apart from
/// a bare protobuf message.
pub(crate) const MAGIC: &[u8; 4] = b"k8s\0";

/// What `runtime.Unknown` carries: the object's type and its own encoded message.
///
/// ```text
/// message Unknown {
///   optional TypeMeta typeMeta = 1;        // { 1: apiVersion, 2: kind }
///   optional bytes raw = 2;
///   optional string contentEncoding = 3;
///   optional string contentType = 4;
/// }
/// ```
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Envelope {
    /// `typeMeta.apiVersion`, e.g. `apps/v1`.
    pub(crate) api_version: String,
    /// `typeMeta.kind`, e.g. `Deployment`.
    pub(crate) kind: String,
    /// The object, encoded as the message of its kind.
    pub(crate) raw: Vec<u8>,
    /// How `raw` is encoded beyond protobuf (e.g. compressed); empty from kubectl.
    pub(crate) content_encoding: String,
    /// The media type of `raw`; empty from kubectl, meaning protobuf.
    pub(crate) content_type: String,
}

// ANCHOR: open
/// Reads the magic bytes and the `runtime.Unknown` after them.
pub(crate) fn open(body: &[u8]) -> Result<Envelope, ProtobufError> {
    // BEGIN SOLUTION step-5: strip the magic "k8s\0" (else MissingMagic), then read runtime.Unknown's fields with Fields: 1 typeMeta (itself a message: 1 apiVersion, 2 kind), 2 raw, 3 contentEncoding, 4 contentType; skip unknown field numbers
    let Some(unknown) = body.strip_prefix(MAGIC) else {
        return Err(ProtobufError::MissingMagic);
    };
    let mut envelope = Envelope::default();
    let mut fields = Fields::new(unknown);
    while let Some((number, value)) = fields.next_field()? {
        match number {
            1 => {
                let mut type_meta = Fields::new(value.bytes("typeMeta")?);
                while let Some((number, value)) = type_meta.next_field()? {
                    match number {
                        1 => envelope.api_version = value.string("typeMeta.apiVersion")?,
                        2 => envelope.kind = value.string("typeMeta.kind")?,
                        _ => {}
                    }
                }
            }
            2 => envelope.raw = value.bytes("raw")?.to_vec(),
            3 => envelope.content_encoding = value.string("contentEncoding")?,
            4 => envelope.content_type = value.string("contentType")?,
            _ => {}
        }
    }
    Ok(envelope)
    // END SOLUTION
}
// ANCHOR_END: open

/// One field's value, as the wire carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WireValue<'a> {
    /// Wire type 0: ints, bools, enums.
    Varint(u64),
    /// Wire type 1: `fixed64`, `double`.
    Fixed64(u64),
    /// Wire type 2: strings, bytes, embedded messages.
    LengthDelimited(&'a [u8]),
    /// Wire type 5: `fixed32`, `float`.
    Fixed32(u32),
}

impl<'a> WireValue<'a> {
    /// The bytes of a length-delimited field; `field` names it in the error.
    pub(crate) fn bytes(self, field: &str) -> Result<&'a [u8], ProtobufError> {
        match self {
            WireValue::LengthDelimited(bytes) => Ok(bytes),
            other => Err(ProtobufError::Envelope(format!(
                "{field} should be length-delimited, found {other:?}"
            ))),
        }
    }

    /// A length-delimited field as UTF-8 text.
    pub(crate) fn string(self, field: &str) -> Result<String, ProtobufError> {
        String::from_utf8(self.bytes(field)?.to_vec())
            .map_err(|_| ProtobufError::Envelope(format!("{field} is not valid UTF-8")))
    }
}

/// Reads the fields of one message, front to back.
#[derive(Debug)]
pub(crate) struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    /// A reader over the encoded message `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Fields { rest: bytes }
    }

    /// The next field's number and value; `None` at the end of the message.
    pub(crate) fn next_field(&mut self) -> Result<Option<(u32, WireValue<'a>)>, ProtobufError> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = u32::try_from(key >> 3)
            .ok()
            .filter(|n| *n != 0)
            .ok_or_else(|| malformed(format!("invalid field number {}", key >> 3)))?;
        let value = match key & 7 {
            0 => WireValue::Varint(self.varint()?),
            1 => WireValue::Fixed64(u64::from_le_bytes(self.take_array()?)),
            2 => {
                let len = usize::try_from(self.varint()?)
                    .map_err(|_| malformed("field length does not fit in memory".into()))?;
                WireValue::LengthDelimited(self.take(len)?)
            }
            5 => WireValue::Fixed32(u32::from_le_bytes(self.take_array()?)),
            // 3 and 4 are the start and end of proto2 "groups", which Kubernetes never uses.
            other => return Err(malformed(format!("unsupported wire type {other}"))),
        };
        Ok(Some((number, value)))
    }

    /// A varint: up to 10 bytes of 7 bits each, least significant first.
    fn varint(&mut self) -> Result<u64, ProtobufError> {
        let mut value: u64 = 0;
        for (i, byte) in self.rest.iter().take(10).enumerate() {
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.rest = &self.rest[i + 1..];
                return Ok(value);
            }
        }
        Err(malformed(if self.rest.len() < 10 {
            "truncated varint".into()
        } else {
            "varint longer than 10 bytes".into()
        }))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], ProtobufError> {
        if len > self.rest.len() {
            return Err(malformed(format!(
                "a field of {len} bytes runs past the end ({} left)",
                self.rest.len()
            )));
        }
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(taken)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], ProtobufError> {
        let bytes = self.take(N)?;
        let mut array = [0; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }
}

fn malformed(reason: String) -> ProtobufError {
    ProtobufError::Envelope(reason)
}
