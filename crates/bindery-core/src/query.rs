//! Typed query pieces: columns of a model (made by `#[derive(Model)]`), filters and
//! orderings over them, and the SELECT they render to. A filter of one model cannot be
//! given to a query of another, and a misspelt column does not compile.

use core::fmt;
use core::marker::PhantomData;

use crate::dml::{SqlWriter, select};
use crate::{Dialect, Model, Operand, ReadPolicy, SameBind, TableInfo, Value};

/// Column `T` of model `M`: `User::COLUMNS.name` is a `Column<User, String>`.
pub struct Column<M, T> {
    name: &'static str,
    _marker: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Column<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, T> Copy for Column<M, T> {}

impl<M, T> fmt::Debug for Column<M, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Column({})", self.name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Compare {
    fn sql(self) -> &'static str {
        match self {
            Compare::Eq => " = ",
            Compare::Ne => " <> ",
            Compare::Lt => " < ",
            Compare::Le => " <= ",
            Compare::Gt => " > ",
            Compare::Ge => " >= ",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Compare(&'static str, Compare, Value),
    /// An aggregate compared with a value, for `HAVING`.
    CompareItem(SelectItem, Compare, Value),
    /// `column IN (SELECT item FROM table WHERE …)`: a subquery of another table.
    InSubquery(&'static str, Box<Subquery>),
    In(&'static str, Vec<Value>),
    Null(&'static str, bool),
    /// A pattern in bindery's syntax, rendered per dialect.
    Like(&'static str, String),
    All(Vec<Expr>),
    Any(Vec<Expr>),
    Not(Box<Expr>),
}

/// The SELECT of one column of another table, inside a filter.
#[derive(Debug, Clone)]
struct Subquery {
    table: &'static TableInfo,
    item: SelectItem,
    filter: Option<Expr>,
}

/// The same table (by address: tables are statics) and the same SELECT.
impl PartialEq for Subquery {
    fn eq(&self, other: &Subquery) -> bool {
        std::ptr::eq(self.table, other.table)
            && self.item == other.item
            && self.filter == other.filter
    }
}

/// A condition on the rows of model `M`.
pub struct Filter<M> {
    expr: Expr,
    _marker: PhantomData<fn() -> M>,
}

impl<M> Clone for Filter<M> {
    fn clone(&self) -> Self {
        Filter::new(self.expr.clone())
    }
}

impl<M> fmt::Debug for Filter<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

/// An ordering of the rows of model `M`.
pub struct Order<M> {
    column: &'static str,
    descending: bool,
    _marker: PhantomData<fn() -> M>,
}

impl<M> Clone for Order<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for Order<M> {}

impl<M> fmt::Debug for Order<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            self.column,
            if self.descending { "DESC" } else { "ASC" }
        )
    }
}

impl<M, T> Column<M, T> {
    /// The column named `name` (the derive calls this).
    #[doc(hidden)]
    pub const fn new(name: &'static str) -> Column<M, T> {
        Column {
            name,
            _marker: PhantomData,
        }
    }

    /// Its name in the database.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    fn compare(self, op: Compare, value: Value) -> Filter<M> {
        // SQLAlchemy's rule: comparing with None means IS [NOT] NULL.
        match (op, value.is_null()) {
            (Compare::Eq, true) => Filter::new(Expr::Null(self.name, true)),
            (Compare::Ne, true) => Filter::new(Expr::Null(self.name, false)),
            _ => Filter::new(Expr::Compare(self.name, op, value)),
        }
    }

    /// `SET column = value`, for [`Select::render_update`] (a bulk update, or a partial
    /// update by key).
    pub fn set(self, value: impl Operand<T>) -> Assignment<M> {
        Assignment {
            column: self.name,
            value: value.into_value(),
            _marker: PhantomData,
        }
    }

    /// `column = value` (`IS NULL` for `None`).
    pub fn eq(self, value: impl Operand<T>) -> Filter<M> {
        self.compare(Compare::Eq, value.into_value())
    }

    /// `column <> value` (`IS NOT NULL` for `None`).
    pub fn ne(self, value: impl Operand<T>) -> Filter<M> {
        self.compare(Compare::Ne, value.into_value())
    }

    /// `column < value`.
    pub fn lt(self, value: impl Operand<T>) -> Filter<M> {
        self.compare(Compare::Lt, value.into_value())
    }

    /// `column <= value`.
    pub fn le(self, value: impl Operand<T>) -> Filter<M> {
        self.compare(Compare::Le, value.into_value())
    }

    /// `column > value`.
    pub fn gt(self, value: impl Operand<T>) -> Filter<M> {
        self.compare(Compare::Gt, value.into_value())
    }

    /// `column >= value`.
    pub fn ge(self, value: impl Operand<T>) -> Filter<M> {
        self.compare(Compare::Ge, value.into_value())
    }

    /// `column IN (values…)`; an empty list matches nothing.
    pub fn is_in<V: Operand<T>>(self, values: impl IntoIterator<Item = V>) -> Filter<M> {
        Filter::new(Expr::In(
            self.name,
            values.into_iter().map(Operand::into_value).collect(),
        ))
    }

    /// `column IS NULL`.
    pub fn is_null(self) -> Filter<M> {
        Filter::new(Expr::Null(self.name, true))
    }

    /// `column IS NOT NULL`.
    pub fn is_not_null(self) -> Filter<M> {
        Filter::new(Expr::Null(self.name, false))
    }

    /// Ascending order on this column.
    pub fn asc(self) -> Order<M> {
        Order {
            column: self.name,
            descending: false,
            _marker: PhantomData,
        }
    }

    /// Descending order on this column.
    pub fn desc(self) -> Order<M> {
        Order {
            column: self.name,
            descending: true,
            _marker: PhantomData,
        }
    }
}

// Text matches mean the same on every backend: SQLite's LIKE ignores ASCII case and has
// no escape unless told, MySQL's default collations ignore case and its default escape is
// a backslash, PostgreSQL's LIKE is case-sensitive with a backslash escape. bindery takes
// PostgreSQL's meaning and renders it per dialect (see `write_expr`).
macro_rules! text_matches {
    ($t:ty) => {
        impl<M> Column<M, $t> {
            /// `column LIKE pattern`, case-sensitive and with the same meaning on every
            /// backend: `%` stands for any run of characters, `_` for one character, and
            /// a backslash makes the character after it literal (`\%` is a percent sign,
            /// `\_` an underscore, `\\` a backslash; a backslash that ends the pattern
            /// stands for itself). The pattern is a bound parameter. To match a user's
            /// text literally, use [`contains`](Self::contains),
            /// [`starts_with`](Self::starts_with) or [`ends_with`](Self::ends_with).
            pub fn like(self, pattern: &str) -> Filter<M> {
                Filter::new(Expr::Like(self.name, pattern.to_owned()))
            }

            /// Rows whose text contains `text`, every character of it literal (`%`,
            /// `_` and `\` too: SQLAlchemy's `contains(…, autoescape=True)`);
            /// case-sensitive, as [`like`](Self::like).
            pub fn contains(self, text: &str) -> Filter<M> {
                Filter::new(Expr::Like(self.name, format!("%{}%", escape_like(text))))
            }

            /// Rows whose text starts with `text`, every character literal.
            pub fn starts_with(self, text: &str) -> Filter<M> {
                Filter::new(Expr::Like(self.name, format!("{}%", escape_like(text))))
            }

            /// Rows whose text ends with `text`, every character literal.
            pub fn ends_with(self, text: &str) -> Filter<M> {
                Filter::new(Expr::Like(self.name, format!("%{}", escape_like(text))))
            }
        }
    };
}

text_matches!(String);
text_matches!(Option<String>);

/// `text` as a pattern that matches exactly it.
fn escape_like(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern
}

/// The escape character bindery renders in `LIKE … ESCAPE`: not the backslash, whose
/// meaning inside a string literal depends on MySQL's `NO_BACKSLASH_ESCAPES` and
/// PostgreSQL's `standard_conforming_strings`.
const LIKE_ESCAPE: char = '!';

/// A pattern in bindery's syntax (backslash escapes) as the dialect's LIKE (escape `!`)
/// or, on SQLite, GLOB pattern.
fn render_like(pattern: &str, dialect: Dialect) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        let literal = match c {
            '\\' => chars.next().unwrap_or('\\'),
            '%' => {
                out.push(if dialect == Dialect::Sqlite { '*' } else { '%' });
                continue;
            }
            '_' => {
                out.push(if dialect == Dialect::Sqlite { '?' } else { '_' });
                continue;
            }
            c => c,
        };
        match dialect {
            Dialect::Sqlite if matches!(literal, '*' | '?' | '[') => {
                out.push('[');
                out.push(literal);
                out.push(']');
            }
            Dialect::Postgres | Dialect::MySql if matches!(literal, '%' | '_' | LIKE_ESCAPE) => {
                out.push(LIKE_ESCAPE);
                out.push(literal);
            }
            _ => out.push(literal),
        }
    }
    out
}

