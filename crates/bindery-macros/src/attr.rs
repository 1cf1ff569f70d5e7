//! The `#[model(...)]` attributes, parsed into plain values. Unknown or malformed
//! attributes are recorded in the [`Ctxt`] and parsing goes on, so every mistake shows.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned as _;
use syn::{Attribute, Expr, ExprLit, ExprUnary, Lit, LitInt, LitStr, Path, UnOp};

use crate::ctxt::Ctxt;

/// The attribute name, on the struct and on its fields.
pub(crate) const MODEL: &str = "model";

/// A value with the span of the attribute that set it, for errors that point there.
#[derive(Clone)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

/// Attributes on the struct (for `Base`, only the bind attributes are allowed).
#[derive(Default)]
pub(crate) struct ContainerAttrs {
    pub(crate) table: Option<Spanned<String>>,
    pub(crate) bind_key: Option<Spanned<String>>,
    pub(crate) parent: Option<Path>,
    pub(crate) default_bind: Option<Span>,
    /// `index(a, b)` and `unique(a, b)`, in order, each with its `name = "…"` if given.
    pub(crate) indexes: Vec<StructIndex>,
    /// `crate = path`: where the generated code finds bindery, for a renamed dependency
    /// or a facade that re-exports it.
    pub(crate) krate: Option<Path>,
}

/// `index(a, b)` or `unique(a, b, name = "…")` on the struct.
pub(crate) struct StructIndex {
    pub(crate) unique: bool,
    pub(crate) fields: Vec<syn::Ident>,
    pub(crate) name: Option<Spanned<String>>,
    pub(crate) span: Span,
}

/// Attributes on one field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) primary_key: Option<Span>,
    pub(crate) column: Option<Spanned<String>>,
    pub(crate) length: Option<Spanned<u32>>,
    pub(crate) decimal: Option<Spanned<(u8, u8)>>,
    pub(crate) unique: Option<Span>,
    pub(crate) index: Option<Span>,
    /// `index = "name"`: the index's own name instead of `ix_<table>_<column>`.
    pub(crate) index_name: Option<Spanned<String>>,
    pub(crate) default: Option<Spanned<DefaultValue>>,
    pub(crate) references: Option<Spanned<(String, String)>>,
    /// `link = path::Model`: a declared reference to that model's key, not a foreign key.
    pub(crate) link: Option<Path>,
    pub(crate) autoincrement: Option<Spanned<bool>>,
    pub(crate) collation: Option<Spanned<String>>,
    /// `server_default = "CURRENT_TIMESTAMP"`: a default the database computes.
    pub(crate) server_default: Option<Spanned<String>>,
    /// `default_fn = path`: a function whose value fills a `None` when the row is queued.
    pub(crate) default_fn: Option<Spanned<Path>>,
    pub(crate) skip: Option<Span>,
}

/// A literal column default.
#[derive(Clone)]
pub(crate) enum DefaultValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

/// Which derive is reading the struct attributes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Derive {
    Model,
    Base,
}

/// Calls `parse` on each item of each `#[model(...)]` attribute. A syntax error is
/// recorded and ends that attribute only, so the others are still read.
fn for_each_item(
    cx: &mut Ctxt,
    attrs: &[Attribute],
    mut parse: impl FnMut(&mut Ctxt, &ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident(MODEL)) {
        if let Err(error) = attr.parse_nested_meta(|meta| parse(cx, &meta)) {
            cx.syn_error(error);
        }
    }
}

/// Records an unknown attribute (`what` is "model" or "field") and steps over its value.
fn unknown(cx: &mut Ctxt, meta: &ParseNestedMeta<'_>, what: &str, expected: &str) {
    cx.error_spanned_by(
        &meta.path,
        format!(
            "unknown {what} attribute `{}`; expected {expected}",
            path_name(&meta.path)
        ),
    );
    skip_value(meta);
}

/// Consumes the rest of an unknown meta item, so parsing can go on past it.
fn skip_value(meta: &ParseNestedMeta<'_>) {
    if meta.input.peek(syn::Token![=]) {
        let _ = meta.value().and_then(|v| v.parse::<Expr>());
    } else if meta.input.peek(syn::token::Paren) {
        let _ = meta.parse_nested_meta(|inner| {
            skip_value(&inner);
            Ok(())
        });
    }
}

fn set_once<T>(cx: &mut Ctxt, slot: &mut Option<T>, value: T, meta: &ParseNestedMeta<'_>) {
    if slot.is_some() {
        let name = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        cx.error_spanned_by(&meta.path, format!("duplicate `{name}` attribute"));
    } else {
        *slot = Some(value);
    }
}

