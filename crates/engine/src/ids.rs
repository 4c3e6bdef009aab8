//! The ids the engine assigns beside the credit core's: merchant links ([`LinkId`]) and cases
//! ([`CaseId`]). Like transaction ids, they carry the partition that assigned them in their low
//! byte (`route::make_id`), so a request naming one routes without a lookup.
//!
//! Both are `#[serde(transparent)]`: the journal and snapshots hold them exactly as the bare
//! `u64`s they replaced (postcard varints), so records written before them still decode.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! engine_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// The partition that assigned it.
            pub fn partition(self) -> u32 {
                crate::route::partition_of_id(self.0)
            }

            /// The partition's counter value it was made from.
            pub(crate) fn counter(self) -> u64 {
                self.0 >> 8
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

engine_id!(
    /// A customer's link to one online merchant, which that merchant authorizes with.
    LinkId
);
engine_id!(
    /// A case: an interception or a theft report, for an operator to resolve.
    CaseId
);

#[cfg(test)]
mod tests {
    use super::*;

    /// The journal's encoding of an id is the bare `u64`'s: records written before the
    /// newtypes decode as they were.
    #[test]
    fn ids_encode_as_the_bare_u64_they_replaced() {
        for raw in [0u64, 1, 300, 0x0012_3456_789A, u64::MAX] {
            let old = postcard::to_stdvec(&raw).unwrap();
            assert_eq!(postcard::to_stdvec(&LinkId(raw)).unwrap(), old);
            assert_eq!(postcard::to_stdvec(&CaseId(raw)).unwrap(), old);
            assert_eq!(postcard::from_bytes::<CaseId>(&old).unwrap(), CaseId(raw));
        }
        assert_eq!(LinkId(crate::route::make_id(7, 3)).partition(), 3);
        assert_eq!(CaseId(crate::route::make_id(7, 3)).counter(), 7);
    }
}
