//! The migration that closes a bind's drift (Alembic's `--autogenerate`, per bind): from
//! the models and the live tables, the up statements that make the database match the
//! models and the down statements that put back what it had, in the bind's dialect.
//!
//! What the database cannot do in place is done the way its own documentation says: on
//! SQLite, which alters little beyond adding a column, a table whose columns, keys or
//! constraints change is rebuilt (a new table beside the old, the rows copied, the old
//! dropped, the new renamed: SQLite's "making other kinds of table schema changes").
//! Tables no model declares are left alone and named in a comment.

use crate::{
    ColumnInfo, Dialect, Drift, ForeignKey, IndexInfo, LiveForeignKey, LiveIndex, LiveTable,
    TableInfo, creation_order, drift_of,
};

/// The migration that closes one bind's drift, for a person to review before applying.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AutoMigration {
    /// The statements that make the database match the models, in order.
    pub up: Vec<String>,
    /// The statements that undo them, in order.
    pub down: Vec<String>,
    /// What a reviewer should know: data a statement drops, a statement that fails on a
    /// table with rows, tables left alone.
    pub notes: Vec<String>,
}

impl AutoMigration {
    /// Whether there is nothing to migrate.
    pub fn is_empty(&self) -> bool {
        self.up.is_empty()
    }

    /// The up script: the notes as comments, then each statement ended by `;`.
    pub fn up_script(&self) -> String {
        script(&self.notes, &self.up)
    }

    /// The down script.
    pub fn down_script(&self) -> String {
        script(&[], &self.down)
    }
}

fn script(notes: &[String], statements: &[String]) -> String {
    let mut text = String::new();
    for note in notes {
        text.push_str("-- ");
        text.push_str(note);
        text.push('\n');
    }
    for statement in statements {
        text.push_str(statement);
        text.push_str(";\n");
    }
    text
}

/// One change: its up statements, and the down statements that undo them.
#[derive(Default)]
struct Step {
    up: Vec<String>,
    down: Vec<String>,
}

/// The migration that makes the live tables `live` of a bind match its models `models`,
/// on `dialect`; `keep` names tables no model declares that are bindery's own (the
/// migration history), which are not mentioned.
pub fn autogenerate(
    dialect: Dialect,
    models: &[&'static TableInfo],
    live: &[LiveTable],
    keep: &[&str],
) -> AutoMigration {
    let drift = drift_of(dialect, models, live);
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    let missing: Vec<&TableInfo> = models
        .iter()
        .copied()
        .filter(|t| live.iter().all(|l| l.name != t.name))
        .collect();
    for table in creation_order(&missing) {
        steps.push(Step {
            up: dialect.create_statements(table),
            down: vec![dialect.drop_table(table)],
        });
    }
    for table in models {
        let Some(found) = live.iter().find(|l| l.name == table.name) else {
            continue;
        };
        let items: Vec<&Drift> = drift.iter().filter(|d| table_of(d) == table.name).collect();
        if items.is_empty() {
            continue;
        }
        let mut table_notes = Vec::new();
        if dialect == Dialect::Sqlite && items.iter().any(|d| needs_rebuild(table, d)) {
            steps.push(rebuild(table, found, &mut table_notes));
        } else {
            let alter = Alter {
                dialect,
                table,
                live: found,
            };
            steps.extend(alter.steps(&items, &mut table_notes));
        }
        notes.extend(table_notes);
    }
    for table in live {
        let modelled = models.iter().any(|m| m.name == table.name);
        if !modelled && !keep.contains(&table.name.as_str()) {
            notes.push(format!(
                "table {} exists but no model declares it: left as it is",
                table.name
            ));
        }
    }
    let mut migration = AutoMigration {
        notes,
        ..AutoMigration::default()
    };
    for step in &steps {
        migration.up.extend(step.up.iter().cloned());
    }
    for step in steps.iter().rev() {
        migration.down.extend(step.down.iter().cloned());
    }
    migration
}

/// The table a drift item is about.
fn table_of(drift: &Drift) -> &'static str {
    match drift {
        Drift::MissingTable { table, .. }
        | Drift::MissingColumn { table, .. }
        | Drift::ExtraColumn { table, .. }
        | Drift::TypeMismatch { table, .. }
        | Drift::ServerDefaultMismatch { table, .. }
        | Drift::NullabilityMismatch { table, .. }
        | Drift::MissingIndex { table, .. }
        | Drift::ExtraIndex { table, .. }
        | Drift::MissingUnique { table, .. }
        | Drift::ExtraUnique { table, .. }
        | Drift::MissingForeignKey { table, .. }
        | Drift::ExtraForeignKey { table, .. } => table,
    }
}

