//! The registry written out for people (an aligned table) and for programs (JSON).
//!
//! JSON shape, stable:
//!
//! ```text
//! {"binds": [{"key": null | "name",
//!             "tables": [{"name", "rust_type", "primary_key": [column…],
//!                         "columns": [{"name", "type", "nullable", "primary_key",
//!                                      "autoincrement", "unique", "references": null | "table.column"}],
//!                         "indexes": [{"name", "columns": [column…], "unique"}]}]}]}
//! ```
//!
//! The diagrams (Mermaid, DOT) are in `dump/diagram.rs`.

mod diagram;

use core::fmt::Write as _;

use crate::{BindTables, ColumnInfo, Registry, TableInfo};

impl Registry {
    /// The registry as an aligned text table: bind → table → column, with each column's
    /// type, nullability, primary key and foreign key.
    pub fn dump_text(&self) -> String {
        dump_text(self.binds())
    }

    /// The registry as JSON, in the shape documented in this module.
    pub fn dump_json(&self) -> String {
        dump_json(self.binds())
    }

    /// The registry as a Mermaid `erDiagram` per bind: columns with their types, keys,
    /// and references.
    pub fn dump_mermaid(&self) -> String {
        diagram::mermaid(self.binds())
    }

    /// The registry as a Graphviz (DOT) graph: one cluster per bind (database), one node
    /// per table listing its columns, an edge per foreign key; a reference into another
    /// bind, which no database can enforce, drawn red.
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
                    column
                        .references
                        .map(|fk| fk.to_string())
                        .unwrap_or_default(),
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
