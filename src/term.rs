//! The terminal: set-up and teardown, and crossterm events as [`Msg`]s.
//! With `tui.rs`, the only module that knows crossterm.

use std::io::{self, Write as _};

use ratatui::{
    DefaultTerminal,
    crossterm::{
        cursor::Show,
        event::{
            DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
            Event, KeyCode as CtKey, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind,
        },
        execute,
        terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode},
    },
};

use crate::app::{Key, KeyCode, Msg, Wheel};

/// The terminal in raw mode on the alternate screen, with mouse reporting
/// (for the wheel) and bracketed paste. Dropping it restores the terminal,
/// whichever way the program leaves; a panic restores it too.
pub struct Terminal {
    /// The ratatui terminal.
    pub inner: DefaultTerminal,
}

impl Terminal {
    /// Enters the full-screen mode.
    pub fn enter() -> io::Result<Terminal> {
        // ratatui's init installs a panic hook that restores raw mode and
        // the main screen; ours, around it, also turns the mouse off.
        let inner = ratatui::try_init()?;
        let ratatui_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            leave_modes();
            ratatui_hook(info);
        }));
        execute!(io::stdout(), EnableMouseCapture, EnableBracketedPaste)?;
        Ok(Terminal { inner })
    }
}

impl Terminal {
    /// Hands the terminal to another program (the editor): the main
    /// screen, cooked mode, no mouse reporting, the cursor shown.
    pub fn suspend() -> io::Result<()> {
        execute!(
            io::stdout(),
            DisableMouseCapture,
            DisableBracketedPaste,
            LeaveAlternateScreen,
            Show
        )?;
        disable_raw_mode()
    }

    /// Takes the terminal back after [`Terminal::suspend`].
    pub fn resume() -> io::Result<()> {
        enable_raw_mode()?;
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste
        )
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        leave_modes();
        ratatui::restore();
    }
}

fn leave_modes() {
    // Best effort on the way out: the terminal may already be gone (SIGHUP).
    let _ = execute!(io::stdout(), DisableMouseCapture, DisableBracketedPaste);
    let _ = io::stdout().flush();
}

/// A terminal event as a message; `None` for events the composer ignores.
pub fn translate(event: Event) -> Option<Msg> {
    match event {
        // Releases arrive only with the kitty protocol; a key counts once.
        Event::Key(key) if key.kind != KeyEventKind::Release => translate_key(key).map(Msg::Key),
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollUp => Some(Msg::Wheel(Wheel::Up)),
            MouseEventKind::ScrollDown => Some(Msg::Wheel(Wheel::Down)),
            _ => None,
        },
        Event::Resize(..) => Some(Msg::Resize),
        _ => None,
    }
}

fn translate_key(key: KeyEvent) -> Option<Key> {
    let code = match key.code {
        CtKey::Char(c) => KeyCode::Char(c),
        CtKey::F(n) => KeyCode::F(n),
        CtKey::Enter => KeyCode::Enter,
        CtKey::Tab if key.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
        CtKey::Tab => KeyCode::Tab,
        CtKey::BackTab => KeyCode::BackTab,
        CtKey::Backspace => KeyCode::Backspace,
        CtKey::Delete => KeyCode::Delete,
        CtKey::Esc => KeyCode::Esc,
        CtKey::Left => KeyCode::Left,
        CtKey::Right => KeyCode::Right,
        CtKey::Up => KeyCode::Up,
        CtKey::Down => KeyCode::Down,
        CtKey::Home => KeyCode::Home,
        CtKey::End => KeyCode::End,
        CtKey::PageUp => KeyCode::PageUp,
        CtKey::PageDown => KeyCode::PageDown,
        _ => return None,
    };
    Some(Key {
        code,
        ctrl: key.modifiers.contains(KeyModifiers::CONTROL),
        alt: key.modifiers.contains(KeyModifiers::ALT),
        shift: key.modifiers.contains(KeyModifiers::SHIFT),
    })
}

#[cfg(test)]
mod tests {
    use ratatui::crossterm::event::{KeyEventState, MouseEvent};

    use super::*;

    fn key(code: CtKey, modifiers: KeyModifiers) -> Event {
        Event::Key(KeyEvent {
            code,
            modifiers,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        })
    }

    #[test]
    fn terminal_events_become_messages() {
        let cases = [
            (
                key(CtKey::Char('s'), KeyModifiers::CONTROL),
                Some(Key::ctrl('s')),
            ),
            (
                key(CtKey::Char('ж'), KeyModifiers::NONE),
                Some(Key::char('ж')),
            ),
            (
                key(CtKey::BackTab, KeyModifiers::SHIFT),
                Some(Key {
                    shift: true,
                    ..Key::plain(KeyCode::BackTab)
                }),
            ),
            (
                key(CtKey::F(1), KeyModifiers::NONE),
                Some(Key::plain(KeyCode::F(1))),
            ),
            (key(CtKey::Insert, KeyModifiers::NONE), None),
        ];
        for (event, expected) in cases {
            let got = match translate(event.clone()) {
                Some(Msg::Key(k)) => Some(k),
                None => None,
                Some(other) => panic!("{event:?} gave {other:?}"),
            };
            assert_eq!(got, expected, "{event:?}");
        }
        let wheel = Event::Mouse(MouseEvent {
            kind: MouseEventKind::ScrollUp,
            column: 0,
            row: 0,
            modifiers: KeyModifiers::NONE,
        });
        assert!(matches!(translate(wheel), Some(Msg::Wheel(Wheel::Up))));
        assert!(matches!(
            translate(Event::Paste("a\nb".into())),
            Some(Msg::Paste(t)) if t == "a\nb"
        ));
        let release = Event::Key(KeyEvent {
            kind: KeyEventKind::Release,
            ..KeyEvent::new(CtKey::Char('a'), KeyModifiers::NONE)
        });
        assert!(translate(release).is_none());
    }
}
