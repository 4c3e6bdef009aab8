//! The projection writer's [`Value`]s as PostgreSQL parameters: integers as whatever integer
//! type the server inferred for the parameter (BIGINT in this schema), text as text, and NULL
//! for any type.

use std::error::Error;

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use crate::writer::Value;

type BoxError = Box<dyn Error + Sync + Send>;

impl ToSql for Value<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                _ => Err(format!("an integer cannot be a {ty} parameter").into()),
            },
            Value::Text(text) => {
                if <&str as ToSql>::accepts(ty) {
                    text.as_ref().to_sql(ty, out)
                } else {
                    Err(format!("text cannot be a {ty} parameter").into())
                }
            }
        }
    }

    fn accepts(_: &Type) -> bool {
        // Checked per value in `to_sql`: which types fit depends on the variant.
        true
    }

    to_sql_checked!();
}