/// Whether SQLite must rebuild `table` for `drift`: it alters a table only by adding a
/// column (one that is not a key, has a constant default when NOT NULL) and by its
/// indexes.
fn needs_rebuild(table: &TableInfo, drift: &Drift) -> bool {
    match drift {
        Drift::MissingColumn { column, .. } => {
            table.column(column).is_none_or(|c| !sqlite_can_add(c))
        }
        Drift::MissingIndex { .. } | Drift::ExtraIndex { .. } | Drift::MissingUnique { .. } => {
            false
        }
        _ => true,
    }
}

/// Whether SQLite's `ADD COLUMN` takes `column`.
fn sqlite_can_add(column: &ColumnInfo) -> bool {
    !column.primary_key
        && !column.unique
        && column.server_default.is_none()
        && (column.nullable || column.default.is_some())
}

/// The columns of `table` that `live` has too: what a rebuild copies.
fn common_columns(dialect: Dialect, table: &TableInfo, live: &LiveTable) -> String {
    let names = table
        .columns
        .iter()
        .map(|c| c.name)
        .filter(|name| live.column(name).is_some());
    dialect.quote_list(names)
}

/// SQLite: `table` rebuilt from its model, and back from its old definition.
fn rebuild(table: &TableInfo, live: &LiveTable, notes: &mut Vec<String>) -> Step {
    let dialect = Dialect::Sqlite;
    let quoted = dialect.quote(table.name);
    let temporary = format!("_bindery_rebuild_{}", table.name);
    let quoted_temporary = dialect.quote(&temporary);
    let columns = common_columns(dialect, table, live);
    let copy = |from: &str| {
        format!("INSERT INTO {quoted_temporary} ({columns}) SELECT {columns} FROM {from}")
    };
    let swap = [
        format!("DROP TABLE {quoted}"),
        format!("ALTER TABLE {quoted_temporary} RENAME TO {quoted}"),
    ];
    let mut up = vec![dialect.create_table_named(table, &temporary), copy(&quoted)];
    up.extend(swap.iter().cloned());
    up.extend(dialect.create_indexes(table));
    notes.push(format!(
        "table {} is rebuilt: SQLite cannot alter it in place",
        table.name
    ));
    for column in table.columns {
        if live.column(column.name).is_none() && !column.nullable && column.default.is_none() {
            notes.push(format!(
                "column {}.{} is NOT NULL without a default: the copy fails if the table has rows",
                table.name, column.name
            ));
        }
    }
    for column in &live.columns {
        if table.column(&column.name).is_none() {
            notes.push(format!(
                "column {}.{} is dropped with its data",
                table.name, column.name
            ));
        }
    }
    let old = live
        .definition
        .as_deref()
        .and_then(|sql| renamed_definition(sql, &quoted_temporary));
    let Some(old) = old else {
        notes.push(format!(
            "table {}: its old definition could not be read, so the down script does not rebuild it",
            table.name
        ));
        return Step {
            up,
            down: Vec::new(),
        };
    };
    let mut down = vec![old, copy(&quoted)];
    down.extend(swap);
    down.extend(live.indexes.iter().filter_map(|i| i.definition.clone()));
    Step { up, down }
}

/// A SQLite `CREATE TABLE` statement as the file keeps it, with its table's name replaced
/// by `name` (already quoted). `None` if it does not read as one.
fn renamed_definition(sql: &str, name: &str) -> Option<String> {
    let rest = sql.trim_start();
    let rest = strip_keyword(rest, "CREATE")?;
    let rest = strip_keyword(rest, "TABLE")?;
    let rest = match strip_keyword(rest, "IF") {
        Some(after) => strip_keyword(strip_keyword(after, "NOT")?, "EXISTS")?,
        None => rest,
    };
    let after_name = skip_name(rest)?;
    Some(format!("CREATE TABLE {name}{after_name}"))
}

