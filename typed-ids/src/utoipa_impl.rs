//! OpenAPI schemas for ID types, matching their serde form.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};

use crate::__private::ReprKind;
use crate::id::{Id, SerdeForm};
use crate::repr::Repr;

/// The regular expression for the plain text of a representation.
fn plain_pattern(kind: ReprKind, prefixed: bool) -> String {
    match kind {
        ReprKind::U64 | ReprKind::U32 => "[0-9]+".to_owned(),
        ReprKind::I64 => "-?[0-9]+".to_owned(),
        ReprKind::Uuid if prefixed => "[0-7][0-9a-hjkmnp-tv-z]{25}".to_owned(),
        ReprKind::Uuid => "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}".to_owned(),
        ReprKind::Str { capacity } => format!("[A-Za-z0-9._-]{{1,{capacity}}}"),
    }
}

/// The schema of `T`: an integer, a UUID string or a string with a pattern, as `T`
/// appears in JSON.
#[must_use]
pub fn schema<T: Id>() -> RefOr<Schema> {
    let kind = <T::Repr as Repr>::__KIND;
    let builder = ObjectBuilder::new();
    let builder = match (T::SERDE_FORM, kind) {
        (SerdeForm::Transparent, ReprKind::U64) => {
            builder.schema_type(Type::Integer).format(Some(SchemaFormat::Custom("uint64".to_owned()))).minimum(Some(0))
        }
        (SerdeForm::Transparent, ReprKind::I64) => {
            builder.schema_type(Type::Integer).format(Some(SchemaFormat::Custom("int64".to_owned())))
        }
        (SerdeForm::Transparent, ReprKind::U32) => builder
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::Custom("uint32".to_owned())))
            .minimum(Some(0))
            .maximum(Some(u32::MAX)),
        (SerdeForm::Transparent, ReprKind::Uuid) => {
            builder.schema_type(Type::String).format(Some(SchemaFormat::Custom("uuid".to_owned())))
        }
        (SerdeForm::Transparent, ReprKind::Str { capacity }) => builder
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(capacity))
            .pattern(Some(format!("^{}$", plain_pattern(kind, false)))),
        (SerdeForm::Prefixed, _) => {
            let pattern = match T::PREFIX {
                Some(prefix) => format!("^{prefix}_{}$", plain_pattern(kind, true)),
                None => format!("^{}$", plain_pattern(kind, false)),
            };
            builder.schema_type(Type::String).pattern(Some(pattern))
        }
    };
    let description = match T::PREFIX {
        Some(prefix) => format!("{} (text form `{prefix}_...`)", T::TYPE_NAME),
        None => T::TYPE_NAME.to_owned(),
    };
    RefOr::T(Schema::Object(builder.description(Some(description)).build()))
}
