//! Gathering every submitted table, and every crate name `bindery::link!` declares, at
//! link time: linkme by default, inventory by feature.
//!
//! Both backends give the same set; the registry sorts it, so order never depends on
//! which one ran or on link order.

use crate::TableInfo;

#[cfg(not(feature = "inventory"))]
mod backend {
    use crate::TableInfo;

    /// Every table the derive submitted, from every crate linked into the program.
    #[linkme::distributed_slice]
    pub static BINDERY_TABLES: [&'static TableInfo];

    /// Submits one `&'static TableInfo`. Used by the derive through `bindery::__private`.
    #[doc(hidden)]
    #[macro_export]
    macro_rules! __submit_table {
        ($table:expr) => {
            const _: () = {
                #[$crate::__private::linkme::distributed_slice($crate::__private::BINDERY_TABLES)]
                #[linkme(crate = $crate::__private::linkme)]
                static SUBMITTED: &'static $crate::TableInfo = $table;
            };
        };
    }

    pub(crate) fn submitted() -> impl Iterator<Item = &'static TableInfo> {
        BINDERY_TABLES.iter().copied()
    }

    /// Every crate name `bindery::link!` declared, from every crate linked into the
    /// program.
    #[linkme::distributed_slice]
    pub static BINDERY_LINKED: [&'static str];

    /// Records one crate name `bindery::link!` declared. Used through `bindery::__private`.
    #[doc(hidden)]
    #[macro_export]
    macro_rules! __submit_linked {
        ($name:expr) => {
            const _: () = {
                #[$crate::__private::linkme::distributed_slice($crate::__private::BINDERY_LINKED)]
                #[linkme(crate = $crate::__private::linkme)]
                static LINKED: &'static str = $name;
            };
        };
    }

    pub(crate) fn linked() -> impl Iterator<Item = &'static str> {
        BINDERY_LINKED.iter().copied()
    }
}

#[cfg(feature = "inventory")]
mod backend {
    use crate::TableInfo;

    /// One submitted table, as inventory carries it.
    #[doc(hidden)]
    pub struct Submitted(pub &'static TableInfo);

    inventory::collect!(Submitted);

    /// Submits one `&'static TableInfo`. Used by the derive through `bindery::__private`.
    #[doc(hidden)]
    #[macro_export]
    macro_rules! __submit_table {
        ($table:expr) => {
            $crate::__private::inventory::submit! {
                $crate::__private::Submitted($table)
            }
        };
    }

    pub(crate) fn submitted() -> impl Iterator<Item = &'static TableInfo> {
        inventory::iter::<Submitted>.into_iter().map(|s| s.0)
    }

    /// One crate name `bindery::link!` declared, as inventory carries it.
    #[doc(hidden)]
    pub struct Linked(pub &'static str);

    inventory::collect!(Linked);

    /// Records one crate name `bindery::link!` declared. Used through `bindery::__private`.
    #[doc(hidden)]
    #[macro_export]
    macro_rules! __submit_linked {
        ($name:expr) => {
            $crate::__private::inventory::submit! {
                $crate::__private::Linked($name)
            }
        };
    }

    pub(crate) fn linked() -> impl Iterator<Item = &'static str> {
        inventory::iter::<Linked>.into_iter().map(|l| l.0)
    }
}

#[doc(hidden)]
pub use backend::*;

/// Every table submitted by any crate linked into this program, in no particular order.
pub(crate) fn collected() -> impl Iterator<Item = &'static TableInfo> {
    backend::submitted()
}

/// Every crate name `bindery::link!` declared anywhere in this program, in no particular
/// order (a name declared twice appears twice).
pub(crate) fn linked() -> impl Iterator<Item = &'static str> {
    backend::linked()
}
