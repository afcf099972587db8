//! Typed JSON columns.
//!
//! `sqlx::types::Json<T>` would be the tool, but sqlx 0.8 implements it for each database's
//! own driver and not for `Any`, which this store uses so that one set of queries speaks
//! SQLite and PostgreSQL (`sqlx-core/src/any/types` has text, blob, bool, int and float
//! only). [`Json`] is the same idea for `Any`: a `T` written as JSON text and read back
//! into a `T`, so no caller handles the text.

use serde::{de::DeserializeOwned, Serialize};
use sqlx::{
    any::{AnyTypeInfo, AnyValueRef},
    encode::IsNull,
    error::BoxDynError,
    Any, Database, Decode, Encode, Type,
};

/// A `T` stored as JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T> Type<Any> for Json<T> {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'q, T: Serialize> Encode<'q, Any> for Json<T> {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Any>>::encode(serde_json::to_string(&self.0)?, buf)
    }
}

impl<'r, T: DeserializeOwned> Decode<'r, Any> for Json<T> {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <String as Decode<'r, Any>>::decode(value)?;
        Ok(Json(serde_json::from_str(&text)?))
    }
}
