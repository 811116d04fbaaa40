//! The RFC 5322 / MIME letter builder.
//!
//! [`Draft::parse`] turns what the user typed ([`DraftInput`]) into a
//! validated [`Draft`], reporting every field error at once. [`build`] turns
//! a draft into a [`Letter`]: a header block and a lazily encoded body that
//! the SMTP engine streams in chunks. [`Letter::with_attachments`] adds
//! files ([`Attachment::open`]) as a `multipart/mixed`, read from disk
//! while the letter streams. [`Draft::envelope`] gives MAIL FROM
//! and the RCPT list (To ∪ Cc ∪ Bcc); Bcc never appears in the letter.
//! [`lint`] and [`lint_with_attachments`] list what is legal but likely to
//! hurt delivery.
//!
//! The module is pure: the clock and randomness come in as a [`Stamp`]
//! ([`Stamp::now`] is the only place that reads them).
//!
//! Choices that matter to receivers:
//! - Without To (Bcc or Cc only) the letter is addressed To its sender, the
//!   usual "To me, Bcc everyone" idiom. A missing To is scored by
//!   `SpamAssassin` (`MISSING_HEADERS`) and rspamd (`MISSING_TO`), and
//!   `To: undisclosed-recipients:;` by rspamd (`R_UNDISC_RCPT`, 3 points);
//!   To = From scores nothing in either.
//! - Display names and subjects use RFC 2047 encoded words only for the words
//!   that need them, B or Q by length, so none decodes to plain ASCII
//!   (rspamd's `*_EXCESS_QP/BASE64`); see `src/mail/header.rs`.
//! - The body is 7bit, 8bit or quoted-printable, never base64; a `.` or
//!   `From ` at a line start is escaped in quoted-printable. With
//!   attachments it is the first part, encoded the same way, and each file
//!   follows in base64 with its name in RFC 2231 and RFC 2047 form (see
//!   `src/mail/mime.rs`); without them the letter is single-part.
//! - Address literals (`user@[192.0.2.1]`) are refused; IDN domains go out
//!   in ASCII (punycode) unless a non-ASCII local part needs SMTPUTF8.
//!
//! The golden letters in `tests/fixtures/*.eml` are rewritten by running
//! `UPDATE_GOLDEN=1 cargo test` (then review the diff).

mod address;
mod attachment;
mod draft;
mod encode;
mod error;
mod file_body;
mod header;
mod letter;
mod lint;
mod mime;
mod multipart;
mod predict;

pub use address::{Address, BadEntry, Mailbox};
pub use attachment::{Attachment, AttachmentError};
pub use draft::{Draft, DraftInput, Envelope};
pub use encode::{EncodingChoice, EncodingReason, TransferEncoding};
pub use error::{Error, Field};
pub use file_body::{FileBody, FileBodyError};
pub use header::HeaderForm;
pub use letter::{BuildOptions, Chunks, HeaderChoice, Letter, Stamp, build, build_from_file};
pub use lint::{LintContext, Warning, lint, lint_with_attachments};
pub use mime::base64_lines;

/// Shared by the layer's unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use chrono::TimeZone as _;

    use super::{DraftInput, Stamp};

    /// A pinned date and Message-ID, as the golden letters use.
    pub(crate) fn stamp() -> Stamp {
        Stamp {
            date: chrono::FixedOffset::east_opt(3 * 3600)
                .unwrap()
                .with_ymd_and_hms(2026, 11, 26, 9, 15, 0)
                .unwrap(),
            unique: "golden.1".into(),
        }
    }

    /// A small letter between these people.
    pub(crate) fn input(from: &str, to: &str, cc: &str, bcc: &str) -> DraftInput {
        DraftInput {
            from: from.into(),
            reply_to: String::new(),
            to: to.into(),
            cc: cc.into(),
            bcc: bcc.into(),
            subject: "Hi".into(),
            body: "Hello\n".into(),
            envelope_from: String::new(),
        }
    }
}
