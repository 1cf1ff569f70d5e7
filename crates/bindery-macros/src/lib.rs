//! The derives behind [bindery](https://docs.rs/bindery): `#[derive(Model)]` and
//! `#[derive(Base)]`. Use them through the `bindery` crate, which documents their
//! attributes; the code they write names `::bindery::__private` only (or
//! `path::__private` under `#[model(crate = path)]`).

mod ast;
mod attr;
mod case;
mod check;
mod ctxt;
mod expand;
// The identifier rules of `bindery-core`, compiled here from the same file (a symlink,
// as serde_derive_internals shares serde_derive's code: `cargo package` copies the file
// in) so that the derive needs no `bindery-core`, and with it no sea-query or linkme.
// Its items are `pub` for `bindery-core`'s API, not for this crate.
#[allow(unreachable_pub)]
mod ident;
// The migration file names of `bindery-core`, compiled here from the same file (a
// symlink, as `ident.rs` is), so that the macro refuses the names `from_dir` refuses.
#[allow(unreachable_pub, dead_code)]
mod migration_file;
mod migrations;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

use crate::attr::Derive;

/// Derives `bindery::Model` (and `bindery::Bind`) for a struct: see the `bindery` crate.
#[proc_macro_derive(Model, attributes(model))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input, Derive::Model)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `bindery::Bind` for an abstract base that only carries a bind key: see the
/// `bindery` crate.
#[proc_macro_derive(Base, attributes(model))]
pub fn derive_base(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input, Derive::Base)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Embeds the migration files of every bind at compile time: `bindery::migrations!("migrations")`
/// reads `<crate>/migrations/<bind>/<version>_<name>.{up,down}.sql` (the default bind's
/// under `default/`) and is a `bindery::Migrator`. A `.sql` file whose name is not a
/// migration's is a compile error.
#[proc_macro]
pub fn migrations(input: TokenStream) -> TokenStream {
    let dir = parse_macro_input!(input as syn::LitStr);
    migrations::expand(&dir)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
