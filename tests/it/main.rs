//! The one integration-test crate (see docs/testing.md).

// Test code: a panic is the failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is the failure report"
)]
#![allow(
    clippy::needless_pass_by_value,
    reason = "test helpers take what the table gives them"
)]

mod cli;
mod export;
mod faults;
mod hostile;
mod mail;
mod manual;
mod oauth;
mod parallel;
mod predict;
mod secrets;
mod sent;
mod smtp;
mod support;
mod tls;
mod ui;
mod wired;
