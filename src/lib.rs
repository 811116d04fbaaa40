//! smtpwire: a terminal email composer and SMTP client.
//!
//! Layers, leaf first: [`smtp`] (the protocol engine) and [`mail`] (the letter
//! builder) know nothing of each other or of the terminal; [`submit`] joins
//! them; [`worker`] runs the engine for the UI over channels; [`cli`] runs it
//! headless; [`config`] keeps settings on disk. The full-screen composer is
//! [`app`] (the model), [`ui`] (the view), [`term`] (terminal events) and
//! [`tui`] (the runner); [`pathcomplete`] completes file paths for its
//! attach prompt.

pub mod app;
pub mod cli;
pub mod config;
pub mod mail;
pub mod pathcomplete;
pub mod smtp;
pub mod submit;
pub mod term;
pub mod tui;
pub mod ui;
pub mod worker;
