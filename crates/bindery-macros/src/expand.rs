//! The code each derive writes. Every path is absolute (`::bindery::__private::…`, or the
//! path `#[model(crate = …)]` names instead of `::bindery`) and everything sits inside
//! `const _: () = { … };` (see [`wrap_in_const`]), so nothing leaks into the user's module.

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned;

use crate::ast::{Container, Field};
use crate::attr::{DefaultValue, Derive};
use crate::check::check;
use crate::ctxt::Ctxt;

pub(crate) fn derive(input: &DeriveInput, derive: Derive) -> syn::Result<TokenStream> {
    let mut cx = Ctxt::default();
    let cont = Container::from_ast(&mut cx, input, derive);
    if let Some(cont) = &cont {
        check(&mut cx, cont, derive);
    }
    cx.check()?;
    let Some(cont) = cont else {
        // from_ast returns None only after recording an error, which `check` returned.
        return Ok(TokenStream::new());
    };
    let private = private_path(&cont);
    let bind = impl_bind(&cont, &private);
    let model = match derive {
        Derive::Base => TokenStream::new(),
        Derive::Model => impl_model(&cont, &private),
    };
    Ok(wrap_in_const(quote! {
        #bind
        #model
    }))
}

/// `<bindery>::__private`, the one way the generated code reaches bindery: `::bindery`
/// unless `#[model(crate = path)]` names the path a renamed or re-exported bindery has.
/// (linkme's and inventory's own paths go through `__private::submit_table!`, whose
/// `$crate` finds them however bindery is named.)
fn private_path(cont: &Container<'_>) -> TokenStream {
    match &cont.attrs.krate {
        Some(path) => quote!(#path::__private),
        None => quote!(::bindery::__private),
    }
}

/// The one place every expansion is wrapped: an anonymous const, so its items stay out of
/// the user's namespace, with the lints allowed that a user's `#![deny(...)]` would
/// otherwise turn against code the user did not write. The first four are serde_derive's
/// (the last of them in its recent releases); `deprecated` is bindery's own: the impls
/// must name a `#[deprecated]` model and its fields, and rustc warns about that even
/// without a `deny` (`tests/strict_lints.rs`).
fn wrap_in_const(code: TokenStream) -> TokenStream {
    quote! {
        #[doc(hidden)]
        #[allow(
            non_upper_case_globals,
            unused_attributes,
            unused_qualifications,
            clippy::absolute_paths,
            deprecated,
        )]
        const _: () = {
            #code
        };
    }
}

