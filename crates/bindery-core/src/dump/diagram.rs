//! The registry drawn as diagrams: Mermaid (`erDiagram`) and Graphviz (DOT), one per bind,
//! for `Registry::dump_mermaid` and `Registry::dump_dot`.

use core::fmt::Write as _;

use crate::BindTables;

/// A Mermaid `erDiagram` per bind: columns with their types, keys, and references.
pub(super) fn mermaid(binds: &[BindTables]) -> String {
    let mut out = String::new();
    for (i, bind) in binds.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "%% {}", bind.name());
        out.push_str("erDiagram\n");
        for table in bind.tables() {
            let _ = writeln!(out, "    {} {{", mermaid_name(table.name));
            for column in table.columns {
                let mut keys = Vec::new();
                if column.primary_key {
                    keys.push("PK");
                }
                if column.references.is_some() {
                    keys.push("FK");
                }
                if column.unique {
                    keys.push("UK");
                }
                let _ = write!(
                    out,
                    "        {} {}",
                    column
                        .sql_type
                        .to_string()
                        .replace(", ", ",")
                        .replace(' ', "_"),
                    mermaid_name(column.name)
                );
                if !keys.is_empty() {
                    let _ = write!(out, " {}", keys.join(", "));
                }
                if column.nullable {
                    out.push_str(" \"nullable\"");
                }
                out.push('\n');
            }
            out.push_str("    }\n");
        }
        for table in bind.tables() {
            for column in table.columns {
                if let Some(fk) = column.references {
                    let many = if column.nullable { "o{" } else { "|{" };
                    let _ = writeln!(
                        out,
                        "    {} ||--{many} {} : \"{}\"",
                        mermaid_name(fk.table),
                        mermaid_name(table.name),
                        column.name.replace('"', "'")
                    );
                }
            }
        }
    }
    out
}

/// A name Mermaid reads as one word.
fn mermaid_name(name: &str) -> String {
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "'"))
    }
}

/// A Graphviz graph: one cluster per bind (database), one node per table listing its
/// columns, an edge per foreign key; a reference into another bind drawn red.
pub(super) fn dot(binds: &[BindTables]) -> String {
    let node =
        |bind: Option<&str>, table: &str| dot_string(&format!("{}.{table}", bind.unwrap_or("")));
    let mut out = String::from(
        "digraph bindery {\n    graph [rankdir=LR, fontname=\"Helvetica\", nodesep=0.4];\n    node [shape=plain, fontname=\"Helvetica\", fontsize=10];\n    edge [fontname=\"Helvetica\", fontsize=9, dir=both, arrowtail=crow, arrowhead=tee];\n",
    );
    for (i, bind) in binds.iter().enumerate() {
        let _ = writeln!(out, "    subgraph cluster_{i} {{");
        let _ = writeln!(
            out,
            "        label={}; style=rounded; color=gray40; fontsize=12;",
            dot_string(&bind.name().to_string())
        );
        for table in bind.tables() {
            let mut label = format!(
                "<table border=\"0\" cellborder=\"1\" cellspacing=\"0\" cellpadding=\"3\"><tr><td colspan=\"2\" bgcolor=\"gray90\"><b>{}</b></td></tr>",
                html(table.name)
            );
            for column in table.columns {
                let name = if column.primary_key {
                    format!("<u>{}</u>", html(column.name))
                } else {
                    html(column.name)
                };
                let null = if column.nullable { "?" } else { "" };
                let _ = write!(
                    label,
                    "<tr><td align=\"left\">{name}</td><td align=\"left\">{}{null}</td></tr>",
                    html(&column.sql_type.to_string())
                );
            }
            label.push_str("</table>");
            let _ = writeln!(
                out,
                "        {} [label=<{label}>];",
                node(bind.key(), table.name)
            );
        }
        out.push_str("    }\n");
    }
    for bind in binds {
        for table in bind.tables() {
            for column in table.columns {
                let Some(fk) = column.references else {
                    continue;
                };
                let from = node(bind.key(), table.name);
                if bind.table(fk.table).is_some() {
                    let _ = writeln!(
                        out,
                        "    {from} -> {} [label={}];",
                        node(bind.key(), fk.table),
                        dot_string(column.name)
                    );
                } else {
                    // A reference into another bind: no database can enforce it.
                    for other in binds.iter().filter(|b| b.table(fk.table).is_some()) {
                        let _ = writeln!(
                            out,
                            "    {from} -> {} [label={}, color=red, fontcolor=red];",
                            node(other.key(), fk.table),
                            dot_string(&format!("{} (cross-bind)", column.name))
                        );
                    }
                }
            }
        }
    }
    out.push_str("}\n");
    out
}

/// A DOT string literal: quotes and backslashes escaped.
fn dot_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Text for a DOT HTML-like label, its markup characters escaped.
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