/// `text` after the keyword `word` (any case) and the blanks that follow it.
fn strip_keyword<'t>(text: &'t str, word: &str) -> Option<&'t str> {
    let head = text.get(..word.len())?;
    let rest = &text[word.len()..];
    (head.eq_ignore_ascii_case(word) && rest.starts_with(|c: char| c.is_whitespace()))
        .then(|| rest.trim_start())
}

/// `text` after the table name it starts with: quoted (`"…"`, `` `…` ``, `[…]`, a quote
/// doubled inside) or bare.
fn skip_name(text: &str) -> Option<&str> {
    let mut chars = text.char_indices();
    let (_, first) = chars.next()?;
    let close = match first {
        '"' => '"',
        '`' => '`',
        '[' => ']',
        _ => {
            let end = text
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .unwrap_or(text.len());
            return (end > 0).then(|| &text[end..]);
        }
    };
    let mut chars = chars.peekable();
    while let Some((at, c)) = chars.next() {
        if c == close {
            if close != ']' && chars.peek().is_some_and(|&(_, next)| next == close) {
                chars.next();
                continue;
            }
            return Some(&text[at + c.len_utf8()..]);
        }
    }
    None
}

/// The changes to one table that its dialect makes in place.
struct Alter<'a> {
    dialect: Dialect,
    table: &'static TableInfo,
    live: &'a LiveTable,
}