impl<M> Filter<M> {
    /// `item <op> value` for an aggregate, in `HAVING` (`c.total.sum().gt(100)`).
    #[doc(hidden)]
    pub fn compare_item(item: SelectItem, op: &str, value: Value) -> Filter<M> {
        let op = match op {
            "=" => Compare::Eq,
            "<>" => Compare::Ne,
            "<" => Compare::Lt,
            "<=" => Compare::Le,
            ">" => Compare::Gt,
            _ => Compare::Ge,
        };
        Filter::new(Expr::CompareItem(item, op, value))
    }

    /// `column IN (SELECT item FROM <N's table> WHERE <select's filter>)`. `N` must be on
    /// `M`'s bind: the one way to build a subquery, so that no caller can forget it.
    #[doc(hidden)]
    pub fn in_subquery<N>(column: &'static str, item: SelectItem, select: &Select<N>) -> Filter<M>
    where
        M: Model,
        N: SameBind<M>,
    {
        Filter::new(Expr::InSubquery(
            column,
            Box::new(Subquery {
                table: N::TABLE,
                item,
                filter: select.filter.as_ref().map(|f| f.expr.clone()),
            }),
        ))
    }

    /// The tables its subqueries read, for a check that they are in the query's bind.
    pub fn subquery_tables(&self) -> Vec<&'static TableInfo> {
        fn visit(expr: &Expr, out: &mut Vec<&'static TableInfo>) {
            match expr {
                Expr::InSubquery(_, sub) => {
                    out.push(sub.table);
                    if let Some(filter) = &sub.filter {
                        visit(filter, out);
                    }
                }
                Expr::All(parts) | Expr::Any(parts) => parts.iter().for_each(|p| visit(p, out)),
                Expr::Not(inner) => visit(inner, out),
                _ => {}
            }
        }
        let mut out = Vec::new();
        visit(&self.expr, &mut out);
        out
    }

