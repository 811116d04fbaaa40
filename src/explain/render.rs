//! The text `smtpwire explain` prints.

use std::borrow::Cow;

use unicode_width::UnicodeWidthStr;

use super::{CodeInfo, Explanation, Origin, Setting, StatusInfo};

const WIDTH: usize = 80;
const INDENT: &str = "  ";
/// Holds a setting's name together while wrapping (`Security (F2)` stays on
/// one line); made a plain space again at the end.
const GLUE: char = '\u{a0}';

/// The text `smtpwire explain` prints: the meaning of the reply code and of
/// each part of the enhanced code, then what to do, wrapped at 80 columns.
/// Settings are named through `name`, as in [`Hint::render`](super::Hint::render).
pub fn render(expl: &Explanation, name: impl Fn(Setting) -> Cow<'static, str>) -> String {
    let mut out = String::new();
    if let Some(code) = expl.code {
        render_code(&mut out, code, expl.reply);
    }
    if let Some(status) = &expl.status {
        if !out.is_empty() {
            out.push('\n');
        }
        render_status(&mut out, status);
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str("What to do\n");
    let glued = |setting| Cow::Owned(name(setting).replace(' ', &GLUE.to_string()));
    match expl.hint {
        Some(hint) => {
            wrap(&mut out, INDENT, &hint.render(glued), 2);
            if let Some(detail) = hint.render_detail(glued) {
                out.push('\n');
                wrap(&mut out, INDENT, &detail, 2);
            }
        }
        None => wrap(&mut out, INDENT, no_hint(expl), 2),
    }
    out.replace(GLUE, " ")
}

fn render_code(out: &mut String, code: u16, info: Option<&CodeInfo>) {
    if let Some(info) = info {
        let head = format!(
            "Reply code {code}: {}{}",
            info.title,
            source(info.reference, info.origin)
        );
        wrap(out, "", &head, 2);
        wrap(out, INDENT, info.meaning, 2);
    } else {
        wrap(
            out,
            "",
            &format!("Reply code {code}: not defined by any RFC"),
            2,
        );
        wrap(out, INDENT, &by_digits(code), 2);
    }
}

fn render_status(out: &mut String, status: &StatusInfo) {
    let code = status.code;
    out.push_str(&format!("Enhanced status code {code}\n"));
    let class_label = code.class.map(|c| format!("{c}.X.X"));
    let subject_label = format!("X.{}.X", code.subject);
    let detail_label = format!("X.{}.{}", code.subject, code.detail);
    // One column for the titles, wide enough for the longest label.
    let width = detail_label.len().max(subject_label.len());
    let indent = 2 + width + 2;
    let mut part = |label: &str, title: &str, reference: String, meaning: &str| {
        wrap(
            out,
            &format!("  {label:<width$}  "),
            &format!("{title}{reference}"),
            indent,
        );
        if !meaning.is_empty() {
            wrap(out, &" ".repeat(indent), meaning, indent);
        }
    };
    match (class_label, status.class) {
        (Some(label), Some(info)) => part(
            &label,
            info.title,
            source(info.reference, Origin::Standard),
            info.meaning,
        ),
        (Some(label), None) => part(
            &label,
            "not a class the registry defines (2, 4 or 5)",
            String::new(),
            "",
        ),
        (None, _) => {}
    }
    match status.subject {
        Some(info) => part(
            &subject_label,
            info.title,
            source(info.reference, Origin::Standard),
            info.meaning,
        ),
        None => part(
            &subject_label,
            "not a subject the registry defines (0 to 7)",
            String::new(),
            "",
        ),
    }
    match status.detail {
        Some(info) => part(
            &detail_label,
            if info.title.is_empty() {
                "(no title)"
            } else {
                info.title
            },
            source(info.reference, info.origin),
            info.meaning,
        ),
        None => part(
            &detail_label,
            "not in the IANA registry",
            String::new(),
            "The class and the subject above still tell what kind of problem it is.",
        ),
    }
}

/// ` (RFC 4954)`, or ` (deprecated; RFC 6531)`, or ` (not standard: …)`.
fn source(reference: &str, origin: Origin) -> String {
    match origin {
        Origin::Standard => format!(" ({reference})"),
        Origin::Deprecated => format!(" (deprecated; {reference})"),
        Origin::Extra(who) => format!(" (not standard: {who})"),
    }
}

/// The meaning of an undefined code's digits (RFC 5321 §4.2.1).
fn by_digits(code: u16) -> String {
    let first = match code / 100 {
        2 => "success",
        3 => "so far so good, the server waits for more",
        4 => "a temporary failure, so trying again later may work",
        _ => "a permanent failure, so repeating it unchanged will fail again",
    };
    let second = match code / 10 % 10 {
        0 => "syntax",
        1 => "information",
        2 => "the connection",
        5 => "the mail system",
        _ => "an unspecified matter",
    };
    format!(
        "By its digits: {} means {first}; {} in the middle points to {second}.",
        code / 100,
        code / 10 % 10
    )
}

fn no_hint(expl: &Explanation) -> &'static str {
    let class = expl
        .code
        .map(|c| c / 100)
        .or_else(|| expl.status.and_then(|s| s.code.class).map(u16::from));
    match class {
        Some(2 | 3) => "Nothing: this is not a failure.",
        Some(4) => "It is temporary: try again later. The server's own words usually say why.",
        _ => {
            "Nothing specific is known for this reply. The server's own words usually say \
              why; change what they point at before sending again."
        }
    }
}

/// Appends `prefix` and `text` wrapped at [`WIDTH`], the lines after the
/// first indented by `rest` columns, then a newline.
fn wrap(out: &mut String, prefix: &str, text: &str, rest: usize) {
    out.push_str(prefix);
    let mut column = prefix.width();
    let mut empty = true;
    // Split on plain spaces only, so GLUE keeps names whole.
    for word in text.split([' ', '\n']).filter(|w| !w.is_empty()) {
        let width = word.width();
        if !empty && column + 1 + width > WIDTH {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', rest));
            column = rest;
            empty = true;
        }
        if !empty {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += width;
        empty = false;
    }
    out.push('\n');
}