impl Alter<'_> {
    /// The steps for `items`, in an order that works: keys and indexes that go, then
    /// columns, then indexes and keys that come (which may cover new columns).
    fn steps(&self, items: &[&Drift], notes: &mut Vec<String>) -> Vec<Step> {
        let mut dropping = Vec::new();
        let mut columns = Vec::new();
        let mut adding = Vec::new();
        // Made last, so that MySQL finds an index a new foreign key can use.
        let mut keys = Vec::new();
        let mut altered: Vec<&str> = Vec::new();
        for item in items {
            match item {
                Drift::ExtraForeignKey { foreign_key, .. } => {
                    dropping.push(self.drop_foreign_key(foreign_key));
                }
                Drift::ExtraUnique { index, .. } => dropping.push(self.drop_unique(index)),
                Drift::ExtraIndex { index, .. } => dropping.push(self.drop_index(index)),
                Drift::MissingIndex { index, differs, .. } => {
                    if *differs && let Some(old) = self.live.index(index.name) {
                        dropping.push(self.drop_index(old));
                    }
                    adding.push(self.create_index(index));
                }
                Drift::MissingColumn { column, .. } => {
                    if let Some(column) = self.table.column(column) {
                        columns.push(self.add_column(column, notes));
                    }
                }
                Drift::ExtraColumn { column, .. } => {
                    if let Some(live) = self.live.column(column) {
                        notes.push(format!(
                            "column {}.{} is dropped with its data",
                            self.table.name, column
                        ));
                        columns.push(self.drop_column(live));
                    }
                }
                Drift::TypeMismatch { column, .. }
                | Drift::NullabilityMismatch { column, .. }
                | Drift::ServerDefaultMismatch { column, .. } => {
                    if !altered.contains(column) {
                        altered.push(column);
                        let model = self.table.column(column);
                        if let (Some(model), Some(live)) = (model, self.live.column(column)) {
                            columns.push(self.alter_column(model, live, items));
                        }
                    }
                }
                Drift::MissingUnique { column, .. } => adding.push(self.add_unique(column)),
                Drift::MissingForeignKey {
                    column, references, ..
                } => keys.push(self.add_foreign_key(column, *references)),
                Drift::MissingTable { .. } => {}
            }
        }
        dropping
            .into_iter()
            .chain(columns)
            .chain(adding)
            .chain(keys)
            .collect()
    }

    fn quoted_table(&self) -> String {
        self.dialect.quote(self.table.name)
    }

    fn alter_table(&self, rest: &str) -> String {
        format!("ALTER TABLE {} {rest}", self.quoted_table())
    }

    fn add_column(&self, column: &ColumnInfo, notes: &mut Vec<String>) -> Step {
        if !column.nullable && column.default.is_none() && column.server_default.is_none() {
            notes.push(format!(
                "column {}.{} is NOT NULL without a default: adding it fails if the table has rows",
                self.table.name, column.name
            ));
        }
        let d = self.dialect;
        Step {
            up: vec![self.alter_table(&format!(
                "ADD COLUMN {}",
                d.column_definition(column, false, true)
            ))],
            down: vec![self.alter_table(&format!("DROP COLUMN {}", d.quote(column.name)))],
        }
    }

    /// The live column as it stands, for putting it back.
    fn live_definition(&self, live: &crate::LiveColumn) -> String {
        let mut def = format!("{} {}", self.dialect.quote(&live.name), live.declared_type);
        def.push_str(if live.nullable { " NULL" } else { " NOT NULL" });
        if let Some(default) = &live.default {
            def.push_str(" DEFAULT ");
            def.push_str(default);
        }
        if live.auto_increment {
            def.push_str(" AUTO_INCREMENT");
        }
        def
    }

    fn drop_column(&self, live: &crate::LiveColumn) -> Step {
        Step {
            up: vec![self.alter_table(&format!("DROP COLUMN {}", self.dialect.quote(&live.name)))],
            down: vec![self.alter_table(&format!("ADD COLUMN {}", self.live_definition(live)))],
        }
    }

    /// A column's type, nullability and server default, as the model has them (and back).
    fn alter_column(&self, model: &ColumnInfo, live: &crate::LiveColumn, items: &[&Drift]) -> Step {
        let d = self.dialect;
        if d == Dialect::MySql {
            return Step {
                up: vec![self.alter_table(&format!(
                    "MODIFY COLUMN {}",
                    d.column_definition(model, false, false)
                ))],
                down: vec![
                    self.alter_table(&format!("MODIFY COLUMN {}", self.live_definition(live))),
                ],
            };
        }
        let name = d.quote(model.name);
        let column = |rest: String| self.alter_table(&format!("ALTER COLUMN {name} {rest}"));
        let mut step = Step::default();
        let about =
            |f: fn(&Drift) -> bool| items.iter().any(|i| f(i) && matches_column(i, model.name));
        if about(|i| matches!(i, Drift::TypeMismatch { .. })) {
            let new = d.column_type(model.sql_type);
            step.up
                .push(column(format!("TYPE {new} USING {name}::{new}")));
            let old = &live.declared_type;
            step.down
                .push(column(format!("TYPE {old} USING {name}::{old}")));
        }
        if about(|i| matches!(i, Drift::NullabilityMismatch { .. })) {
            let (set, unset) = ("SET NOT NULL".to_owned(), "DROP NOT NULL".to_owned());
            let (up, down) = if model.nullable {
                (unset, set)
            } else {
                (set, unset)
            };
            step.up.push(column(up));
            step.down.push(column(down));
        }
        if about(|i| matches!(i, Drift::ServerDefaultMismatch { .. }))
            && let Some(default) = model.server_default
        {
            step.up
                .push(column(format!("SET DEFAULT {}", d.server_default(default))));
            step.down.push(column(match &live.default {
                Some(old) => format!("SET DEFAULT {old}"),
                None => "DROP DEFAULT".to_owned(),
            }));
        }
        step
    }

    fn drop_index_statement(&self, name: &str) -> String {
        match self.dialect {
            Dialect::MySql => format!(
                "DROP INDEX {} ON {}",
                self.dialect.quote(name),
                self.quoted_table()
            ),
            _ => format!("DROP INDEX {}", self.dialect.quote(name)),
        }
    }

    fn create_index_statement(&self, name: &str, columns: &[&str], unique: bool) -> String {
        format!(
            "CREATE {}INDEX {} ON {} ({})",
            if unique { "UNIQUE " } else { "" },
            self.dialect.quote(name),
            self.quoted_table(),
            self.dialect.quote_list(columns.iter().copied())
        )
    }

    /// A live index dropped, and made again (from its definition where the catalog kept
    /// one).
    fn drop_index(&self, index: &LiveIndex) -> Step {
        let columns: Vec<&str> = index.columns.iter().map(String::as_str).collect();
        let again = index
            .definition
            .clone()
            .unwrap_or_else(|| self.create_index_statement(&index.name, &columns, index.unique));
        Step {
            up: vec![self.drop_index_statement(&index.name)],
            down: vec![again],
        }
    }

    fn create_index(&self, index: &IndexInfo) -> Step {
        Step {
            up: vec![self.create_index_statement(index.name, index.columns, index.unique)],
            down: vec![self.drop_index_statement(index.name)],
        }
    }

    /// A UNIQUE column's index: `uq_<table>_<column>`, SQLAlchemy's convention.
    fn add_unique(&self, column: &str) -> Step {
        let name = format!("uq_{}_{column}", self.table.name);
        Step {
            up: vec![self.create_index_statement(&name, &[column], true)],
            down: vec![self.drop_index_statement(&name)],
        }
    }

    /// A UNIQUE constraint no model declares (PostgreSQL: SQLite rebuilds instead, and
    /// MySQL's are indexes).
    fn drop_unique(&self, index: &LiveIndex) -> Step {
        let Some(constraint) = &index.constraint else {
            return self.drop_index(index);
        };
        let name = self.dialect.quote(constraint);
        let columns = self
            .dialect
            .quote_list(index.columns.iter().map(String::as_str));
        Step {
            up: vec![self.alter_table(&format!("DROP CONSTRAINT {name}"))],
            down: vec![self.alter_table(&format!("ADD CONSTRAINT {name} UNIQUE ({columns})"))],
        }
    }

    fn foreign_key_clause(&self, columns: &[&str], table: &str, targets: &[&str]) -> String {
        let d = self.dialect;
        format!(
            "FOREIGN KEY ({}) REFERENCES {} ({})",
            d.quote_list(columns.iter().copied()),
            d.quote(table),
            d.quote_list(targets.iter().copied())
        )
    }

    fn drop_constraint(&self, name: &str) -> String {
        let keyword = match self.dialect {
            Dialect::MySql => "FOREIGN KEY",
            _ => "CONSTRAINT",
        };
        self.alter_table(&format!("DROP {keyword} {}", self.dialect.quote(name)))
    }

    /// A model's foreign key, named `fk_<table>_<column>` so that the down script can
    /// drop it. MySQL makes an index of that name for it when none leads with the column,
    /// which the down script drops too.
    fn add_foreign_key(&self, column: &str, references: ForeignKey) -> Step {
        let name = format!("fk_{}_{column}", self.table.name);
        let clause = self.foreign_key_clause(&[column], references.table, &[references.column]);
        let mut step = Step {
            up: vec![self.alter_table(&format!(
                "ADD CONSTRAINT {} {clause}",
                self.dialect.quote(&name)
            ))],
            down: vec![self.drop_constraint(&name)],
        };
        let indexed = self
            .table
            .indexes
            .iter()
            .any(|i| i.columns.first() == Some(&column))
            || self
                .table
                .column(column)
                .is_some_and(|c| c.unique || c.primary_key);
        if self.dialect == Dialect::MySql && !indexed {
            step.down.push(self.drop_index_statement(&name));
        }
        step
    }

    /// A foreign key no model declares (SQLite rebuilds instead: its keys have no name).
    /// On MySQL the index it made for itself goes with it, unless a model declares it.
    fn drop_foreign_key(&self, key: &LiveForeignKey) -> Step {
        let Some(name) = &key.name else {
            return Step::default();
        };
        let columns: Vec<&str> = key.columns.iter().map(String::as_str).collect();
        let targets: Vec<&str> = key.references_columns.iter().map(String::as_str).collect();
        let clause = self.foreign_key_clause(&columns, &key.references_table, &targets);
        let mut step = Step {
            up: vec![self.drop_constraint(name)],
            down: vec![self.alter_table(&format!(
                "ADD CONSTRAINT {} {clause}",
                self.dialect.quote(name)
            ))],
        };
        if self.dialect == Dialect::MySql {
            let own_index = self.live.indexes.iter().find(|i| {
                i.columns.starts_with(&key.columns)
                    && self.table.indexes.iter().all(|m| m.name != i.name)
            });
            if let Some(index) = own_index {
                let again = self.drop_index(index);
                step.up.extend(again.up);
                step.down.splice(0..0, again.down);
            }
        }
        step
    }
}

