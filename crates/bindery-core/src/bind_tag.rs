//! The bind a model lives on, as a type: what lets the compiler refuse a statement that
//! would read two binds (a join, an `IN (subquery)`), since one statement runs on one
//! database.
//!
//! A bind key is a `&'static str`, and stable Rust takes no string as a const generic
//! parameter; so the derive hashes the key into a `u128` ([`bind_hash`]) and names the
//! type [`BindTag<HASH>`] as [`Model::OnBind`](crate::Model). Two models share a bind
//! when their tags are one type, which is what [`SameBind`] asks of them. Two different
//! keys could, in principle, hash alike (one chance in 2^128), so the statements keep a
//! run-time check of the keys themselves behind the bound.

use crate::Model;

/// The bind whose key hashes to `HASH` ([`bind_hash`]), as a type: a model's
/// [`Model::OnBind`](crate::Model). Never built; only compared.
#[doc(hidden)]
pub struct BindTag<const HASH: u128>;

/// The 128-bit FNV-1a offset basis.
const FNV_OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
/// The 128-bit FNV-1a prime.
const FNV_PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

/// The hash of a bind key, for [`BindTag`]: FNV-1a (128 bits) over one byte that says
/// whether there is a key, then the key's bytes. The leading byte keeps the default bind
/// (`None`) apart from every key, the empty one included. A `const fn`, so that the derive
/// computes the tag at compile time, from the key however it was inherited.
#[doc(hidden)]
pub const fn bind_hash(key: Option<&str>) -> u128 {
    let (marker, bytes): (u8, &[u8]) = match key {
        None => (0, &[]),
        Some(key) => (1, key.as_bytes()),
    };
    let mut hash = (FNV_OFFSET ^ marker as u128).wrapping_mul(FNV_PRIME);
    let mut i = 0;
    while i < bytes.len() {
        hash = (hash ^ bytes[i] as u128).wrapping_mul(FNV_PRIME);
        i += 1;
    }
    hash
}

/// Model `M` and the model that implements this live on one bind, so one statement can
/// read both: the bound of [`Find::join`] and [`Find::filter_in`] in `bindery`. Every
/// pair of models on one bind has it, and no other pair: a join or a subquery across
/// binds is a compile error that says so. Across binds, load related rows with
/// `parents_of` or `children_of` (one SELECT per bind).
///
/// [`Find::join`]: https://docs.rs/bindery/latest/bindery/struct.Find.html#method.join
/// [`Find::filter_in`]: https://docs.rs/bindery/latest/bindery/struct.Find.html#method.filter_in
pub trait SameBind<M: Model>: Model {}

impl<M: Model, N: Model> SameBind<M> for N where N::OnBind: SameBindTag<M::OnBind> {}

/// The one tag that is the same as `T`: `T` itself. The check of [`SameBind`] ends here,
/// so the message of a failed check is this trait's (on [`SameBind`]'s own impl, the
/// compiler would report a mismatch of two hashed tag types instead).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "bindery: the two models live on different binds, and one statement runs on one database",
    label = "a join or subquery of a model of another bind",
    note = "load rows of another bind with `parents_of` or `children_of` (one SELECT per bind)"
)]
pub trait SameBindTag<T> {}

impl<T> SameBindTag<T> for T {}

#[cfg(test)]
mod tests {
    use super::bind_hash;

    #[test]
    fn different_keys_hash_differently() {
        let keys = [
            None,
            Some(""),
            Some("a"),
            Some("b"),
            Some("ab"),
            Some("ba"),
            Some("\0"),
            Some("auth"),
            Some("shop"),
        ];
        let hashes: Vec<u128> = keys.iter().map(|k| bind_hash(*k)).collect();
        for (i, a) in hashes.iter().enumerate() {
            for (j, b) in hashes.iter().enumerate().skip(i + 1) {
                assert_ne!(a, b, "{:?} and {:?}", keys[i], keys[j]);
            }
        }
    }

    #[test]
    fn one_key_hashes_alike_every_time() {
        assert_eq!(bind_hash(Some("auth")), bind_hash(Some("auth")));
        assert_eq!(bind_hash(None), bind_hash(None));
    }
}