fn lit_str(meta: &ParseNestedMeta<'_>) -> syn::Result<Spanned<String>> {
    let lit: LitStr = meta.value()?.parse()?;
    Ok(Spanned {
        value: lit.value(),
        span: lit.span(),
    })
}

impl ContainerAttrs {
    pub(crate) fn parse(cx: &mut Ctxt, attrs: &[Attribute], derive: Derive) -> ContainerAttrs {
        let mut out = ContainerAttrs::default();
        for_each_item(cx, attrs, |cx, meta| {
            let path = &meta.path;
            let table_only = |cx: &mut Ctxt| {
                if derive == Derive::Base {
                    cx.error_spanned_by(
                            path,
                            "a `#[derive(Base)]` type has no table: only `bind_key`, `parent`, `default_bind` and `crate` apply",
                        );
                }
            };
            if path.is_ident("table") {
                table_only(cx);
                let value = lit_str(meta)?;
                set_once(cx, &mut out.table, value, meta);
            } else if path.is_ident("bind_key") {
                let value = lit_str(meta)?;
                set_once(cx, &mut out.bind_key, value, meta);
            } else if path.is_ident("parent") {
                let value: Path = meta.value()?.parse()?;
                set_once(cx, &mut out.parent, value, meta);
            } else if path.is_ident("default_bind") {
                set_once(cx, &mut out.default_bind, path.span(), meta);
            } else if path.is_ident("crate") {
                let value = crate_path(meta)?;
                set_once(cx, &mut out.krate, value, meta);
            } else if path.is_ident("index") || path.is_ident("unique") {
                table_only(cx);
                let unique = path.is_ident("unique");
                let mut fields = Vec::new();
                let mut name = None;
                meta.parse_nested_meta(|field| {
                    // `name = "…"` names the index; a bare `name` is a field called name.
                    if field.path.is_ident("name") && field.input.peek(syn::Token![=]) {
                        let value = lit_str(&field)?;
                        set_once(cx, &mut name, value, &field);
                        return Ok(());
                    }
                    match field.path.get_ident() {
                        Some(ident) => fields.push(ident.clone()),
                        None => cx.error_spanned_by(&field.path, "expected a field name"),
                    }
                    Ok(())
                })?;
                if fields.is_empty() {
                    cx.error_spanned_by(path, "name at least one field, as in `index(a, b)`");
                }
                out.indexes.push(StructIndex {
                    unique,
                    fields,
                    name,
                    span: path.span(),
                });
            } else {
                let known = match derive {
                    Derive::Model => {
                        "`table`, `bind_key`, `parent`, `default_bind`, `index(...)`, `unique(...)` or `crate`"
                    }
                    Derive::Base => "`bind_key`, `parent`, `default_bind` or `crate`",
                };
                unknown(cx, meta, "model", known);
            }
            Ok(())
        });
        out
    }
}

