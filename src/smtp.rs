//! The SMTP protocol engine.
