//! The settings pane: a three-by-three grid of fields, a row of validation
//! messages when there are any, and the server's capabilities while a
//! session is open.

use ratatui::{
    Frame,
    layout::{Position, Rect},
    text::{Line, Span},
};

use super::{fit, pane, theme::Theme};
use crate::{
    app::{App, Focus, SettingsField, settings::ROWS},
    settings::{DEFAULT_TIMEOUT, Key},
    worker::SessionState,
};

/// Label widths per column.
const LABELS: [u16; 3] = [4, 8, 8];

/// Rows the pane needs.
pub(super) fn height(app: &App) -> u16 {
    1 + ROWS.len() as u16
        + u16::from(!app.settings.errors.is_empty())
        + u16::from(app.session_open())
}

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme, cursor: bool) {
    let focused = match app.focus {
        Focus::Settings(field) => Some(field),
        _ => None,
    };
    let right = focused.map(|_| {
        Line::from(Span::styled(
            " Ctrl+W saves (never the password) ",
            theme.dim(),
        ))
    });
    let inner = pane(
        frame,
        area,
        " Settings · F2 ",
        right,
        focused.is_some(),
        theme,
    );
    let widths = [
        inner.width * 2 / 5,
        inner.width * 8 / 25,
        inner.width - inner.width * 2 / 5 - inner.width * 8 / 25,
    ];
    let bottom = inner.y + inner.height;
    let mut y = inner.y;
    for row in ROWS {
        if y >= bottom {
            return;
        }
        if let [(SettingsField::Account, label)] = row {
            account_row(
                frame,
                inner,
                y,
                app,
                label,
                theme,
                cursor && focused == Some(SettingsField::Account),
            );
            y += 1;
            continue;
        }
        let mut x = inner.x;
        for (col, &(field, _)) in row.iter().enumerate() {
            let cell = Rect {
                x,
                y,
                width: widths[col],
                height: 1,
            };
            let col_in_cell = draw_cell(frame, cell, LABELS[col], app, field, theme);
            if focused == Some(field) && cursor {
                frame.set_cursor_position(Position::new(cell.x + col_in_cell, y));
            }
            x += widths[col];
        }
        y += 1;
    }
    if !app.settings.errors.is_empty() && y < bottom {
        let text = app
            .settings
            .errors
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join(" · ");
        let (text, _) = fit(&format!("✗ {text}"), usize::from(inner.width));
        super::row(frame, inner, y, Span::styled(text, theme.error()));
        y += 1;
    }
    if let SessionState::Open {
        capabilities, tls, ..
    } = &app.session
        && y < bottom
    {
        let mut items = capabilities.summary();
        if let Some(cert) = tls {
            items.push(format!("TLS: {cert}"));
        }
        let name = if capabilities.server_name.is_empty() {
            "server"
        } else {
            capabilities.server_name.as_str()
        };
        let text = format!("● {name} offers {}", items.join(" · "));
        let (text, _) = fit(&text, usize::from(inner.width));
        super::row(
            frame,
            inner,
            y,
            Span::styled(text, theme.connection(true, false)),
        );
    }
}

/// The account selector, and beside it what the provider table knows about
/// the sender's domain.
fn account_row(
    frame: &mut Frame,
    inner: Rect,
    y: u16,
    app: &App,
    label: &str,
    theme: Theme,
    cursor: bool,
) {
    let focused = app.focus == Focus::Settings(SettingsField::Account);
    let name = if focused {
        format!("‹{}›", app.context.account)
    } else {
        app.context.account.clone()
    };
    let mut spans = vec![
        Span::styled(format!("{label:<8}"), theme.label(focused)),
        Span::raw(" "),
        Span::styled(name.clone(), theme.value()),
    ];
    let names = app.context.accounts.names();
    if names.len() > 1 {
        let at = names
            .iter()
            .position(|n| *n == app.context.account)
            .map_or(0, |i| i + 1);
        spans.push(Span::styled(
            format!(" ({at} of {})", names.len()),
            theme.dim(),
        ));
    }
    if let Some(hint) = app.provider_hint() {
        let used: usize = spans.iter().map(|s| super::width_of(&s.content)).sum();
        let (hint, _) = fit(
            &format!("  {hint}"),
            usize::from(inner.width).saturating_sub(used),
        );
        spans.push(Span::styled(hint, theme.dim()));
    }
    super::row(frame, inner, y, Line::from(spans));
    if cursor {
        frame.set_cursor_position(Position::new(inner.x + 9 + 1, y));
    }
}

