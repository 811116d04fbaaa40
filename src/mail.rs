//! The RFC 5322 / MIME letter builder.
