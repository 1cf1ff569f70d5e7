//! The derive input reduced to what bindery needs: a struct, its attributes, its fields.

use proc_macro2::Span;
use syn::{Data, DeriveInput, Fields, Ident, Type};

use crate::attr::{ContainerAttrs, Derive, FieldAttrs};
use crate::case::snake_case;
use crate::ctxt::Ctxt;

/// A struct given to `#[derive(Model)]` or a type given to `#[derive(Base)]`.
pub(crate) struct Container<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) vis: &'a syn::Visibility,
    pub(crate) attrs: ContainerAttrs,
    /// The table name: `#[model(table = …)]`, or the struct name in snake case.
    pub(crate) table: String,
    /// Every named field, skipped ones included (empty for `Base`).
    pub(crate) fields: Vec<Field<'a>>,
}

/// An index or unique constraint, as the table will carry it.
pub(crate) struct Index {
    pub(crate) name: String,
    pub(crate) columns: Vec<String>,
    pub(crate) unique: bool,
    pub(crate) span: Span,
}

/// One named field of a model.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) attrs: FieldAttrs,
    /// The field's name without `r#`.
    pub(crate) name: String,
    /// The column name: `#[model(column = …)]`, or the field's name.
    pub(crate) column: String,
}

impl<'a> Container<'a> {
    /// Reads the input, recording every problem of shape or attribute syntax in `cx`.
    /// `None` when the shape is so wrong that nothing more can be checked.
    pub(crate) fn from_ast(
        cx: &mut Ctxt,
        input: &'a DeriveInput,
        derive: Derive,
    ) -> Option<Container<'a>> {
        let attrs = ContainerAttrs::parse(cx, &input.attrs, derive);
        let what = match derive {
            Derive::Model => "#[derive(Model)]",
            Derive::Base => "#[derive(Base)]",
        };
        if !input.generics.params.is_empty() {
            cx.error_spanned_by(
                &input.generics,
                format!(
                    "{what} does not support generic types: a table has one fixed set of columns"
                ),
            );
        }
        let fields = match (derive, &input.data) {
            (Derive::Base, _) => Vec::new(),
            (Derive::Model, Data::Struct(data)) => match &data.fields {
                Fields::Named(named) => named
                    .named
                    .iter()
                    .filter_map(|f| Field::from_ast(cx, f))
                    .collect(),
                Fields::Unnamed(_) | Fields::Unit => {
                    cx.error_spanned_by(
                        &input.ident,
                        "#[derive(Model)] needs a struct with named fields: each field is a column",
                    );
                    return None;
                }
            },
            (Derive::Model, Data::Enum(data)) => {
                cx.syn_error(syn::Error::new(
                    data.enum_token.span,
                    "#[derive(Model)] needs a struct with named fields, not an enum",
                ));
                return None;
            }
            (Derive::Model, Data::Union(data)) => {
                cx.syn_error(syn::Error::new(
                    data.union_token.span,
                    "#[derive(Model)] needs a struct with named fields, not a union",
                ));
                return None;
            }
        };
        let table = attrs
            .table
            .as_ref()
            .map_or_else(|| snake_case(&input.ident.to_string()), |t| t.value.clone());
        Some(Container {
            ident: &input.ident,
            vis: &input.vis,
            attrs,
            table,
            fields,
        })
    }

    /// The fields that are columns (not `skip`ped).
    pub(crate) fn columns(&self) -> impl Iterator<Item = &Field<'a>> {
        self.fields.iter().filter(|f| f.attrs.skip.is_none())
    }

    /// The primary-key fields.
    pub(crate) fn primary_key(&self) -> impl Iterator<Item = &Field<'a>> {
        self.columns().filter(|f| f.attrs.primary_key.is_some())
    }

    /// Every index and multi-column unique constraint, with its explicit name or else
    /// named by SQLAlchemy's convention (`ix_<table>_<columns>`, `uq_<table>_<columns>`):
    /// the field-level `index` ones first, then the struct-level ones in order.
    pub(crate) fn indexes(&self) -> Vec<Index> {
        let field_level = self.columns().filter_map(|f| {
            let span = f.attrs.index?;
            let name = f.attrs.index_name.as_ref();
            Some((false, vec![f.column.clone()], name, span))
        });
        let struct_level = self.attrs.indexes.iter().map(|index| {
            let columns = index
                .fields
                .iter()
                .map(|i| {
                    self.field(i)
                        .map_or_else(|| i.to_string(), |f| f.column.clone())
                })
                .collect();
            (index.unique, columns, index.name.as_ref(), index.span)
        });
        field_level
            .chain(struct_level)
            .map(|(unique, columns, name, span)| Index {
                name: name.map_or_else(
                    || {
                        format!(
                            "{}_{}_{}",
                            if unique { "uq" } else { "ix" },
                            self.table,
                            columns.join("_")
                        )
                    },
                    |n| n.value.clone(),
                ),
                columns,
                unique,
                span: name.map_or(span, |n| n.span),
            })
            .collect()
    }

    /// The field named `ident`, if it exists.
    pub(crate) fn field(&self, ident: &Ident) -> Option<&Field<'a>> {
        self.fields.iter().find(|f| f.ident == ident)
    }
}

impl<'a> Field<'a> {
    fn from_ast(cx: &mut Ctxt, field: &'a syn::Field) -> Option<Field<'a>> {
        let ident = field.ident.as_ref()?;
        let attrs = FieldAttrs::parse(cx, &field.attrs);
        let name = ident.to_string().trim_start_matches("r#").to_owned();
        let column = attrs
            .column
            .as_ref()
            .map_or_else(|| name.clone(), |c| c.value.clone());
        Some(Field {
            ident,
            ty: &field.ty,
            attrs,
            name,
            column,
        })
    }
}
