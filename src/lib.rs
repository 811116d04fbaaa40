//! smtpwire: a terminal email composer and SMTP client.
//!
//! Layers, leaf first: [`smtp`] (the protocol engine) and [`mail`] (the letter
//! builder) know nothing of each other or of the terminal; [`submit`] joins
//! them; [`settings`] declares every setting once and [`resolve`] turns
//! layered settings into a session's configuration for both front-ends;
//! [`worker`] runs the engine for the UI over channels; [`cli`] runs it
//! headless; [`config`] keeps settings on disk; [`files`] writes every file
//! privately and decides whether a config file is trusted; [`providers`] is
//! the built-in table of mail services' settings; [`sent`] keeps the copy
//! of each sent letter (IMAP or Maildir) and the queue of copies to retry;
//! [`export`] writes the protocol log as text or JSON Lines, and
//! [`equivalent`] prints the swaks, curl or smtpwire command that sends the
//! same letter; [`addresses`] completes recipients. The full-screen composer
//! is [`app`] (the model), [`ui`] (the view), [`term`] (terminal events) and
//! [`tui`] (the runner); [`pathcomplete`] completes paths for its attach
//! prompt.

pub mod addresses;
pub mod app;
pub mod chars;
pub mod cli;
pub mod config;
pub mod equivalent;
pub mod explain;
pub mod export;
pub mod files;
pub mod mail;
pub mod password;
pub mod pathcomplete;
pub mod providers;
pub mod resolve;
pub mod scan;
pub mod secret_command;
pub mod sent;
pub mod settings;
pub mod smtp;
pub mod submit;
pub mod term;
pub mod tui;
pub mod ui;
pub mod wipe;
pub mod worker;
