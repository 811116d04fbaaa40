//! The one integration-test crate (see docs/testing.md).

mod mail;