    /// `column IN (values)` for a column named at run time (a loader's keys).
    #[doc(hidden)]
    pub fn column_in(column: &'static str, values: Vec<Value>) -> Filter<M> {
        Filter::new(Expr::In(column, values))
    }

    fn new(expr: Expr) -> Filter<M> {
        Filter {
            expr,
            _marker: PhantomData,
        }
    }

    /// Both conditions.
    pub fn and(self, other: Filter<M>) -> Filter<M> {
        Filter::new(match self.expr {
            Expr::All(mut all) => {
                all.push(other.expr);
                Expr::All(all)
            }
            expr => Expr::All(vec![expr, other.expr]),
        })
    }

    /// Either condition.
    pub fn or(self, other: Filter<M>) -> Filter<M> {
        Filter::new(match self.expr {
            Expr::Any(mut any) => {
                any.push(other.expr);
                Expr::Any(any)
            }
            expr => Expr::Any(vec![expr, other.expr]),
        })
    }
}

impl<M> core::ops::Not for Filter<M> {
    type Output = Filter<M>;

    /// The opposite condition: `!User::COLUMNS.name.eq("ann")`.
    fn not(self) -> Filter<M> {
        Filter::new(Expr::Not(Box::new(self.expr)))
    }
}

/// A column of model `M` whatever its type, to list several in one array:
/// `[c.name.into(), c.note.into()]` (`Session::update_columns`).
pub struct AnyColumn<M> {
    name: &'static str,
    _marker: PhantomData<fn() -> M>,
}

impl<M> Clone for AnyColumn<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for AnyColumn<M> {}

impl<M> fmt::Debug for AnyColumn<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnyColumn({})", self.name)
    }
}

impl<M> AnyColumn<M> {
    /// Its name in the database.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<M, T> From<Column<M, T>> for AnyColumn<M> {
    fn from(column: Column<M, T>) -> AnyColumn<M> {
        AnyColumn {
            name: column.name,
            _marker: PhantomData,
        }
    }
}

