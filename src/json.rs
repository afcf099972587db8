//! Serde to and from the browser's JSON, in as few bytes as possible.
//!
//! The browser parses (`Response.json()`, `JSON.parse`); [`from_js`] walks the resulting
//! JavaScript value into a `kassa-wire` type. Outgoing bodies and event details are written
//! as JSON text by [`to_json`]. This does the job `serde-wasm-bindgen` did in the first
//! version, minus its error messages: nobody reads a deserialisation error here (a bad answer
//! is simply "malformed"), and dropping them lets the linker drop `core::fmt`'s float and
//! debug formatting, about a fifth of the widget's size.

use std::fmt;

use js_sys::{Array, Object};
use serde::{
    de::{self, DeserializeOwned, IntoDeserializer, Visitor},
    ser::{self, Serialize},
};
use wasm_bindgen::{JsCast, JsValue};

use crate::format::int_text;

/// A value that does not fit the expected type, or one that cannot be written as JSON.
#[derive(Debug)]
pub struct Error;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("malformed JSON")
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Error
    }
}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Error
    }
}

// ------------------------------------------------------------------ JavaScript → Rust

/// Reads a parsed JSON value (from `Response.json()` or `JSON.parse`) into `T`.
pub fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, Error> {
    T::deserialize(Js(value))
}

/// A deserializer over one JavaScript value.
struct Js(JsValue);

/// The largest integer a JavaScript number carries exactly.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

impl<'de> de::Deserializer<'de> for Js {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let v = self.0;
        if v.is_null() || v.is_undefined() {
            return visitor.visit_unit();
        }
        if let Some(b) = v.as_bool() {
            return visitor.visit_bool(b);
        }
        if let Some(n) = v.as_f64() {
            // JSON has one number type; integers go to integer visitors so that counts and
            // minor units never pass through a float.
            if n.fract() == 0.0 && n.abs() <= MAX_SAFE {
                return if n < 0.0 {
                    visitor.visit_i64(n as i64)
                } else {
                    visitor.visit_u64(n as u64)
                };
            }
            return visitor.visit_f64(n);
        }
        if let Some(s) = v.as_string() {
            return visitor.visit_string(s);
        }
        if Array::is_array(&v) {
            let array: Array = v.unchecked_into();
            let len = array.length();
            return visitor.visit_seq(Seq { array, next: 0, len });
        }
        if v.is_object() {
            let entries = Object::entries(v.unchecked_ref());
            let len = entries.length();
            return visitor.visit_map(Map { entries, next: 0, len, value: None });
        }
        Err(Error)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.0.is_null() || self.0.is_undefined() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // The contract's plain enums are strings (`"paid"`, `"stripe"`); tagged ones
        // (`Action`) go through `deserialize_any`.
        let name = self.0.as_string().ok_or(Error)?;
        visitor.visit_enum(IntoDeserializer::<Error>::into_deserializer(name))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

struct Seq {
    array: Array,
    next: u32,
    len: u32,
}

impl<'de> de::SeqAccess<'de> for Seq {
    type Error = Error;

    fn next_element_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        if self.next >= self.len {
            return Ok(None);
        }
        let item = self.array.get(self.next);
        self.next += 1;
        seed.deserialize(Js(item)).map(Some)
    }
}

struct Map {
    entries: Array,
    next: u32,
    len: u32,
    value: Option<JsValue>,
}

impl<'de> de::MapAccess<'de> for Map {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.next >= self.len {
            return Ok(None);
        }
        let pair: Array = self.entries.get(self.next).unchecked_into();
        self.next += 1;
        self.value = Some(pair.get(1));
        seed.deserialize(Js(pair.get(0))).map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(Js(self.value.take().ok_or(Error)?))
    }
}

// ------------------------------------------------------------------ Rust → JSON text

/// Writes `value` as JSON text.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let mut out = String::new();
    value.serialize(Text(&mut out))?;
    Ok(out)
}

/// Writes `value` as a plain JavaScript object (through `JSON.parse`), for event details
/// and messages.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    to_json(value).ok().and_then(|t| js_sys::JSON::parse(&t).ok()).unwrap_or(JsValue::NULL)
}

fn push_str_literal(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let n = c as u32;
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(char::from(HEX[((n >> shift) & 15) as usize]));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A serializer that appends JSON text.
struct Text<'a>(&'a mut String);

/// An open array or object; `first` tells whether a comma is needed.
struct Compound<'a> {
    out: &'a mut String,
    first: bool,
    close: char,
}

impl Compound<'_> {
    fn comma(&mut self) {
        if !std::mem::replace(&mut self.first, false) {
            self.out.push(',');
        }
    }
}

impl<'a> ser::Serializer for Text<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.0.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        if v < 0 {
            self.0.push('-');
        }
        self.0.push_str(&int_text(v.unsigned_abs()));
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.0.push_str(&int_text(v));
        Ok(())
    }
    fn serialize_f32(self, _: f32) -> Result<(), Error> {
        Err(Error)
    }
    fn serialize_f64(self, _: f64) -> Result<(), Error> {
        // Nothing the widget sends is a float; money is integers.
        Err(Error)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        push_str_literal(self.0, v);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(Error)
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.0.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(Error)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Error> {
        self.0.push('[');
        Ok(Compound { out: self.0, first: true, close: ']' })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Error)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Error> {
        self.0.push('{');
        Ok(Compound { out: self.0, first: true, close: '}' })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Error)
    }
}

impl Compound<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(Text(self.out))
    }
    fn end(self) -> Result<(), Error> {
        self.out.push(self.close);
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        // Keys must be strings; the serializer refuses to write anything else as a key.
        self.comma();
        let mut k = String::new();
        key.serialize(Text(&mut k))?;
        if !k.starts_with('"') {
            return Err(Error);
        }
        self.out.push_str(&k);
        self.out.push(':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(Text(self.out))
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.comma();
        push_str_literal(self.out, key);
        self.out.push(':');
        value.serialize(Text(self.out))
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

#[cfg(test)]
mod tests {
    use kassa_wire::{CartItem, CreateSession, CustomerDetails};

    use super::*;

    #[test]
    fn a_session_request_is_written_as_the_contract_says() {
        let body = CreateSession {
            items: vec![CartItem {
                sku: "kayak-2h".into(),
                quantity: 2,
                start_date: Some("2026-12-01".into()),
                end_date: None,
            }],
            method: "vipps".into(),
            return_url: "https://shop.example/book?x=1".into(),
            customer: CustomerDetails {
                phone: Some("+4791234567".into()),
                ..CustomerDetails::default()
            },
            locale: Some("nb-NO".into()),
        };
        assert_eq!(
            to_json(&body).unwrap(),
            r#"{"items":[{"sku":"kayak-2h","quantity":2,"start_date":"2026-12-01"}],"method":"vipps","return_url":"https://shop.example/book?x=1","customer":{"phone":"+4791234567"},"locale":"nb-NO"}"#
        );
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(to_json("a\"b\\c\nd\u{1}e\u{2028}").unwrap(), r#""a\"b\\c\nd\u0001e\u2028""#);
    }

    #[test]
    fn integers_keep_their_sign_and_floats_are_refused() {
        #[derive(serde::Serialize)]
        struct Paid {
            amount_minor: i64,
            n: u32,
        }
        assert_eq!(
            to_json(&Paid { amount_minor: -145_000, n: 0 }).unwrap(),
            r#"{"amount_minor":-145000,"n":0}"#
        );
        assert!(to_json(&1.5f64).is_err());
    }
}
