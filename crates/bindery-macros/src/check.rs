//! What the derive can refuse before any code is generated. Every check runs, so the
//! user sees every mistake in one build. Checks that need a field's SQL type run later,
//! in the compiler's const evaluation (see `expand`), because the macro never guesses a
//! type from its name.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::spanned::Spanned;

use crate::ast::{Container, Field};
use crate::attr::Derive;
use crate::ctxt::Ctxt;
use crate::ident::check_identifier;

pub(crate) fn check(cx: &mut Ctxt, cont: &Container<'_>, derive: Derive) {
    check_bind(cx, cont);
    if derive == Derive::Base {
        return;
    }
    check_table_name(cx, cont);
    check_columns(cx, cont);
    check_primary_key(cx, cont);
    check_indexes(cx, cont);
}

fn check_bind(cx: &mut Ctxt, cont: &Container<'_>) {
    let attrs = &cont.attrs;
    if let (Some(key), Some(default_bind)) = (&attrs.bind_key, attrs.default_bind) {
        cx.syn_error(syn::Error::new(
            default_bind,
            format!(
                "`default_bind` contradicts `bind_key = {:?}`: a model lives in one bind",
                key.value
            ),
        ));
    }
    if let Some(key) = &attrs.bind_key
        && key.value.trim().is_empty()
    {
        cx.syn_error(syn::Error::new(
            key.span,
            "`bind_key` must not be empty; use `default_bind` for the default bind",
        ));
    }
}

fn check_table_name(cx: &mut Ctxt, cont: &Container<'_>) {
    if let Err(reason) = crate::ident::check_table_name(&cont.table) {
        let message = format!("table name {:?} is refused: {reason}", cont.table);
        match &cont.attrs.table {
            Some(table) => cx.syn_error(syn::Error::new(table.span, message)),
            None => cx.error_spanned_by(
                cont.ident,
                format!("{message}; set one with `#[model(table = \"...\")]`"),
            ),
        }
    }
}

/// The server defaults `server_default` takes, as the attribute spells them (bindery-core's
/// `ServerDefault`): a closed list, since the value is written into DDL.
pub(crate) const SERVER_DEFAULTS: [&str; 3] = ["CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME"];

/// At most one default per column, a known server default, and none on a key.
fn check_defaults(cx: &mut Ctxt, field: &Field<'_>) {
    let attrs = &field.attrs;
    let given = [
        attrs.default.as_ref().map(|d| ("default", d.span)),
        attrs
            .server_default
            .as_ref()
            .map(|d| ("server_default", d.span)),
        attrs.default_fn.as_ref().map(|d| ("default_fn", d.span)),
    ];
    let given: Vec<(&str, Span)> = given.into_iter().flatten().collect();
    if let [(first, _), (second, span), ..] = given.as_slice() {
        cx.syn_error(syn::Error::new(
            *span,
            format!(
                "field `{}` has both `{first}` and `{second}`: a column takes one default",
                field.name
            ),
        ));
    }
    if let Some(default) = &attrs.server_default
        && !SERVER_DEFAULTS
            .iter()
            .any(|name| name.eq_ignore_ascii_case(default.value.trim()))
    {
        cx.syn_error(syn::Error::new(
            default.span,
            format!(
                "server_default {:?} is not one bindery writes into DDL; it takes {}",
                default.value,
                SERVER_DEFAULTS.join(", ")
            ),
        ));
    }
    if let (Some(key), Some((name, _))) = (attrs.primary_key, given.first())
        && *name != "default"
    {
        cx.syn_error(syn::Error::new(
            key,
            format!(
                "field `{}` is a primary key: a key takes no `{name}` (a generated key is an `Option` integer key)",
                field.name
            ),
        ));
    }
}