impl FieldAttrs {
    pub(crate) fn parse(cx: &mut Ctxt, attrs: &[Attribute]) -> FieldAttrs {
        let mut out = FieldAttrs::default();
        for_each_item(cx, attrs, |cx, meta| {
            let path = &meta.path;
            let span = path.span();
            if path.is_ident("primary_key") {
                set_once(cx, &mut out.primary_key, span, meta);
            } else if path.is_ident("column") {
                let value = lit_str(meta)?;
                set_once(cx, &mut out.column, value, meta);
            } else if path.is_ident("length") {
                let lit: LitInt = meta.value()?.parse()?;
                let value = lit.base10_parse::<u32>()?;
                if value == 0 {
                    cx.error_spanned_by(&lit, "`length` must be at least 1");
                }
                let value = Spanned {
                    value,
                    span: lit.span(),
                };
                set_once(cx, &mut out.length, value, meta);
            } else if path.is_ident("decimal") {
                let content;
                syn::parenthesized!(content in meta.input);
                let precision: LitInt = content.parse()?;
                content.parse::<syn::Token![,]>()?;
                let scale: LitInt = content.parse()?;
                let value = (precision.base10_parse()?, scale.base10_parse()?);
                if value.0 == 0 || value.1 > value.0 {
                    cx.error_spanned_by(
                        path,
                        "`decimal(precision, scale)` needs 0 < precision and scale <= precision",
                    );
                }
                set_once(cx, &mut out.decimal, Spanned { value, span }, meta);
            } else if path.is_ident("unique") {
                set_once(cx, &mut out.unique, span, meta);
            } else if path.is_ident("index") {
                if meta.input.peek(syn::Token![=]) {
                    let value = lit_str(meta)?;
                    set_once(cx, &mut out.index_name, value, meta);
                }
                set_once(cx, &mut out.index, span, meta);
            } else if path.is_ident("default") {
                let expr: Expr = meta.value()?.parse()?;
                match parse_default(&expr) {
                    Some(value) => {
                        let value = Spanned {
                            value,
                            span: expr.span(),
                        };
                        set_once(cx, &mut out.default, value, meta);
                    }
                    None => cx.error_spanned_by(
                        &expr,
                        "`default` takes a literal: an integer, a float, a string or a bool",
                    ),
                }
            } else if path.is_ident("references") {
                let lit: LitStr = meta.value()?.parse()?;
                match split_reference(&lit.value()) {
                    Some(target) => {
                        let value = Spanned {
                            value: target,
                            span: lit.span(),
                        };
                        set_once(cx, &mut out.references, value, meta);
                    }
                    None => cx.error_spanned_by(
                        &lit,
                        "`references` takes \"table.column\", as in `references = \"store.id\"`",
                    ),
                }
            } else if path.is_ident("link") {
                let value = model_path(meta)?;
                set_once(cx, &mut out.link, value, meta);
            } else if path.is_ident("autoincrement") {
                let value = if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<syn::LitBool>()?.value
                } else {
                    true
                };
                set_once(cx, &mut out.autoincrement, Spanned { value, span }, meta);
            } else if path.is_ident("collation") {
                let value = lit_str(meta)?;
                set_once(cx, &mut out.collation, value, meta);
            } else if path.is_ident("server_default") {
                let value = lit_str(meta)?;
                set_once(cx, &mut out.server_default, value, meta);
            } else if path.is_ident("default_fn") {
                let value: Path = meta.value()?.parse()?;
                let value = Spanned {
                    span: value.span(),
                    value,
                };
                set_once(cx, &mut out.default_fn, value, meta);
            } else if path.is_ident("skip") {
                set_once(cx, &mut out.skip, span, meta);
            } else {
                unknown(
                    cx,
                    meta,
                    "field",
                    "`primary_key`, `column`, `length`, `decimal(p, s)`, `unique`, `index`, `default`, `server_default`, `default_fn`, `references`, `link`, `autoincrement`, `collation` or `skip`",
                );
            }
            Ok(())
        });
        out
    }
}

/// The value of `crate = path`. A string is refused with a hint, since serde's
/// `crate = "…"` is the spelling a user may reach for first.
fn crate_path(meta: &ParseNestedMeta<'_>) -> syn::Result<Path> {
    path_value(
        meta,
        "crate",
        "a path",
        "the path bindery is reached by, as in `crate = my_facade::bindery`",
    )
}

/// The value of `link = path::Model`. A string is refused with a hint: the target is a
/// type the compiler resolves, not a table name.
fn model_path(meta: &ParseNestedMeta<'_>) -> syn::Result<Path> {
    path_value(
        meta,
        "link",
        "the path of a model",
        "the path of the linked model, as in `link = accounts::User`",
    )
}

/// The path after `name =`; a string literal is refused with `write name = …`, anything
/// else that is no path with `name takes {expected}`.
fn path_value(
    meta: &ParseNestedMeta<'_>,
    name: &str,
    short: &str,
    expected: &str,
) -> syn::Result<Path> {
    let value = meta.value()?;
    if value.peek(LitStr) {
        let lit: LitStr = value.parse()?;
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "`{name}` takes {short}, not a string: write `{name} = {}`",
                lit.value()
            ),
        ));
    }
    value
        .parse::<Path>()
        .map_err(|error| syn::Error::new(error.span(), format!("`{name}` takes {expected}")))
}

fn path_name(path: &Path) -> String {
    quote::ToTokens::to_token_stream(path)
        .to_string()
        .replace(' ', "")
}

fn parse_default(expr: &Expr) -> Option<DefaultValue> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            Lit::Bool(b) => Some(DefaultValue::Bool(b.value)),
            Lit::Int(i) => i.base10_parse().ok().map(DefaultValue::Int),
            Lit::Float(x) => x
                .base10_parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(DefaultValue::Float),
            Lit::Str(s) => Some(DefaultValue::Text(s.value())),
            _ => None,
        },
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match parse_default(expr)? {
            DefaultValue::Int(i) => Some(DefaultValue::Int(-i)),
            DefaultValue::Float(x) => Some(DefaultValue::Float(-x)),
            _ => None,
        },
        _ => None,
    }
}

/// `"store.id"` → `("store", "id")`; anything but exactly two non-empty parts is refused.
fn split_reference(target: &str) -> Option<(String, String)> {
    let (table, column) = target.split_once('.')?;
    if table.is_empty() || column.is_empty() || column.contains('.') {
        return None;
    }
    Some((table.to_owned(), column.to_owned()))
}
