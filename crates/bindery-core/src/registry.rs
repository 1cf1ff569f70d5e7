//! The collected tables, grouped per bind and checked: Flask-SQLAlchemy's `db.metadatas`.

use core::fmt;
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use crate::problem::{check_foreign_key, check_index_names, check_link, check_table};
use crate::{AsBindKey, BindName, ColumnInfo, Model, Problem, RegistryError, TableInfo};

/// Every table of the program, grouped per bind, in a stable order: the default bind
/// first, then the named binds by key; inside a bind, tables by name (then by Rust type,
/// should two models wrongly share a name).
#[derive(Debug)]
pub struct Registry {
    binds: Vec<BindTables>,
    by_rust_type: HashMap<&'static str, &'static TableInfo>,
    links: Vec<LinkEdge>,
    problems: Vec<Problem>,
    /// The crates the program declares it links (`bindery::link!`), sorted, once each.
    linked: Vec<&'static str>,
}

/// A declared link ([`Link`](crate::Link)) with both ends resolved: a column of one table
/// naming rows of another table by its single-column primary key. Nothing enforces it;
/// it is what a loader follows to fetch related rows across binds.
#[derive(Debug, Clone, Copy)]
pub struct LinkEdge {
    /// The table holding the link.
    pub from: &'static TableInfo,
    /// The linking column, in `from`.
    pub column: &'static ColumnInfo,
    /// The linked table. It may lie outside the registry when the registry holds only
    /// some tables (a dump of chosen binds).
    pub to: &'static TableInfo,
    /// The linked table's primary-key column.
    pub key: &'static ColumnInfo,
}

impl LinkEdge {
    /// Whether the two tables live in different binds (the usual case; a link inside one
    /// bind is allowed, though a foreign key would say more there).
    pub fn crosses_binds(&self) -> bool {
        self.from.bind_key != self.to.bind_key
    }
}

/// The tables of one bind: the counterpart of one SQLAlchemy `MetaData`.
#[derive(Debug)]
pub struct BindTables {
    key: Option<&'static str>,
    tables: Vec<&'static TableInfo>,
}

impl BindTables {
    /// The bind key; `None` for the default bind.
    pub fn key(&self) -> Option<&'static str> {
        self.key
    }

    /// The bind, ready to print.
    pub fn name(&self) -> BindName<'static> {
        BindName(self.key)
    }

    /// Its tables, by name.
    pub fn tables(&self) -> &[&'static TableInfo] {
        &self.tables
    }

    /// The table named `name` in this bind.
    pub fn table(&self, name: &str) -> Option<&'static TableInfo> {
        let first = self.tables.partition_point(|t| t.name < name);
        self.tables.get(first).copied().filter(|t| t.name == name)
    }
}

impl Registry {
    /// Indexes and checks a set of tables. [`registry()`] does this once for every table
    /// linked into the program; call it yourself to check a set of your choosing.
    pub fn from_tables(tables: impl IntoIterator<Item = &'static TableInfo>) -> Registry {
        let mut tables: Vec<&'static TableInfo> = tables.into_iter().collect();
        tables.sort_unstable_by_key(|t| (t.bind_key, t.name, t.rust_type));
        // The same static submitted twice (possible only by hand) is one table, not two.
        tables.dedup_by(|a, b| core::ptr::eq(*a, *b));

        let mut binds: Vec<BindTables> = Vec::new();
        let mut by_rust_type = HashMap::with_capacity(tables.len());
        for table in tables {
            by_rust_type.insert(table.rust_type, table);
            match binds.last_mut() {
                Some(bind) if bind.key == table.bind_key => bind.tables.push(table),
                _ => binds.push(BindTables {
                    key: table.bind_key,
                    tables: vec![table],
                }),
            }
        }
        let mut registry = Registry {
            binds,
            by_rust_type,
            links: Vec::new(),
            problems: Vec::new(),
            linked: Vec::new(),
        };
        registry.problems = registry.find_problems();
        registry.links = registry.resolve_links();
        registry
    }