/// What a projection selects, rendered per dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectItem {
    /// A column as it is.
    Column(&'static str),
    /// `COUNT(*)`.
    CountAll,
    /// `COUNT(c)`: rows where `c` is not NULL.
    Count(&'static str),
    /// `COUNT(DISTINCT c)`.
    CountDistinct(&'static str),
    /// `SUM(c)` of an integer column, as a 64-bit integer.
    SumInteger(&'static str),
    /// `SUM(c)` of a float column, as a double.
    SumFloat(&'static str),
    /// `AVG(c)`, as a double.
    Avg(&'static str),
    /// `MIN(c)`.
    Min(&'static str),
    /// `MAX(c)`.
    Max(&'static str),
}

impl SelectItem {
    pub(crate) fn write(self, w: &mut SqlWriter) {
        let dialect = w.dialect();
        let call = |w: &mut SqlWriter, function: &str, column: &str| {
            w.push(function).push("(").column(column).push(")");
        };
        match self {
            SelectItem::Column(column) => {
                w.column(column);
            }
            SelectItem::CountAll => {
                w.push("COUNT(*)");
            }
            SelectItem::Count(column) => call(w, "COUNT", column),
            SelectItem::CountDistinct(column) => {
                w.push("COUNT(DISTINCT ").column(column).push(")");
            }
            SelectItem::SumInteger(column) => match dialect {
                // NUMERIC on PostgreSQL for BIGINT, DECIMAL on MySQL for every integer.
                Dialect::Postgres => {
                    w.push("CAST(");
                    call(w, "SUM", column);
                    w.push(" AS BIGINT)");
                }
                Dialect::MySql => {
                    w.push("CAST(");
                    call(w, "SUM", column);
                    w.push(" AS SIGNED)");
                }
                Dialect::Sqlite => call(w, "SUM", column),
            },
            SelectItem::SumFloat(column) | SelectItem::Avg(column) => {
                let function = if matches!(self, SelectItem::Avg(_)) {
                    "AVG"
                } else {
                    "SUM"
                };
                match dialect {
                    // REAL sums are REAL, averages of integers NUMERIC: a double for all.
                    Dialect::Postgres => {
                        w.push("CAST(");
                        call(w, function, column);
                        w.push(" AS DOUBLE PRECISION)");
                    }
                    // DECIMAL plus a double literal is a double, on MySQL and MariaDB.
                    Dialect::MySql => {
                        call(w, function, column);
                        w.push(" + 0E0");
                    }
                    Dialect::Sqlite => {
                        w.push("CAST(");
                        call(w, function, column);
                        w.push(" AS REAL)");
                    }
                }
            }
            SelectItem::Min(column) => call(w, "MIN", column),
            SelectItem::Max(column) => call(w, "MAX", column),
        }
    }
}

/// `SET column = value` on the rows of model `M`: `User::COLUMNS.name.set("ann")`.
pub struct Assignment<M> {
    column: &'static str,
    value: Value,
    _marker: PhantomData<fn() -> M>,
}

impl<M> Clone for Assignment<M> {
    fn clone(&self) -> Self {
        Assignment {
            column: self.column,
            value: self.value.clone(),
            _marker: PhantomData,
        }
    }
}

impl<M> fmt::Debug for Assignment<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {:?}", self.column, self.value)
    }
}

impl<M> Assignment<M> {
    /// `SET column = value` with a value already made (a row's own, for a partial update).
    #[doc(hidden)]
    pub fn of_value(column: AnyColumn<M>, value: Value) -> Assignment<M> {
        Assignment {
            column: column.name,
            value,
            _marker: PhantomData,
        }
    }

    /// The column it sets.
    pub fn column(&self) -> &'static str {
        self.column
    }

    /// The value it sets, to be checked before it is sent.
    pub fn value_mut(&mut self) -> &mut Value {
        &mut self.value
    }
}

/// A SELECT over one model's table: filters (all must hold), orderings, limit, offset.
pub struct Select<M> {
    filter: Option<Filter<M>>,
    order: Vec<Order<M>>,
    limit: Option<u64>,
    offset: Option<u64>,
    /// Where it may read, on a bind with replicas.
    read: ReadPolicy,
}

impl<M> Default for Select<M> {
    fn default() -> Select<M> {
        Select {
            filter: None,
            order: Vec::new(),
            limit: None,
            offset: None,
            read: ReadPolicy::default(),
        }
    }
}

impl<M> Clone for Select<M> {
    fn clone(&self) -> Select<M> {
        Select {
            filter: self.filter.clone(),
            order: self.order.clone(),
            limit: self.limit,
            offset: self.offset,
            read: self.read,
        }
    }
}

impl<M> fmt::Debug for Select<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("filter", &self.filter)
            .field("order", &self.order)
            .field("limit", &self.limit)
            .field("offset", &self.offset)
            .field("read", &self.read)
            .finish()
    }
}

impl<M> Select<M> {
    /// Adds a condition; every condition must hold.
    pub fn filter(&mut self, filter: Filter<M>) {
        self.filter = Some(match self.filter.take() {
            Some(existing) => existing.and(filter),
            None => filter,
        });
    }

    /// Adds an ordering, after those already given.
    pub fn order_by(&mut self, order: Order<M>) {
        self.order.push(order);
    }

    /// Adds an ordering before those already given.
    pub fn order_first(&mut self, order: Order<M>) {
        self.order.insert(0, order);
    }

    /// At most `n` rows.
    pub fn limit(&mut self, n: u64) {
        self.limit = Some(n);
    }

    /// Skips the first `n` rows.
    pub fn offset(&mut self, n: u64) {
        self.offset = Some(n);
    }

    /// Where it may read, on a bind with replicas.
    pub fn read_policy(&self) -> ReadPolicy {
        self.read
    }

    /// Sets where it may read, on a bind with replicas.
    pub fn set_read_policy(&mut self, read: ReadPolicy) {
        self.read = read;
    }

    /// Calls `check` with every value a filter compares a column with (and each LIKE
    /// pattern, as text), stopping at the first error: how a session refuses a value no
    /// backend would compare alike before it sends the query.
    pub fn check_operands<E>(
        &self,
        mut check: impl FnMut(&'static str, &Value) -> Result<(), E>,
    ) -> Result<(), E> {
        fn visit<E>(
            expr: &Expr,
            check: &mut impl FnMut(&'static str, &Value) -> Result<(), E>,
        ) -> Result<(), E> {
            match expr {
                Expr::Compare(column, _, value) => check(column, value),
                Expr::CompareItem(_, _, value) => check("HAVING", value),
                Expr::InSubquery(_, sub) => match &sub.filter {
                    Some(filter) => visit(filter, check),
                    None => Ok(()),
                },
                Expr::In(column, list) => list.iter().try_for_each(|v| check(column, v)),
                Expr::Null(..) => Ok(()),
                Expr::Like(column, pattern) => check(column, &Value::Text(pattern.clone())),
                Expr::All(parts) | Expr::Any(parts) => {
                    parts.iter().try_for_each(|part| visit(part, check))
                }
                Expr::Not(inner) => visit(inner, check),
            }
        }
        match &self.filter {
            Some(filter) => visit(&filter.expr, &mut check),
            None => Ok(()),
        }
    }

    /// The row of `table` whose primary key is `key` (its values in key-column order).
    #[doc(hidden)]
    pub fn by_key(table: &TableInfo, key: Vec<Value>) -> Select<M> {
        let parts = table
            .primary_key()
            .zip(key)
            .map(|(column, value)| Expr::Compare(column.name, Compare::Eq, value))
            .collect();
        Select {
            filter: Some(Filter::new(Expr::All(parts))),
            ..Select::default()
        }
    }

    /// Its filter, if it has one.
    pub fn filter_of(&self) -> Option<&Filter<M>> {
        self.filter.as_ref()
    }

    /// Whether it has a limit or an offset of its own.
    pub fn is_paged(&self) -> bool {
        self.limit.is_some() || self.offset.is_some()
    }

    /// Whether it orders or pages its rows: an UPDATE or DELETE of it could not mean the
    /// same on every dialect (PostgreSQL has no `UPDATE … LIMIT`).
    pub fn is_ordered_or_paged(&self) -> bool {
        !self.order.is_empty() || self.limit.is_some() || self.offset.is_some()
    }

    /// `UPDATE t SET a = ?, … WHERE <filter>` and its parameters: every matching row.
    pub fn render_update(
        &self,
        dialect: Dialect,
        table: &TableInfo,
        changes: &[Assignment<M>],
    ) -> (String, Vec<Value>) {
        let mut values = Vec::with_capacity(changes.len());
        let mut w = SqlWriter::new(dialect);
        w.push("UPDATE ").ident(table.name).push(" SET ");
        for (i, change) in changes.iter().enumerate() {
            if i > 0 {
                w.push(", ");
            }
            w.ident(change.column).push(" = ").param();
            values.push(change.value.clone());
        }
        self.write_where(&mut w, &mut values);
        (w.finish(), values)
    }

    /// `DELETE FROM t WHERE <filter>` and its parameters: every matching row.
    pub fn render_delete(&self, dialect: Dialect, table: &TableInfo) -> (String, Vec<Value>) {
        let mut values = Vec::new();
        let mut w = SqlWriter::new(dialect);
        w.push("DELETE FROM ").ident(table.name);
        self.write_where(&mut w, &mut values);
        (w.finish(), values)
    }

    fn write_where(&self, w: &mut SqlWriter, values: &mut Vec<Value>) {
        if let Some(filter) = &self.filter {
            w.push(" WHERE ");
            write_expr(w, &filter.expr, values);
        }
    }

    fn write_order(&self, w: &mut SqlWriter) {
        if self.order.is_empty() {
            return;
        }
        w.push(" ORDER BY ");
        for (i, order) in self.order.iter().enumerate() {
            if i > 0 {
                w.push(", ");
            }
            w.column(order.column)
                .push(if order.descending { " DESC" } else { " ASC" });
        }
    }

    fn write_page(&self, w: &mut SqlWriter, values: &mut Vec<Value>) {
        match (self.limit, w.dialect()) {
            (Some(limit), _) => {
                w.push(" LIMIT ").param();
                values.push(Value::BigInt(i64::try_from(limit).unwrap_or(i64::MAX)));
            }
            // An OFFSET needs a LIMIT on SQLite and MySQL: the largest there is.
            (None, Dialect::Sqlite) => {
                w.push(" LIMIT -1");
            }
            (None, Dialect::MySql) => {
                w.push(" LIMIT 18446744073709551615");
            }
            (None, Dialect::Postgres) => {}
        }
        if let Some(offset) = self.offset {
            w.push(" OFFSET ").param();
            values.push(Value::BigInt(i64::try_from(offset).unwrap_or(i64::MAX)));
        }
    }

    /// `SELECT <items> FROM t WHERE … GROUP BY … ORDER BY … LIMIT …`: a projection of
    /// some columns and aggregates, grouped by `group_by` (column names).
    pub fn render_projection(
        &self,
        dialect: Dialect,
        table: &TableInfo,
        items: &[SelectItem],
        group_by: &[&'static str],
        having: Option<&Filter<M>>,
        distinct: bool,
    ) -> (String, Vec<Value>) {
        let mut values = Vec::new();
        let mut w = SqlWriter::new(dialect);
        w.push(if distinct {
            "SELECT DISTINCT "
        } else {
            "SELECT "
        });
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                w.push(", ");
            }
            item.write(&mut w);
        }
        w.push(" FROM ").ident(table.name);
        self.write_where(&mut w, &mut values);
        if !group_by.is_empty() {
            w.push(" GROUP BY ");
            for (i, column) in group_by.iter().enumerate() {
                if i > 0 {
                    w.push(", ");
                }
                w.ident(column);
            }
        }
        if let Some(having) = having {
            w.push(" HAVING ");
            write_expr(&mut w, &having.expr, &mut values);
        }
        self.write_order(&mut w);
        if self.is_paged() {
            self.write_page(&mut w, &mut values);
        }
        (w.finish(), values)
    }

    /// `SELECT t.*, o.* FROM t INNER JOIN o ON t.<on> = o.<key> WHERE … ORDER BY … LIMIT …`:
    /// each row of `table` with the row of `other` its column `on` points at; the filter
    /// and order are on `table`'s columns, qualified with its name.
    pub fn render_join(
        &self,
        dialect: Dialect,
        table: &'static TableInfo,
        other: &'static TableInfo,
        on: &str,
        key: &str,
    ) -> (String, Vec<Value>) {
        let mut values = Vec::new();
        let mut w = SqlWriter::new(dialect);
        w.push("SELECT ");
        let both = table.columns.iter().map(|c| (table.name, c.name));
        let both = both.chain(other.columns.iter().map(|c| (other.name, c.name)));
        for (i, (owner, column)) in both.enumerate() {
            if i > 0 {
                w.push(", ");
            }
            w.ident(owner).push(".").ident(column);
        }
        w.push(" FROM ")
            .ident(table.name)
            .push(" INNER JOIN ")
            .ident(other.name);
        w.push(" ON ").ident(table.name).push(".").ident(on);
        w.push(" = ").ident(other.name).push(".").ident(key);
        w.qualify(Some(table.name));
        self.write_where(&mut w, &mut values);
        self.write_order(&mut w);
        if self.is_paged() {
            self.write_page(&mut w, &mut values);
        }
        (w.finish(), values)
    }

    /// The statement and its parameters: the rows, or with `count`, how many there are.
    pub fn render(&self, dialect: Dialect, table: &TableInfo, count: bool) -> (String, Vec<Value>) {
        let mut values = Vec::new();
        let paged = self.limit.is_some() || self.offset.is_some();
        let mut w = if count && !paged {
            let mut w = SqlWriter::new(dialect);
            w.push("SELECT COUNT(*) FROM ").ident(table.name);
            w
        } else if count {
            let mut w = SqlWriter::new(dialect);
            w.push("SELECT COUNT(*) FROM (SELECT 1 FROM ")
                .ident(table.name);
            w
        } else {
            select(dialect, table)
        };
        if let Some(filter) = &self.filter {
            w.push(" WHERE ");
            write_expr(&mut w, &filter.expr, &mut values);
        }
        if !count {
            self.write_order(&mut w);
        }
        if paged {
            self.write_page(&mut w, &mut values);
        }
        if count && paged {
            w.push(") AS counted");
        }
        (w.finish(), values)
    }
}

fn write_expr(w: &mut SqlWriter, expr: &Expr, values: &mut Vec<Value>) {
    match expr {
        Expr::Compare(column, op, value) => {
            w.column(column).push(op.sql()).param();
            values.push(value.clone());
        }
        Expr::CompareItem(item, op, value) => {
            item.write(w);
            w.push(op.sql()).param();
            values.push(value.clone());
        }
        Expr::InSubquery(column, sub) => {
            w.column(column).push(" IN (SELECT ");
            // Inside, names are the subquery's table's.
            let outer = w.qualify(None);
            sub.item.write(w);
            w.push(" FROM ").ident(sub.table.name);
            if let Some(filter) = &sub.filter {
                w.push(" WHERE ");
                write_expr(w, filter, values);
            }
            w.qualify(outer);
            w.push(")");
        }
        Expr::In(_, list) if list.is_empty() => {
            w.push("1 = 0");
        }
        Expr::In(column, list) => {
            w.column(column).push(" IN (");
            for (i, value) in list.iter().enumerate() {
                if i > 0 {
                    w.push(", ");
                }
                w.param();
                values.push(value.clone());
            }
            w.push(")");
        }
        Expr::Null(column, is_null) => {
            w.column(column)
                .push(if *is_null { " IS NULL" } else { " IS NOT NULL" });
        }
        Expr::Like(column, pattern) => {
            let dialect = w.dialect();
            w.column(column);
            match dialect {
                Dialect::Sqlite => w.push(" GLOB ").param(),
                Dialect::Postgres => w.push(" LIKE ").param().push(" ESCAPE '!'"),
                Dialect::MySql => w
                    .push(" COLLATE utf8mb4_bin LIKE ")
                    .param()
                    .push(" ESCAPE '!'"),
            };
            values.push(Value::Text(render_like(pattern, dialect)));
        }
        Expr::All(parts) | Expr::Any(parts) => {
            let joiner = if matches!(expr, Expr::All(_)) {
                " AND "
            } else {
                " OR "
            };
            w.push("(");
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    w.push(joiner);
                }
                write_expr(w, part, values);
            }
            w.push(")");
        }
        Expr::Not(inner) => {
            w.push("NOT (");
            write_expr(w, inner, values);
            w.push(")");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ColumnInfo, SqlType};

    struct User;
    const TABLE: TableInfo = TableInfo {
        columns: &[
            ColumnInfo {
                primary_key: true,
                ..ColumnInfo::new("id", SqlType::BigInt)
            },
            ColumnInfo::new("name", SqlType::Text),
            ColumnInfo {
                nullable: true,
                ..ColumnInfo::new("email", SqlType::Text)
            },
        ],
        ..TableInfo::new("user", "t::User")
    };
    const ID: Column<User, i64> = Column::new("id");
    const NAME: Column<User, String> = Column::new("name");
    const EMAIL: Column<User, Option<String>> = Column::new("email");

    #[test]
    fn renders_filters_orders_and_pages_with_parameters() {
        let mut select = Select::default();
        select.filter(NAME.eq("ann").or(NAME.like("b%")));
        select.filter(ID.is_in([1_i64, 2]).and(EMAIL.eq(None::<String>)));
        select.filter(!ID.ge(3));
        select.order_by(NAME.desc());
        select.order_by(ID.asc());
        select.limit(10);
        select.offset(20);
        let (sql, values) = select.render(Dialect::Postgres, &TABLE, false);
        assert_eq!(
            sql,
            r#"SELECT "id", "name", "email" FROM "user" WHERE (("name" = $1 OR "name" LIKE $2 ESCAPE '!') AND ("id" IN ($3, $4) AND "email" IS NULL) AND NOT ("id" >= $5)) ORDER BY "name" DESC, "id" ASC LIMIT $6 OFFSET $7"#
        );
        assert_eq!(values.len(), 7);
        assert_eq!(values[0], Value::Text("ann".into()));
        assert_eq!(values[6], Value::BigInt(20));

        let (count, _) = select.render(Dialect::MySql, &TABLE, true);
        assert!(count.starts_with("SELECT COUNT(*) FROM (SELECT 1 FROM `user` WHERE"));
        assert!(count.ends_with("LIMIT ? OFFSET ?) AS counted"), "{count}");
    }

    #[test]
    fn like_patterns_mean_the_same_on_every_dialect() {
        let render = |filter: Filter<User>, dialect| {
            let mut select = Select::default();
            select.filter(filter);
            select.render(dialect, &TABLE, false)
        };
        // `100\%` is the literal text 100%; `a_` one character after a; `\\` a backslash;
        // `!` (the escape bindery renders) and `*?[` (GLOB's) are plain characters.
        let cases = [
            (r"100\%", "100!%", "100%"),
            ("a_%", "a_%", "a?*"),
            (r"x\\y", r"x\y", r"x\y"),
            ("hi!*?[", "hi!!*?[", "hi![*][?][[]"),
            (r"end\", r"end\", r"end\"),
        ];
        for (pattern, like, glob) in cases {
            let (sql, values) = render(NAME.like(pattern), Dialect::Postgres);
            assert!(sql.ends_with(r#""name" LIKE $1 ESCAPE '!'"#), "{sql}");
            assert_eq!(values, [Value::Text(like.into())]);
            let (sql, values) = render(NAME.like(pattern), Dialect::MySql);
            assert!(
                sql.ends_with("`name` COLLATE utf8mb4_bin LIKE ? ESCAPE '!'"),
                "{sql}"
            );
            assert_eq!(values, [Value::Text(like.into())]);
            let (sql, values) = render(NAME.like(pattern), Dialect::Sqlite);
            assert!(sql.ends_with("`name` GLOB ?"), "{sql}");
            assert_eq!(values, [Value::Text(glob.into())]);
        }
        let (_, values) = render(EMAIL.contains(r"5%_\!"), Dialect::Postgres);
        assert_eq!(values, [Value::Text(r"%5!%!_\!!%".into())]);
        let (_, values) = render(NAME.starts_with("a*"), Dialect::Sqlite);
        assert_eq!(values, [Value::Text("a[*]*".into())]);
        let (_, values) = render(NAME.ends_with("_"), Dialect::MySql);
        assert_eq!(values, [Value::Text("%!_".into())]);
    }

    #[test]
    fn offset_alone_and_empty_in() {
        let mut select = Select::default();
        select.filter(ID.is_in(Vec::<i64>::new()));
        select.offset(5);
        let (sql, values) = select.render(Dialect::Sqlite, &TABLE, false);
        assert!(sql.ends_with(r#"WHERE 1 = 0 LIMIT -1 OFFSET ?"#), "{sql}");
        assert_eq!(values, [Value::BigInt(5)]);
        let (count, _) = Select::<User>::default().render(Dialect::Sqlite, &TABLE, true);
        assert_eq!(count, "SELECT COUNT(*) FROM `user`");
    }
}
