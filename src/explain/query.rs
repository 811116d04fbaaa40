//! Reading what a user pastes into `smtpwire explain`.

use super::{Query, StatusCode};
use crate::smtp::{Code, Reply};

const USAGE: &str = "give a reply code (535), an enhanced status code (5.7.8) or a reply as \
                     the server sent it (\"535 5.7.8 Error: authentication failed\")";

/// Reads what the user typed or pasted: `535`, `5.7.8`, `X.7.8`,
/// `535 5.7.8 Error: authentication failed`, the lines of a multi-line reply
/// (`550-5.7.1 …` / `550 5.7.1 …`), transcript lines
/// (`08:41:02.139 S: 550 …`, whose `C:` lines are skipped), or bounce-report
/// lines (`Diagnostic-Code: smtp; 550 …`, `… said: 550 … (in reply to RCPT
/// TO command)`). When several replies are pasted, the last failure is the
/// one explained.
pub fn parse_query(input: &str) -> Result<Query, String> {
    let lines: Vec<&str> = input.lines().filter_map(clean_line).collect();
    let Some(first) = lines.first() else {
        return Err(format!("nothing to explain: {USAGE}"));
    };
    if lines.len() == 1 {
        let (head, rest) = first.split_once(' ').unwrap_or((first, ""));
        if rest.is_empty() && head.len() == 3 && head.bytes().all(|b| b.is_ascii_digit()) {
            return parse_code(head).map(Query::Code);
        }
        // `5.7.8`, `X.7.8`: one character, then a dot (a reply code has three digits).
        if head.len() >= 3 && head.as_bytes()[1] == b'.' {
            return parse_status(head).map(|code| Query::Status {
                code,
                text: rest.trim().to_owned(),
            });
        }
    }
    match replies_in(&lines)? {
        Some(reply) => Ok(Query::Reply(reply)),
        None => Err(format!("cannot read {}: {USAGE}", shown(first))),
    }
}

/// A line with the decoration of transcripts and bounce reports removed;
/// `None` for lines to skip (empty, or written by the client).
fn clean_line(line: &str) -> Option<&str> {
    let mut line = line.trim();
    // A leading clock (08:41:02.139, 2026-11-30T08:41:02Z): always has a colon,
    // which a reply code never has before its first space.
    if let Some((first, rest)) = line.split_once(' ')
        && first.contains(':')
        && first
            .bytes()
            .all(|b| b.is_ascii_digit() || b":.-+TZ".contains(&b))
    {
        line = rest.trim_start();
    }
    if line.starts_with("C:") || line.starts_with('*') || line.starts_with(">>>") {
        return None;
    }
    let transcript = line.starts_with("S:");
    for prefix in ["S:", "<<<", "Diagnostic-Code:"] {
        if let Some(rest) = line.strip_prefix(prefix) {
            line = rest.trim_start();
        }
    }
    if let Some((_, rest)) = line.split_once("said: ") {
        line = rest;
    }
    if line
        .get(..5)
        .is_some_and(|head| head.eq_ignore_ascii_case("smtp;"))
    {
        line = line[5..].trim_start();
    }
    if let Some(at) = line.find(" (in reply to ") {
        line = &line[..at];
    }
    // smtpwire's own transcript pads a latency or gloss onto server lines.
    if transcript
        && let Some(at) = line.rfind("  ")
        && matches!(line[at..].trim_start().chars().next(), Some('[' | '('))
    {
        line = &line[..at];
    }
    let line = line.trim_end();
    (!line.is_empty()).then_some(line)
}

fn parse_code(text: &str) -> Result<u16, String> {
    let value: u16 = text
        .parse()
        .map_err(|_| format!("cannot read {}: {USAGE}", shown(text)))?;
    Code::new(value).map(Code::value).ok_or_else(|| {
        format!(
            "{value} is not an SMTP reply code: the first digit is 2 to 5 and the second 0 to 5"
        )
    })
}

fn parse_status(text: &str) -> Result<StatusCode, String> {
    let bad = || {
        format!(
            "{} is not an enhanced status code: it is class.subject.detail, \
             the class 2, 4, 5 or X, the others numbers up to 999 (e.g. 5.7.8)",
            shown(text)
        )
    };
    let number = |s: &str| {
        (!s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u16>().ok())
            .flatten()
    };
    let mut parts = text.split('.');
    let (Some(class), Some(subject), Some(detail), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let class = match class {
        "2" => Some(2),
        "4" => Some(4),
        "5" => Some(5),
        "X" | "x" => None,
        _ => return Err(bad()),
    };
    Ok(StatusCode {
        class,
        subject: number(subject).ok_or_else(bad)?,
        detail: number(detail).ok_or_else(bad)?,
    })
}

/// The replies among `lines` (consecutive lines with one code, the last
/// without a dash, make one); the last failure, else the last reply.
fn replies_in(lines: &[&str]) -> Result<Option<Reply>, String> {
    let mut replies: Vec<(u16, Vec<String>)> = Vec::new();
    let mut open = false;
    for line in lines {
        let bytes = line.as_bytes();
        if bytes.len() < 3
            || !bytes[..3].iter().all(u8::is_ascii_digit)
            || !matches!(bytes.get(3), None | Some(b' ' | b'-'))
        {
            continue;
        }
        let code = parse_code(&line[..3])?;
        let text = line.get(4..).unwrap_or("").to_owned();
        match replies.last_mut() {
            Some((last, lines)) if open && *last == code => lines.push(text),
            _ => replies.push((code, vec![text])),
        }
        open = bytes.get(3) == Some(&b'-');
    }
    let chosen = replies
        .iter()
        .rev()
        .find(|(code, _)| *code >= 400)
        .or(replies.last());
    Ok(chosen
        .and_then(|(code, lines)| Code::new(*code).map(|code| Reply::new(code, lines.clone()))))
}

/// User input for an error message: escaped, at most 40 characters.
fn shown(text: &str) -> String {
    let escaped: String = text.chars().flat_map(char::escape_debug).collect();
    match escaped.char_indices().nth(40) {
        Some((at, _)) => format!("\"{}…\"", &escaped[..at]),
        None => format!("\"{escaped}\""),
    }
}
