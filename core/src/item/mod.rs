//! The item model: DynamoDB's ten attribute types ([`Value`]), items ([`Item`]), exact
//! decimal numbers ([`Number`]), and the rules every value obeys wherever it is stored.

mod check;
mod de;
mod dynamo;
mod number;
mod ser;
mod text;
mod value;

pub use check::{check_value, container_depth, MAX_NESTING};
pub use dynamo::{number_from_text, unique_set};
pub use number::{Number, NumberError};
pub use text::{ItemText, ReadItemText};
pub use value::*;