/// Draws one field; returns the cursor's column in the cell.
fn draw_cell(
    frame: &mut Frame,
    cell: Rect,
    label_width: u16,
    app: &App,
    field: SettingsField,
    theme: Theme,
) -> u16 {
    let settings = &app.settings;
    let is_focused = app.focus == Focus::Settings(field);
    let has_error = settings.error(field).is_some();
    // One column of gap before the next cell.
    let value_width = usize::from(cell.width.saturating_sub(label_width + 2));
    let label = Span::styled(
        format!("{:<w$}", field.label(), w = usize::from(label_width)),
        theme.label(is_focused),
    );
    let value_style = if has_error {
        theme.error()
    } else {
        theme.value()
    };
    let placeholder_span = |width: usize| {
        let (hint, _) = fit(&placeholder(app, field), width);
        Span::styled(hint, theme.placeholder())
    };
    let (value, cursor_col) = match field {
        // Drawn by `account_row`.
        SettingsField::Account => (Span::raw(""), 0),
        SettingsField::Password => {
            let (shown, cursor_col) = settings.password.masked(value_width, '•');
            let span = if settings.password.is_empty() {
                placeholder_span(value_width)
            } else {
                Span::styled(shown, value_style)
            };
            (span, cursor_col)
        }
        SettingsField::Setting(key) if field.is_choice() => {
            let text = match settings.text(key) {
                // Security left automatic: what it will be.
                "" => format!(
                    "auto: {}",
                    app.provider()
                        .map_or_else(|| settings.security(), |p| p.smtp.security)
                ),
                text => text.to_owned(),
            };
            let text = if is_focused {
                format!("‹{text}›")
            } else {
                text
            };
            (Span::styled(text, value_style), usize::from(is_focused))
        }
        SettingsField::Setting(key) => match settings.line(key) {
            Some(input) => {
                let (shown, cursor_col) = input.window(value_width, None);
                let span = if input.text().is_empty() {
                    placeholder_span(value_width)
                } else {
                    Span::styled(shown, value_style)
                };
                (span, cursor_col)
            }
            None => (Span::raw(""), 0),
        },
    };
    let mut spans = vec![label, Span::raw(" "), value];
    if field == SettingsField::Setting(Key::Timeout) && !settings.text(Key::Timeout).is_empty() {
        spans.push(Span::styled(" s", theme.dim()));
    }
    let line = Line::from(spans);
    frame.render_widget(line, cell);
    label_width + 1 + cursor_col as u16
}

fn placeholder(app: &App, field: SettingsField) -> String {
    let settings = &app.settings;
    match field {
        SettingsField::Setting(Key::Server) => match app.provider() {
            Some(p) => format!("auto: {} ({})", p.smtp.host, p.name),
            None => "e.g. smtp.example.org".to_owned(),
        },
        SettingsField::Setting(Key::Port) => match app.provider() {
            Some(p) if settings.text(Key::Security).is_empty() => p.smtp.port.to_string(),
            _ => settings.security().default_port().to_string(),
        },
        SettingsField::Setting(Key::User) => "(no login)".to_owned(),
        SettingsField::Password => {
            if settings.text(Key::User).is_empty() {
                String::new()
            } else if settings.command_password.is_some() {
                "(from password_command)".to_owned()
            } else if settings.base.password_command.is_some() {
                "(password_command)".to_owned()
            } else {
                "(needed to log in)".to_owned()
            }
        }
        SettingsField::Setting(Key::Helo) => format!("auto: {}", app.effective_helo()),
        SettingsField::Setting(Key::EnvelopeFrom) => "= From address".to_owned(),
        SettingsField::Setting(Key::Timeout) => format!("{DEFAULT_TIMEOUT} s"),
        SettingsField::Setting(_) | SettingsField::Account => String::new(),
    }
}
