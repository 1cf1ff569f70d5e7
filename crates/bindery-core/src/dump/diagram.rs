//! The registry drawn as diagrams: Mermaid (`erDiagram`) and Graphviz (DOT), for
//! `Registry::dump_mermaid` and `Registry::dump_dot`. Both draw the whole selection as
//! one diagram: foreign keys solid, declared links (`#[model(link = …)]`) dashed.

use core::fmt::Write as _;
use std::collections::{HashMap, HashSet};

use crate::{BindTables, ColumnInfo, Link, TableInfo};

/// One Mermaid `erDiagram` for every table of `binds`: columns with their types and keys,
/// each foreign key drawn solid with its cardinality, each link dashed (`..`) and
/// labelled. A table name that two binds share is qualified by its bind (`auth.user`).
pub(super) fn mermaid(binds: &[BindTables]) -> String {
    let names = MermaidNames::new(binds);
    let mut out = String::from("erDiagram\n");
    for bind in binds {
        for table in bind.tables() {
            let _ = writeln!(out, "    {} {{", names.of(table));
            for column in table.columns {
                mermaid_attribute(&mut out, table, column);
            }
            out.push_str("    }\n");
        }
    }
    for bind in binds {
        for table in bind.tables() {
            for column in table.columns {
                let Some(fk) = column.references else {
                    continue;
                };
                // A foreign key into another bind cannot be drawn to one table; the
                // registry reports it (`Problem::CrossBindForeignKey`).
                let Some(target) = bind.table(fk.table) else {
                    continue;
                };
                let _ = writeln!(
                    out,
                    "    {} {}--{} {} : {}",
                    names.of(table),
                    many_side(table, column),
                    one_side(column),
                    names.of(target),
                    mermaid_label(column.name)
                );
            }
            for link in table.links {
                let Some(column) = table.column(link.column) else {
                    continue;
                };
                let _ = writeln!(
                    out,
                    "    {} {}..{} {} : {}",
                    names.of(table),
                    many_side(table, column),
                    one_side(column),
                    names.of(link.target),
                    mermaid_label(&format!("{} (link)", column.name))
                );
            }
        }
    }
    out
}

/// The entity names of a Mermaid diagram: the table name, qualified by its bind when
/// another selected bind has a table of that name, or when the table lies outside the
/// selection (the target of a link from inside it).
struct MermaidNames {
    shared: HashSet<&'static str>,
    selected: HashSet<*const TableInfo>,
}

impl MermaidNames {
    fn new(binds: &[BindTables]) -> MermaidNames {
        let mut seen: HashMap<&'static str, usize> = HashMap::new();
        let mut selected = HashSet::new();
        for bind in binds {
            for table in bind.tables() {
                *seen.entry(table.name).or_default() += 1;
                selected.insert(core::ptr::from_ref::<TableInfo>(table));
            }
        }
        MermaidNames {
            shared: seen
                .into_iter()
                .filter(|&(_, n)| n > 1)
                .map(|(t, _)| t)
                .collect(),
            selected,
        }
    }

    fn of(&self, table: &TableInfo) -> String {
        let inside = self.selected.contains(&core::ptr::from_ref(table));
        match table.bind_key {
            Some(key) if self.shared.contains(table.name) || !inside => {
                mermaid_name(&format!("{key}.{}", table.name))
            }
            None if !inside => mermaid_name(&format!("(default).{}", table.name)),
            _ => mermaid_name(table.name),
        }
    }
}

/// One attribute line: type, name, keys, and a comment for what else there is to say
/// (nullable, a link's target, a name Mermaid could not take as it is).
fn mermaid_attribute(out: &mut String, table: &TableInfo, column: &ColumnInfo) {
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
    let mut notes = Vec::new();
    let name = mermaid_word(column.name, false);
    if name != column.name {
        notes.push(format!("column {}", column.name));
    }
    if column.nullable {
        notes.push("nullable".to_owned());
    }
    if let Some(link) = table.link(column.name) {
        notes.push(format!("link to {}", link_target(link)));
    }
    let sql_type = mermaid_word(&column.sql_type.to_string().replace(", ", ","), true);
    let _ = write!(out, "        {sql_type} {name}");
    if !keys.is_empty() {
        let _ = write!(out, " {}", keys.join(", "));
    }
    if !notes.is_empty() {
        let _ = write!(out, " \"{}\"", notes.join(", ").replace('"', "'"));
    }
    out.push('\n');
}