fn impl_bind(cont: &Container<'_>, private: &TokenStream) -> TokenStream {
    let ident = cont.ident;
    let attrs = &cont.attrs;
    // Explicit key, then `default_bind`, then the parent's key; with none, the trait's
    // default (`None`) is inherited.
    let key = if let Some(key) = &attrs.bind_key {
        let key = &key.value;
        Some(quote!(::core::option::Option::Some(#key)))
    } else if attrs.default_bind.is_some() {
        Some(quote!(::core::option::Option::None))
    } else {
        attrs
            .parent
            .as_ref()
            .map(|parent| quote_spanned!(parent.span()=> <#parent as #private::Bind>::BIND_KEY))
    };
    let body = key.map(|key| quote!(const BIND_KEY: ::core::option::Option<&'static str> = #key;));
    quote! {
        #[automatically_derived]
        impl #private::Bind for #ident {
            #body
        }
    }
}

fn impl_model(cont: &Container<'_>, private: &TokenStream) -> TokenStream {
    let ident = cont.ident;
    let table = &cont.table;
    let rust_name = ident.to_string();
    let single_key = cont.primary_key().count() == 1;
    let mut checks = Vec::new();
    let columns: Vec<TokenStream> = cont
        .columns()
        .map(|f| column_info(cont, f, single_key, private, &mut checks))
        .collect();
    let indexes = cont.indexes().into_iter().map(|index| {
        let name = &index.name;
        let columns = &index.columns;
        let unique = index.unique;
        quote! {
            #private::IndexInfo {
                name: #name,
                columns: &[#(#columns),*],
                unique: #unique,
            }
        }
    });
    // Spanned at the path the user wrote: a path that is no model is reported there.
    let links = cont.columns().filter_map(|f| {
        let target = f.attrs.link.as_ref()?;
        let column = &f.column;
        Some(quote_spanned! {target.span()=>
            #private::Link {
                column: #column,
                target: <#target as #private::LinkTarget>::TABLE,
            }
        })
    });
    let rows = impl_rows(cont, private);
    quote! {
        static TABLE: #private::TableInfo = #private::TableInfo {
            name: #table,
            bind_key: <#ident as #private::Bind>::BIND_KEY,
            rust_type: ::core::concat!(::core::module_path!(), "::", #rust_name),
            columns: &[#(#columns),*],
            indexes: &[#(#indexes),*],
            links: &[#(#links),*],
        };

        static STATEMENTS: #private::StatementCache =
            #private::StatementCache::new();

        #rows

        #(#checks)*

        #private::submit_table!(&TABLE);
    }
}

/// The `Model` impl proper: column handles, the key, and rows to and from values.
fn impl_rows(cont: &Container<'_>, private: &TokenStream) -> TokenStream {
    let ident = cont.ident;
    let vis = cont.vis;
    let columns: Vec<&Field<'_>> = cont.columns().collect();
    let column_fields = columns.iter().map(|f| {
        let (name, ty) = (f.ident, f.ty);
        quote!(#vis #name: #private::Column<#ident, #ty>)
    });
    let column_values = columns.iter().map(|f| {
        let (name, column) = (f.ident, &f.column);
        quote!(#name: #private::Column::new(#column))
    });
    let kinds = columns.iter().map(|f| {
        let ty = f.ty;
        quote_spanned!(ty.span()=> <#ty as #private::SqlField>::KIND)
    });
    // Spanned at each field's type, like every use of `SqlField`: an unsupported type is
    // then reported once, at the field.
    let to_values = columns.iter().map(|f| {
        let (name, ty) = (f.ident, f.ty);
        quote_spanned!(ty.span()=> <#ty as #private::SqlField>::to_value(&self.#name))
    });
    let value_at = columns.iter().enumerate().map(|(at, f)| {
        let (name, ty) = (f.ident, f.ty);
        quote_spanned!(ty.span()=> #at => ::core::option::Option::Some(
            <#ty as #private::SqlField>::to_value(&self.#name)
        ))
    });
    let into_values: Vec<TokenStream> = columns
        .iter()
        .map(|f| {
            let (name, ty) = (f.ident, f.ty);
            quote_spanned!(ty.span()=> <#ty as #private::SqlField>::into_value(self.#name))
        })
        .collect();
    // Each field in order, read off the row (fetched, or values already read) as its own
    // type; skipped fields get their `Default`.
    let read_fields = cont.fields.iter().map(|f| {
        let (name, column) = (f.ident, &f.column);
        if f.attrs.skip.is_some() {
            quote_spanned!(f.ty.span()=> #name: ::core::default::Default::default())
        } else {
            let ty = f.ty;
            quote_spanned!(ty.span()=> #name: #private::read_field::<#ty, R>(row, #column)?)
        }
    });
    let keys: Vec<&Field<'_>> = cont.primary_key().collect();
    let key_types = keys.iter().map(|f| f.ty);
    let key_names: Vec<&syn::Ident> = keys.iter().map(|f| f.ident).collect();
    // `default_fn = path`: a `None` gets the function's value when the row is queued.
    let fill_defaults = columns.iter().filter_map(|f| {
        let name = f.ident;
        let path = &f.attrs.default_fn.as_ref()?.value;
        let ty = f.ty;
        Some(quote_spanned! {ty.span()=>
            <#ty as #private::UnsetField>::fill(&mut self.#name, #path);
        })
    });
    let (key_type, key_values, key_of, set_generated) = match key_names.as_slice() {
        [single] => {
            let ty = keys[0].ty;
            (
                quote!(#ty),
                quote!(::std::vec![#private::SqlField::to_value(key)]),
                quote!(::core::clone::Clone::clone(&self.#single)),
                quote! {
                    self.#single = #private::key_from_i64(id)?;
                    ::core::result::Result::Ok(())
                },
            )
        }
        many => {
            let index = (0..many.len()).map(syn::Index::from);
            (
                quote!((#(#key_types),*)),
                quote!(::std::vec![#(#private::SqlField::to_value(&key.#index)),*]),
                quote!((#(::core::clone::Clone::clone(&self.#key_names)),*)),
                // A composite key is never generated.
                quote! {
                    let _ = id;
                    ::core::result::Result::Ok(())
                },
            )
        }
    };
    quote! {
        // Column handles are for queries; a program uses only some of them.
        #[doc(hidden)]
        #[allow(dead_code)]
        #vis struct __Columns {
            #(#column_fields,)*
        }

        #[automatically_derived]
        impl #private::Model for #ident {
            const TABLE: &'static #private::TableInfo = &TABLE;
            const KINDS: &'static [#private::ValueKind] = &[#(#kinds),*];
            type Key = #key_type;
            type Columns = __Columns;
            const COLUMNS: __Columns = __Columns { #(#column_values,)* };
            // The key as the compiler resolved it (inherited through `parent =` too),
            // hashed at compile time: what `SameBind` compares.
            type OnBind = #private::BindTag<
                { #private::bind_hash(<#ident as #private::Bind>::BIND_KEY) },
            >;

            fn to_values(&self) -> ::std::vec::Vec<#private::Value> {
                ::std::vec![#(#to_values),*]
            }

            fn value_at(&self, at: usize) -> ::core::option::Option<#private::Value> {
                match at {
                    #(#value_at,)*
                    _ => ::core::option::Option::None,
                }
            }

            fn into_values(self) -> ::std::vec::Vec<#private::Value> {
                ::std::vec![#(#into_values),*]
            }

            fn push_values(self, out: &mut ::std::vec::Vec<#private::Value>) {
                #(out.push(#into_values);)*
            }

            fn from_values(
                values: ::std::vec::Vec<#private::Value>,
            ) -> ::core::result::Result<Self, #private::RowError> {
                <Self as #private::Model>::read_row(&mut #private::ValueColumns::new(values))
            }

            fn read_row<R: #private::ReadColumns>(
                row: &mut R,
            ) -> ::core::result::Result<Self, R::Error> {
                ::core::result::Result::Ok(#ident { #(#read_fields,)* })
            }

            fn key_values(key: &Self::Key) -> ::std::vec::Vec<#private::Value> {
                #key_values
            }

            fn key(&self) -> Self::Key {
                #key_of
            }

            fn set_generated_key(
                &mut self,
                id: i64,
            ) -> ::core::result::Result<(), #private::ValueError> {
                #set_generated
            }

            fn statements() -> &'static #private::StatementCache {
                &STATEMENTS
            }

            fn fill_defaults(&mut self) {
                #(#fill_defaults)*
            }
        }

        #[automatically_derived]
        impl #private::FromValues for #ident {
            const KINDS: &'static [#private::ValueKind] = <Self as #private::Model>::KINDS;

            fn from_values(
                values: ::std::vec::Vec<#private::Value>,
            ) -> ::core::result::Result<Self, #private::RowError> {
                <Self as #private::Model>::from_values(values)
            }
        }
    }
}

/// A compile-time check that the field's type implements `marker` (one of
/// `bindery_core::field_kinds`' traits): when it does not, the error is `message`, at the
/// field's type. A trait bound, not a const-evaluation panic, so the error reads the same
/// on every toolchain.
fn type_check(ty: &syn::Type, marker: TokenStream, message: &str, label: &str) -> TokenStream {
    // `{` and `}` are format braces in `on_unimplemented`.
    let message = message.replace('{', "{{").replace('}', "}}");
    quote_spanned! {ty.span()=>
        const _: () = {
            #[diagnostic::on_unimplemented(message = #message, label = #label)]
            trait Allowed {}
            impl<T: #marker + ?::core::marker::Sized> Allowed for T {}
            const fn allowed<T: Allowed + ?::core::marker::Sized>() {}
            allowed::<#ty>();
        };
    }
}

fn column_info(
    cont: &Container<'_>,
    field: &Field<'_>,
    single_key: bool,
    private: &TokenStream,
    checks: &mut Vec<TokenStream>,
) -> TokenStream {
    let ty = field.ty;
    let attrs = &field.attrs;
    let column = &field.column;
    let field_name = &field.name;
    let whose = format!("field `{}` of model `{}`", field.name, cont.ident);
    // Spanned at the field's type: an unsupported type is reported there.
    let sql_type = quote_spanned!(ty.span()=> <#ty as #private::SqlField>::SQL_TYPE);
    let nullable = quote_spanned!(ty.span()=> <#ty as #private::SqlField>::NULLABLE);

    let sql_type = if let Some(length) = &attrs.length {
        let n = length.value;
        let message = format!("bindery: {whose} has `length = {n}`, but its type is not text");
        checks.push(type_check(
            ty,
            quote!(#private::TextField),
            &message,
            "not text",
        ));
        quote!(#private::column_length(#sql_type, #n))
    } else if let Some(decimal) = &attrs.decimal {
        let (p, s) = decimal.value;
        let message =
            format!("bindery: {whose} has `decimal({p}, {s})`, but its type is not a decimal");
        let marker = quote!(#private::DecimalField);
        checks.push(type_check(ty, marker, &message, "not a decimal"));
        quote!(#private::column_decimal(#sql_type, #p, #s))
    } else {
        sql_type
    };

    let primary_key = attrs.primary_key.is_some();
    // A single integer key the database may generate can be an `Option`: `None` asks for
    // a generated key, `Some` is stored as given.
    let may_be_generated = single_key
        && primary_key
        && attrs.references.is_none()
        && !matches!(&attrs.autoincrement, Some(auto) if !auto.value);
    if may_be_generated {
        let message = format!(
            "bindery: {whose} is a primary key, so it cannot be an `Option` unless it is a generated integer key: keys are never NULL"
        );
        let marker = quote!(#private::GeneratedKeyField);
        checks.push(type_check(ty, marker, &message, "a key is never NULL"));
    } else if primary_key {
        let message = format!(
            "bindery: {whose} is a primary key, so it cannot be an `Option`: keys are never NULL"
        );
        let marker = quote!(#private::NonNullField);
        checks.push(type_check(ty, marker, &message, "a key is never NULL"));
    }

    let autoincrement = match &attrs.autoincrement {
        Some(auto) if auto.value => {
            let message = format!(
                "bindery: {whose} has `autoincrement`, but only integer columns autoincrement"
            );
            let marker = quote!(#private::IntegerField);
            checks.push(type_check(ty, marker, &message, "not an integer"));
            quote!(true)
        }
        Some(_) => quote!(false),
        // SQLAlchemy's "auto": the single integer primary key that is not a foreign key.
        None if single_key && attrs.primary_key.is_some() && attrs.references.is_none() => {
            quote!(#private::SqlType::is_integer(#sql_type))
        }
        None => quote!(false),
    };

    let unique = attrs.unique.is_some();

    let default = match &attrs.default {
        Some(default) => {
            let (value, literal) = match &default.value {
                DefaultValue::Bool(b) => (quote!(#private::ColumnDefault::Bool(#b)), quote!(Bool)),
                DefaultValue::Int(i) => (quote!(#private::ColumnDefault::Int(#i)), quote!(Int)),
                DefaultValue::Float(x) => {
                    let x = Literal::f64_unsuffixed(*x);
                    (quote!(#private::ColumnDefault::Float(#x)), quote!(Float))
                }
                DefaultValue::Text(s) => (quote!(#private::ColumnDefault::Text(#s)), quote!(Text)),
            };
            let message = format!("bindery: the `default` of {whose} does not fit its type");
            let marker = quote!(#private::DefaultFits<#private::default_literal::#literal>);
            checks.push(type_check(ty, marker, &message, "the default does not fit"));
            quote!(::core::option::Option::Some(#value))
        }
        None => quote!(::core::option::Option::None),
    };

    let server_default = match &attrs.server_default {
        Some(default) => {
            let (variant, marker) = match default.value.trim().to_ascii_uppercase().as_str() {
                "CURRENT_DATE" => (quote!(CurrentDate), quote!(#private::DateField)),
                "CURRENT_TIME" => (quote!(CurrentTime), quote!(#private::TimeField)),
                // The check has refused every other name; CURRENT_TIMESTAMP is what is left.
                _ => (quote!(CurrentTimestamp), quote!(#private::TimestampField)),
            };
            let message = format!(
                "bindery: {whose} has `server_default = {:?}`, which does not fit its type",
                default.value
            );
            checks.push(type_check(
                ty,
                marker,
                &message,
                "the server default does not fit",
            ));
            quote!(::core::option::Option::Some(#private::ServerDefault::#variant))
        }
        None => quote!(::core::option::Option::None),
    };
    // `default_fn` on a field that is not an `Option` fails where `fill_defaults` calls
    // `UnsetField::fill` on it, with that trait's message.
    // `None` means "not given" on an `Option` the database fills: the generated key or a
    // server default. Such a column, and one `default_fn` fills, is never NULL.
    let none_is_unset = match (&attrs.server_default, may_be_generated) {
        (Some(_), _) => quote!(#nullable),
        (None, true) => quote!(#nullable && #autoincrement),
        (None, false) => quote!(false),
    };
    let never_null = primary_key || attrs.server_default.is_some() || attrs.default_fn.is_some();
    let nullable = if never_null { quote!(false) } else { nullable };

    let references = match &attrs.references {
        Some(reference) => {
            let (table, column) = &reference.value;
            quote! {
                ::core::option::Option::Some(#private::ForeignKey {
                    table: #table,
                    column: #column,
                })
            }
        }
        None => quote!(::core::option::Option::None),
    };

    let collation = match &attrs.collation {
        Some(collation) => {
            let name = &collation.value;
            let message = format!(
                "bindery: {whose} has `collation = {name:?}`, but its type is not text: only text has a collation"
            );
            checks.push(type_check(
                ty,
                quote!(#private::TextField),
                &message,
                "not text",
            ));
            quote!(::core::option::Option::Some(#name))
        }
        None => quote!(::core::option::Option::None),
    };

    quote! {
        #private::ColumnInfo {
            name: #column,
            field: #field_name,
            sql_type: #sql_type,
            nullable: #nullable,
            primary_key: #primary_key,
            autoincrement: #autoincrement,
            unique: #unique,
            default: #default,
            server_default: #server_default,
            none_is_unset: #none_is_unset,
            references: #references,
            collation: #collation,
        }
    }
}
