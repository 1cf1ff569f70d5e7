//! The abstract base of the accounts models, in a module of its own.

use bindery::Base;

/// Flask's `__abstract__ = True` with `__bind_key__ = "auth"`: no table, only a bind.
#[derive(Debug, Base)]
#[model(bind_key = "auth")]
pub struct AuthBase;