fn check_columns(cx: &mut Ctxt, cont: &Container<'_>) {
    let mut seen: HashMap<&str, &syn::Ident> = HashMap::new();
    for field in &cont.fields {
        let attrs = &field.attrs;
        if let Some(skip) = attrs.skip {
            let others = [
                attrs.primary_key,
                attrs.column.as_ref().map(|c| c.span),
                attrs.length.as_ref().map(|l| l.span),
                attrs.decimal.as_ref().map(|d| d.span),
                attrs.unique,
                attrs.index,
                attrs.default.as_ref().map(|d| d.span),
                attrs.references.as_ref().map(|r| r.span),
                attrs.link.as_ref().map(Spanned::span),
                attrs.autoincrement.as_ref().map(|a| a.span),
                attrs.collation.as_ref().map(|c| c.span),
                attrs.server_default.as_ref().map(|d| d.span),
                attrs.default_fn.as_ref().map(|d| d.span),
            ];
            if others.iter().any(Option::is_some) {
                cx.syn_error(syn::Error::new(
                    skip,
                    format!(
                        "field `{}` is `skip`ped, so it is no column: drop its other attributes",
                        field.name
                    ),
                ));
            }
            continue;
        }
        if let Err(reason) = check_identifier(&field.column) {
            let span = attrs
                .column
                .as_ref()
                .map_or_else(|| field.ident.span(), |c| c.span);
            cx.syn_error(syn::Error::new(
                span,
                format!("column name {:?} is refused: {reason}", field.column),
            ));
        }
        if let Some(first) = seen.insert(&field.column, field.ident) {
            cx.error_spanned_by(
                field.ident,
                format!(
                    "column {:?} is declared twice, by fields `{first}` and `{}`",
                    field.column, field.name
                ),
            );
        }
        if let (Some(length), Some(_)) = (&attrs.length, &attrs.decimal) {
            cx.syn_error(syn::Error::new(
                length.span,
                "`length` and `decimal(p, s)` cannot both apply to one column",
            ));
        }
        check_defaults(cx, field);
        // The name is written into DDL unquoted on MySQL and SQLite: only a plain name.
        if let Some(collation) = &attrs.collation
            && (collation.value.is_empty()
                || !collation
                    .value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        {
            cx.syn_error(syn::Error::new(
                collation.span,
                format!(
                    "collation {:?} is refused: a collation name is ASCII letters, digits and `_`, as in `utf8mb4_bin`, `C` or `NOCASE`",
                    collation.value
                ),
            ));
        }
        if let (Some(link), Some(_)) = (&attrs.link, &attrs.references) {
            cx.error_spanned_by(
                link,
                format!(
                    "field `{}` has both `references` and `link`: a column is either a foreign key (same bind, enforced) or a link (any bind, not enforced)",
                    field.name
                ),
            );
        }
        if let Some(reference) = &attrs.references {
            let (table, column) = &reference.value;
            for part in [table, column] {
                if let Err(reason) = check_identifier(part) {
                    cx.syn_error(syn::Error::new(
                        reference.span,
                        format!("`references` names {part:?}, which is refused: {reason}"),
                    ));
                }
            }
        }
    }
}

fn check_primary_key(cx: &mut Ctxt, cont: &Container<'_>) {
    let keys: Vec<_> = cont.primary_key().collect();
    if keys.is_empty() {
        cx.error_spanned_by(
            cont.ident,
            format!(
                "model `{}` has no primary key: mark its key field(s) with `#[model(primary_key)]`",
                cont.ident
            ),
        );
    }
    for field in cont.columns() {
        let Some(auto) = &field.attrs.autoincrement else {
            continue;
        };
        if !auto.value {
            continue;
        }
        let refuse = |cx: &mut Ctxt, span: Span, why: &str| {
            cx.syn_error(syn::Error::new(
                span,
                format!("`autoincrement` on field `{}`: {why}", field.name),
            ));
        };
        if field.attrs.primary_key.is_none() {
            refuse(cx, auto.span, "only a primary-key column autoincrements");
        } else if keys.len() > 1 {
            refuse(
                cx,
                auto.span,
                "a composite primary key cannot autoincrement on every dialect (SQLite refuses)",
            );
        }
    }
}

fn check_indexes(cx: &mut Ctxt, cont: &Container<'_>) {
    let mut names = HashMap::new();
    for index in cont.indexes() {
        if let Err(reason) = check_identifier(&index.name) {
            cx.syn_error(syn::Error::new(
                index.span,
                format!("index name {:?} is refused: {reason}", index.name),
            ));
        }
        // PostgreSQL and SQLite keep index names per database: one name, one index.
        if names.insert(index.name.clone(), ()).is_some() {
            cx.syn_error(syn::Error::new(
                index.span,
                format!(
                    "index name {:?} is taken twice in model `{}`: name one yourself, with `index = \"…\"` on a field or `name = \"…\"` in `index(…)`",
                    index.name, cont.ident
                ),
            ));
        }
    }
    for index in &cont.attrs.indexes {
        for ident in &index.fields {
            match cont.field(ident) {
                None => cx.error_spanned_by(
                    ident,
                    format!("model `{}` has no field `{ident}`", cont.ident),
                ),
                Some(field) if field.attrs.skip.is_some() => cx.error_spanned_by(
                    ident,
                    format!("field `{ident}` is `skip`ped, so no index can cover it"),
                ),
                Some(_) => {}
            }
        }
    }
}