    fn find_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for bind in &self.binds {
            for same_name in bind.tables.chunk_by(|a, b| a.name == b.name) {
                if let [first, _, ..] = same_name {
                    problems.push(Problem::DuplicateTable {
                        bind: bind.name().into(),
                        table: first.name,
                        models: same_name.iter().map(|t| t.rust_type).collect(),
                    });
                }
            }
            check_index_names(bind, &mut problems);
        }
        for table in self.tables() {
            check_table(table, &mut problems);
            for column in table.columns {
                let Some(target) = column.references else {
                    continue;
                };
                let same_bind = self.table(table.bind_key, target.table);
                let other_binds = self
                    .binds
                    .iter()
                    .filter(|b| b.key != table.bind_key)
                    .filter_map(|b| b.table(target.table));
                check_foreign_key(table, column, target, same_bind, other_binds, &mut problems);
            }
            for link in table.links {
                check_link(table, link, &mut problems);
            }
        }
        problems
    }

    /// The links whose column and target key exist; the others are problems.
    fn resolve_links(&self) -> Vec<LinkEdge> {
        self.tables()
            .flat_map(|from| {
                from.links.iter().filter_map(move |link| {
                    Some(LinkEdge {
                        from,
                        column: from.column(link.column)?,
                        to: link.target,
                        key: link.target_key()?,
                    })
                })
            })
            .collect()
    }

    /// Every declared link of the registry's tables, bind by bind and table by table, in
    /// column order within a table: what a loader follows to fetch the rows a column
    /// names in another bind. A link whose column or target key is missing is left out
    /// (and is a [`Problem`]).
    pub fn links(&self) -> &[LinkEdge] {
        &self.links
    }

    /// The links into `table` (compared by identity: the very static).
    pub fn links_to(&self, table: &TableInfo) -> impl Iterator<Item = &LinkEdge> + '_ {
        let table: *const TableInfo = table;
        self.links
            .iter()
            .filter(move |l| core::ptr::eq(l.to, table))
    }

    /// The binds that have at least one table, in order.
    pub fn binds(&self) -> &[BindTables] {
        &self.binds
    }

    /// The tables of the bind `key` (`None`: the default bind), if it has any.
    pub fn bind(&self, key: impl AsBindKey) -> Option<&BindTables> {
        let key = key.as_bind_key();
        self.binds.iter().find(|b| b.key == key)
    }

    /// Every table, bind by bind.
    pub fn tables(&self) -> impl Iterator<Item = &'static TableInfo> + '_ {
        self.binds.iter().flat_map(|b| b.tables.iter().copied())
    }

    /// How many tables there are.
    pub fn len(&self) -> usize {
        self.binds.iter().map(|b| b.tables.len()).sum()
    }

    /// Whether no table was collected at all.
    pub fn is_empty(&self) -> bool {
        self.binds.is_empty()
    }

    /// The table `name` in the bind `bind` (`None`: the default bind).
    pub fn table(&self, bind: impl AsBindKey, name: &str) -> Option<&'static TableInfo> {
        self.bind(bind)?.table(name)
    }

    /// The table of the Rust type with this full path (`shop::Order`).
    pub fn by_rust_type(&self, path: &str) -> Option<&'static TableInfo> {
        self.by_rust_type.get(path).copied()
    }

    /// The table of model `M`, as collected.
    pub fn of<M: Model>(&self) -> Option<&'static TableInfo> {
        self.by_rust_type(M::TABLE.rust_type)
    }

    /// The crates that contributed tables (the first segment of each Rust path), sorted.
    /// A crate missing here was not linked: see [`bindery::link!`](../bindery/macro.link.html).
    pub fn crates(&self) -> BTreeSet<&'static str> {
        self.tables()
            .map(|t| t.rust_type.split("::").next().unwrap_or(t.rust_type))
            .collect()
    }

    /// `Ok` if each of these crates contributed at least one table; otherwise the crates
    /// that did not, which the program most likely forgot to link (see `bindery::link!`).
    /// Name crates as Rust does, with `_` for `-`.
    pub fn require_crates<'a>(
        &self,
        crates: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), MissingCrates> {
        let present = self.crates();
        let missing: Vec<String> = crates
            .into_iter()
            .filter(|c| !present.contains(c))
            .map(str::to_owned)
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(MissingCrates {
                missing,
                declared: false,
            })
        }
    }

    /// These tables, with the crates the program declares it links: those
    /// `bindery::link!` names, which [`Registry::check_linked`] expects to hold models.
    /// [`registry()`] records every `bindery::link!` of the program this way.
    pub fn with_linked_crates(
        mut self,
        crates: impl IntoIterator<Item = &'static str>,
    ) -> Registry {
        self.linked.extend(crates);
        self.linked.sort_unstable();
        self.linked.dedup();
        self
    }

    /// The crates the program declares it links, sorted (see
    /// [`Registry::with_linked_crates`]).
    pub fn linked_crates(&self) -> &[&'static str] {
        &self.linked
    }

    /// `Ok` if every crate the program declares it links (`bindery::link!`) contributed
    /// at least one table; otherwise those that did not, by name. The command line runs
    /// this check before every schema command; a program can run it at start-up or in a
    /// test.
    pub fn check_linked(&self) -> Result<(), MissingCrates> {
        self.require_crates(self.linked.iter().copied())
            .map_err(|missing| MissingCrates {
                declared: true,
                ..missing
            })
    }

    /// Every problem found in the tables, in a stable order (empty when all is well).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// `Ok` when the tables have no problem, otherwise every problem at once.
    pub fn validate(&self) -> Result<(), RegistryError> {
        RegistryError::from_problems(&self.problems)
    }
}

/// Crates expected to hold models of which the registry has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingCrates {
    missing: Vec<String>,
    /// Whether `bindery::link!` names them (so they are linked, yet hold no model).
    declared: bool,
}

impl MissingCrates {
    /// The crates, in the order they were asked for.
    pub fn crates(&self) -> &[String] {
        &self.missing
    }
}

impl fmt::Display for MissingCrates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.missing.iter().map(|c| format!("`{c}`")).collect();
        if self.declared {
            return write!(
                f,
                "`bindery::link!` names crate {}, yet no model of it reached the registry: the crate declares none (its models may sit behind a feature that is off), or this target dropped them; name in `bindery::link!` only crates that declare models",
                names.join(", ")
            );
        }
        write!(
            f,
            "no model of crate {} reached the registry: nothing in the program names it, so it was not linked; add `bindery::link!({});` to the binary",
            names.join(", "),
            self.missing.join(", ")
        )
    }
}

impl std::error::Error for MissingCrates {}

/// The registry of every table linked into this program, with the crates its
/// `bindery::link!` declarations name; built on first use.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        Registry::from_tables(crate::collect::collected())
            .with_linked_crates(crate::collect::linked())
    })
}
