//! smtpwire: a terminal email composer and SMTP client.
//!
//! Layers, leaf first: [`smtp`] (the protocol engine) and [`mail`] (the letter
//! builder) know nothing of each other or of the terminal.

pub mod mail;
pub mod smtp;
