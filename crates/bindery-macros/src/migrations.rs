//! `bindery::migrations!("migrations")`: the migration files of every bind, embedded at
//! compile time. The folder is read here, each name checked by the same parser
//! `Migrator::from_dir` uses (`migration_file.rs`), and each file's text embedded with
//! `include_str!`, so that editing a file rebuilds the program. (A file added or removed
//! is seen at the next build of the crate that calls the macro, as with
//! `sqlx::migrate!`.)

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

use crate::migration_file::parse_migration_file_name;

pub(crate) fn expand(dir: &LitStr) -> syn::Result<TokenStream> {
    let error = |message: String| syn::Error::new(dir.span(), message);
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| error("CARGO_MANIFEST_DIR is not set: build with cargo".to_owned()))?;
    let root = base.join(dir.value());
    let mut files = Vec::new();
    for folder in sorted_entries(&root).map_err(&error)? {
        if !folder.is_dir() {
            continue;
        }
        let bind = file_name(&folder).map_err(&error)?;
        for file in sorted_entries(&folder).map_err(&error)? {
            let name = file_name(&file).map_err(&error)?;
            match parse_migration_file_name(&name) {
                None => continue,
                Some(Err(reason)) => {
                    return Err(error(format!("{}: {reason}", file.display())));
                }
                Some(Ok(_)) => {}
            }
            let path = file.display().to_string();
            files.push(quote! { (#bind, #name, ::core::include_str!(#path), #path) });
        }
    }
    Ok(quote! {
        ::bindery::Migrator::__embedded(&[#(#files),*])
    })
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths = entries
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    paths.sort();
    Ok(paths)
}

fn file_name(path: &Path) -> Result<String, String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("{}: the name is not UTF-8", path.display()))
}
