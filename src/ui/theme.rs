//! Every style of the composer. With colour off (`NO_COLOR`), only
//! modifiers remain: bold, dim and reverse keep things apart, together with
//! the `C:` / `S:` / `*` prefixes of the log.

use ratatui::style::{Color, Modifier, Style};

use crate::{app::Tone, smtp::Dir};

/// The styles, with or without colour.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// The theme; `color` false gives modifiers only.
    pub fn new(color: bool) -> Theme {
        Theme { color }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// A pane's title.
    pub fn title(self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Yellow)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    /// A pane's border line.
    pub fn border(self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, _) => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            (false, true) => self.fg(Color::DarkGray),
            (false, false) => Style::new().add_modifier(Modifier::DIM),
        }
    }

    /// A field's label.
    pub fn label(self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Yellow)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            self.fg(Color::Gray)
        }
    }

    /// A field's value.
    pub fn value(self) -> Style {
        Style::new()
    }

    /// Grey hint text in an empty field.
    pub fn placeholder(self) -> Style {
        self.fg(Color::DarkGray).add_modifier(Modifier::DIM)
    }

    /// A validation message, and a field that has one.
    pub fn error(self) -> Style {
        self.fg(Color::LightRed).add_modifier(Modifier::BOLD)
    }

    /// A log line's timestamp.
    pub fn time(self) -> Style {
        self.fg(Color::DarkGray).add_modifier(Modifier::DIM)
    }

    /// A log line by direction.
    pub fn log(self, dir: Dir) -> Style {
        match dir {
            Dir::Client => self.fg(Color::LightCyan).add_modifier(Modifier::BOLD),
            Dir::Server => self.fg(Color::LightGreen),
            Dir::Note => self.fg(Color::Gray).add_modifier(Modifier::DIM),
            Dir::Error => self.fg(Color::LightRed).add_modifier(Modifier::BOLD),
        }
    }

    /// The `[25 ms]` / `(Username:)` annotation.
    pub fn suffix(self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::DIM)
    }

    /// The last result in the status line.
    pub fn status(self, tone: Tone) -> Style {
        match tone {
            Tone::Info => Style::new(),
            Tone::Success => self.fg(Color::LightGreen),
            Tone::Warning => self.fg(Color::Yellow),
            Tone::Error => self.fg(Color::LightRed).add_modifier(Modifier::BOLD),
        }
    }

    /// The connection state: open, connecting, closed.
    pub fn connection(self, open: bool, connecting: bool) -> Style {
        match (open, connecting) {
            (true, _) => self.fg(Color::LightGreen).add_modifier(Modifier::BOLD),
            (false, true) => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            (false, false) => self.fg(Color::Gray),
        }
    }

    /// The spinner and stage of a running job.
    pub fn busy(self) -> Style {
        self.fg(Color::LightCyan).add_modifier(Modifier::BOLD)
    }

    /// A key in the hint bar or the help.
    pub fn key(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    /// What a key does, in the hint bar.
    pub fn hint(self) -> Style {
        self.fg(Color::Gray)
    }

    /// Less important text.
    pub fn dim(self) -> Style {
        self.fg(Color::DarkGray).add_modifier(Modifier::DIM)
    }

    /// The highlighted choice of a list (reversed, with or without colour).
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
}
