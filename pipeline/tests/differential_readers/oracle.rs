//! The oracle side: every string a real parser reads.

use std::fmt;

use assetry_pipeline::extract::{is_uuid, path_extension};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// A string as a serde deserializer hands it over: a map key or a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seen {
    Key(String),
    Value(String),
}

/// Collects every string of a document, in order, through `deserialize_any`
/// (a `Value` type would drop duplicate keys and reorder maps).
struct Collect<'a> {
    out: &'a mut Vec<Seen>,
    key: bool,
}

impl<'de> DeserializeSeed<'de> for Collect<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Collect<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("anything")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.out.push(if self.key { Seen::Key(v.to_owned()) } else { Seen::Value(v.to_owned()) });
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i128<E>(self, _: i128) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u128<E>(self, _: u128) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_char<E>(self, _: char) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(Collect { out: self.out, key: false })
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(Collect { out: self.out, key: false })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Collect { out: &mut *self.out, key: false })?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Collect { out: &mut *self.out, key: true })?.is_some() {
            map.next_value_seed(Collect { out: &mut *self.out, key: false })?;
        }
        Ok(())
    }
}

pub(crate) fn serde_json_strings(text: &str) -> Result<Vec<Seen>, serde_json::Error> {
    let mut out = Vec::new();
    let mut d = serde_json::Deserializer::from_str(text);
    Collect { out: &mut out, key: false }.deserialize(&mut d)?;
    d.end()?;
    Ok(out)
}

pub(crate) fn ron_strings(text: &str) -> Result<Vec<Seen>, ron::error::SpannedError> {
    let mut out = Vec::new();
    let mut d = ron::Deserializer::from_str(text)?;
    Collect { out: &mut out, key: false }.deserialize(&mut d).map_err(|e| d.span_error(e))?;
    d.end().map_err(|e| d.span_error(e))?;
    Ok(out)
}

/// The rule the extractors apply to a data-file string value.
pub(crate) fn candidate(s: &str) -> bool {
    is_uuid(s) || path_extension(s).is_some()
}