/// `auth.user.id`: where a link points, for notes and labels.
fn link_target(link: &Link) -> String {
    let key = link.target_key().map_or("?", |k| k.name);
    match link.target.bind_key {
        Some(bind) => format!("{bind}.{}.{key}", link.target.name),
        None => format!("(default).{}.{key}", link.target.name),
    }
}

/// How many rows of `table` may point at one target row: at most one when the column
/// alone is unique (its single primary key, or `unique`), else any number.
fn many_side(table: &TableInfo, column: &ColumnInfo) -> &'static str {
    let sole_key = column.primary_key && table.primary_key().count() == 1;
    if sole_key || column.unique {
        "|o"
    } else {
        "}o"
    }
}

/// How many target rows one row points at: exactly one, or none when NULL.
fn one_side(column: &ColumnInfo) -> &'static str {
    if column.nullable { "o|" } else { "||" }
}

/// Words Mermaid's erDiagram lexer takes as keywords wherever they stand.
const MERMAID_KEYWORDS: &[&str] = &[
    "erdiagram",
    "style",
    "classdef",
    "class",
    "subgraph",
    "end",
    "direction",
    "one",
    "many",
    "only",
    "zero",
    "or",
    "more",
    "to",
    "optionally",
    "u",
    "title",
    "acctitle",
    "accdescr",
    "pk",
    "fk",
    "uk",
];

/// An entity name Mermaid reads as one name: bare when it is a plain word, otherwise in
/// quotes, with the characters a quoted name cannot hold (`"`, `%`, `\`) replaced by
/// look-alikes.
fn mermaid_name(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !MERMAID_KEYWORDS.contains(&name.to_ascii_lowercase().as_str());
    if plain {
        name.to_owned()
    } else {
        let escaped: String = name
            .chars()
            .map(|c| match c {
                '"' => '\'',
                '%' => '\u{FF05}',
                '\\' => '\u{FF3C}',
                c => c,
            })
            .collect();
        format!("\"{escaped}\"")
    }
}

/// An attribute name (or, with `punctuation`, a type such as `DECIMAL(10,2)`) Mermaid
/// reads as one word: characters it cannot take become `_`, a leading digit gets a `_`
/// before it, and a keyword (`PK`) gets one after.
fn mermaid_word(word: &str, punctuation: bool) -> String {
    let mut out: String = word
        .chars()
        .map(|c| {
            let fits = c.is_ascii_alphanumeric()
                || c == '_'
                || (punctuation && "(),".contains(c))
                || ('\u{C0}'..='\u{FFFF}').contains(&c);
            if fits { c } else { '_' }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c >= '\u{C0}') {
        out.insert(0, '_');
    }
    if MERMAID_KEYWORDS.contains(&out.to_ascii_lowercase().as_str()) {
        out.push('_');
    }
    out
}

/// A relationship label: always quoted, `"` replaced.
fn mermaid_label(label: &str) -> String {
    format!("\"{}\"", label.replace('"', "'"))
}

/// A Graphviz graph: one cluster per bind (database), one node per table listing its
/// columns, an edge per foreign key (a foreign key into another bind drawn red), and a
/// dashed blue edge per declared link, labelled as a cross-bind reference.
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
            for link in table.links {
                let target = link.target;
                let what = if target.bind_key == bind.key() {
                    "link"
                } else {
                    "cross-bind reference"
                };
                let _ = writeln!(
                    out,
                    "    {} -> {} [label={}, style=dashed, color=blue, fontcolor=blue];",
                    node(bind.key(), table.name),
                    node(target.bind_key, target.name),
                    dot_string(&format!("{} ({what})", link.column))
                );
            }
        }
    }
    // Link targets outside the selection: a bare dashed box, so the edge ends somewhere.
    let mut outside: Vec<&TableInfo> = binds
        .iter()
        .flat_map(|b| {
            b.tables()
                .iter()
                .flat_map(|t| t.links.iter().map(|l| l.target))
        })
        .filter(|t| {
            !binds
                .iter()
                .any(|b| b.tables().iter().any(|s| core::ptr::eq(*s, *t)))
        })
        .collect();
    outside.sort_unstable_by_key(|t| (t.bind_key, t.name));
    outside.dedup_by(|a, b| core::ptr::eq(*a, *b));
    for target in outside {
        let _ = writeln!(
            out,
            "    {} [shape=box, style=dashed, label={}];",
            node(target.bind_key, target.name),
            dot_string(&format!("{} ({})", target.name, target.bind()))
        );
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
