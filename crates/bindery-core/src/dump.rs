//! The registry written out for people (an aligned table) and for programs (JSON).
//!
//! JSON shape, stable:
//!
//! ```text
//! {"binds": [{"key": null | "name",
//!             "tables": [{"name", "rust_type", "primary_key": [column…],
//!                         "columns": [{"name", "type", "nullable", "primary_key",
//!                                      "autoincrement", "unique", "references": null | "table.column",
//!                                      "link": null | {"bind": null | "name", "table",
//!                                                      "column": null | column, "model"}}],
//!                         "indexes": [{"name", "columns": [column…], "unique"}]}]}]}
//! ```
//!
//! The diagrams (Mermaid, DOT) are in `dump/diagram.rs`.

mod diagram;

use core::fmt::Write as _;

use crate::{BindTables, ColumnInfo, Link, Registry, TableInfo};

impl Registry {
    /// The registry as an aligned text table: bind → table → column, with each column's
    /// type, nullability, primary key, and foreign key or link (`auth.user.id (link)`).
    pub fn dump_text(&self) -> String {
        dump_text(self.binds())
    }

    /// The registry as JSON, in the shape documented in this module.
    pub fn dump_json(&self) -> String {
        dump_json(self.binds())
    }

    /// The registry as one Mermaid `erDiagram`: columns with their types and keys, each
    /// foreign key drawn solid with its cardinality (`}o--||`, or `}o--o|` when
    /// nullable), each link dashed (`}o..||`) and labelled `(link)`. A table name that two
    /// binds share is qualified by its bind (`auth.user`), as is a link's target outside
    /// the registry. For one diagram per bind, dump a registry of that bind's tables.
    pub fn dump_mermaid(&self) -> String {
        diagram::mermaid(self.binds())
    }

    /// The registry as a Graphviz (DOT) graph: one cluster per bind (database), one node
    /// per table listing its columns, an edge per foreign key (one into another bind,
    /// which no database can enforce, drawn red), and a dashed edge per declared link,
    /// labelled as a cross-bind reference.
    pub fn dump_dot(&self) -> String {
        diagram::dot(self.binds())
    }
}

const HEADER: [&str; 7] = [
    "bind",
    "table",
    "column",
    "type",
    "null",
    "key",
    "references",
];

fn dump_text(binds: &[BindTables]) -> String {
    let mut rows: Vec<[String; 7]> = Vec::new();
    for bind in binds {
        let bind_label = bind.key().unwrap_or("(default)").to_owned();
        for (t, table) in bind.tables().iter().enumerate() {
            for (c, column) in table.columns.iter().enumerate() {
                let first_of_table = c == 0;
                rows.push([
                    if first_of_table && t == 0 {
                        bind_label.clone()
                    } else {
                        String::new()
                    },
                    if first_of_table {
                        table.name.to_owned()
                    } else {
                        String::new()
                    },
                    column.name.to_owned(),
                    column.sql_type.to_string(),
                    if column.nullable { "yes" } else { "no" }.to_owned(),
                    key_label(column),
                    references_label(table, column),
                ]);
            }
        }
    }
    let mut widths = HEADER.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut text = String::new();
        for (cell, width) in cells.iter().zip(widths) {
            let _ = write!(text, "{cell:<width$}  ");
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&HEADER);
    let rules = widths.map(|w| "-".repeat(w));
    line(&rules.each_ref().map(String::as_str));
    for row in &rows {
        line(&row.each_ref().map(String::as_str));
    }
    out
}

/// A foreign key as `table.column`; a link as `bind.table.column (link)`, its target
/// qualified since it usually lives in another bind.
fn references_label(table: &TableInfo, column: &ColumnInfo) -> String {
    if let Some(fk) = column.references {
        return fk.to_string();
    }
    match table.link(column.name) {
        Some(link) => {
            let target = link.target;
            let key = link.target_key().map_or("?", |k| k.name);
            let bind = target.bind_key.unwrap_or("(default)");
            format!("{bind}.{}.{key} (link)", target.name)
        }
        None => String::new(),
    }
}

fn key_label(column: &ColumnInfo) -> String {
    let mut parts = Vec::new();
    if column.primary_key {
        parts.push(if column.autoincrement {
            "PK auto"
        } else {
            "PK"
        });
    }
    if column.unique {
        parts.push("unique");
    }
    parts.join(", ")
}

fn dump_json(binds: &[BindTables]) -> String {
    let mut out = String::from("{\"binds\": [");
    for (b, bind) in binds.iter().enumerate() {
        if b > 0 {
            out.push_str(", ");
        }
        out.push_str("{\"key\": ");
        match bind.key() {
            Some(key) => push_string(&mut out, key),
            None => out.push_str("null"),
        }
        out.push_str(", \"tables\": [");
        for (t, table) in bind.tables().iter().enumerate() {
            if t > 0 {
                out.push_str(", ");
            }
            push_table(&mut out, table);
        }
        out.push_str("]}");
    }
    out.push_str("]}");
    out
}

fn push_table(out: &mut String, table: &TableInfo) {
    out.push_str("{\"name\": ");
    push_string(out, table.name);
    out.push_str(", \"rust_type\": ");
    push_string(out, table.rust_type);
    out.push_str(", \"primary_key\": ");
    push_strings(out, table.primary_key().map(|c| c.name));
    out.push_str(", \"columns\": [");
    for (c, column) in table.columns.iter().enumerate() {
        if c > 0 {
            out.push_str(", ");
        }
        out.push_str("{\"name\": ");
        push_string(out, column.name);
        out.push_str(", \"type\": ");
        push_string(out, &column.sql_type.to_string());
        let _ = write!(
            out,
            ", \"nullable\": {}, \"primary_key\": {}, \"autoincrement\": {}, \"unique\": {}, \"references\": ",
            column.nullable, column.primary_key, column.autoincrement, column.unique
        );
        match column.references {
            Some(fk) => push_string(out, &fk.to_string()),
            None => out.push_str("null"),
        }
        out.push_str(", \"link\": ");
        match table.link(column.name) {
            Some(link) => push_link(out, link),
            None => out.push_str("null"),
        }
        out.push('}');
    }
    out.push_str("], \"indexes\": [");
    for (i, index) in table.indexes.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str("{\"name\": ");
        push_string(out, index.name);
        out.push_str(", \"columns\": ");
        push_strings(out, index.columns.iter().copied());
        let _ = write!(out, ", \"unique\": {}}}", index.unique);
    }
    out.push_str("]}");
}

fn push_link(out: &mut String, link: &Link) {
    let target = link.target;
    out.push_str("{\"bind\": ");
    match target.bind_key {
        Some(key) => push_string(out, key),
        None => out.push_str("null"),
    }
    out.push_str(", \"table\": ");
    push_string(out, target.name);
    out.push_str(", \"column\": ");
    match link.target_key() {
        Some(key) => push_string(out, key.name),
        None => out.push_str("null"),
    }
    out.push_str(", \"model\": ");
    push_string(out, target.rust_type);
    out.push('}');
}

fn push_strings<'a>(out: &mut String, items: impl Iterator<Item = &'a str>) {
    out.push('[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_string(out, item);
    }
    out.push(']');
}

/// A JSON string literal: quotes, backslashes and control characters escaped.
fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::push_string;

    #[test]
    fn json_strings_are_escaped() {
        let mut out = String::new();
        push_string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
    }
}
