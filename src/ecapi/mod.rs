//! The ECAPI 1.0 specification as code: objects and their members, enumerations, code lists,
//! the rules table, value checks, and the normalization used for hashing.

pub mod checks;
pub mod codes;
pub mod dialect;
pub mod event_type;
pub mod ip;
pub mod lists;
pub mod normalize;
pub mod placeholders;
pub mod plain_url;
pub mod schema;
pub mod suggest;