/// Whether a column drift item is about `column`.
fn matches_column(drift: &Drift, column: &str) -> bool {
    match drift {
        Drift::TypeMismatch { column: c, .. }
        | Drift::NullabilityMismatch { column: c, .. }
        | Drift::ServerDefaultMismatch { column: c, .. } => *c == column,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LiveColumn, ServerDefault, SqlType};

    static EVENT: TableInfo = TableInfo {
        columns: &[
            ColumnInfo {
                primary_key: true,
                ..ColumnInfo::new("id", SqlType::BigInt)
            },
            ColumnInfo {
                nullable: true,
                ..ColumnInfo::new("title", SqlType::VarChar(40))
            },
            ColumnInfo {
                server_default: Some(ServerDefault::CurrentTimestamp),
                ..ColumnInfo::new("at", SqlType::Timestamp)
            },
        ],
        indexes: &[IndexInfo {
            name: "ix_event_title",
            columns: &["title", "at"],
            unique: false,
        }],
        ..TableInfo::new("event", "app::Event")
    };

    /// `event` as it stands: `title` NOT NULL, `at` without a default, the index on
    /// `title` alone.
    fn live(dialect: Dialect) -> LiveTable {
        let column = |name: &str, ty: SqlType, nullable: bool| LiveColumn {
            name: name.to_owned(),
            declared_type: dialect.column_type(ty),
            sql_type: Some(ty),
            nullable,
            ..LiveColumn::default()
        };
        LiveTable {
            name: "event".to_owned(),
            columns: vec![
                column("id", SqlType::BigInt, false),
                column("title", SqlType::VarChar(40), false),
                column("at", SqlType::Timestamp, false),
            ],
            indexes: vec![LiveIndex {
                name: "ix_event_title".to_owned(),
                columns: vec!["title".to_owned()],
                ..LiveIndex::default()
            }],
            ..LiveTable::default()
        }
    }

    #[test]
    fn nullability_a_server_default_and_a_changed_index_are_altered_and_put_back() {
        let migration = autogenerate(
            Dialect::Postgres,
            &[&EVENT],
            &[live(Dialect::Postgres)],
            &[],
        );
        assert_eq!(
            migration.up,
            [
                r#"DROP INDEX "ix_event_title""#,
                r#"ALTER TABLE "event" ALTER COLUMN "title" DROP NOT NULL"#,
                r#"ALTER TABLE "event" ALTER COLUMN "at" SET DEFAULT CURRENT_TIMESTAMP"#,
                r#"CREATE INDEX "ix_event_title" ON "event" ("title", "at")"#,
            ]
        );
        assert_eq!(
            migration.down,
            [
                r#"DROP INDEX "ix_event_title""#,
                r#"ALTER TABLE "event" ALTER COLUMN "at" DROP DEFAULT"#,
                r#"ALTER TABLE "event" ALTER COLUMN "title" SET NOT NULL"#,
                r#"CREATE INDEX "ix_event_title" ON "event" ("title")"#,
            ]
        );
        let migration = autogenerate(Dialect::MySql, &[&EVENT], &[live(Dialect::MySql)], &[]);
        assert_eq!(
            migration.up[1..3],
            [
                "ALTER TABLE `event` MODIFY COLUMN `title` VARCHAR(40) NULL",
                "ALTER TABLE `event` MODIFY COLUMN `at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP",
            ]
        );
        assert_eq!(
            migration.down[1],
            "ALTER TABLE `event` MODIFY COLUMN `at` DATETIME(6) NOT NULL"
        );
        // SQLite alters neither: the table is rebuilt.
        let migration = autogenerate(Dialect::Sqlite, &[&EVENT], &[live(Dialect::Sqlite)], &[]);
        assert!(migration.up[0].starts_with("CREATE TABLE `_bindery_rebuild_event`"));
    }

    #[test]
    fn a_definition_is_renamed_whatever_quotes_its_name() {
        for (sql, rest) in [
            ("CREATE TABLE `order` ( `id` INTEGER )", " ( `id` INTEGER )"),
            ("create table \"a\"\"b\"(x)", "(x)"),
            ("CREATE TABLE [t] (x)", " (x)"),
            ("CREATE TABLE IF NOT EXISTS plain(x)", "(x)"),
        ] {
            assert_eq!(
                renamed_definition(sql, "`tmp`"),
                Some(format!("CREATE TABLE `tmp`{rest}")),
                "{sql}"
            );
        }
        assert_eq!(renamed_definition("CREATE VIEW v AS SELECT 1", "`t`"), None);
        assert_eq!(renamed_definition("CREATE TABLE \"open", "`t`"), None);
    }
}
