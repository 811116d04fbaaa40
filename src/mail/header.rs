//! Header fields: folding, RFC 2047 encoded words, the injection guard.
//!
//! Text is split into words at single spaces, the only white space every
//! decoder keeps at a fold. A word stays as typed when it is printable ASCII;
//! a run of adjacent words that are not (non-ASCII, controls, something a
//! decoder would mistake for an encoded word, or over 900 octets) is encoded
//! as a whole, spaces included, because the white space between two encoded
//! words disappears when decoding (RFC 2047 §6.2). So no encoded word decodes
//! to pure ASCII text that could have stayed plain, which spam filters score
//! (rspamd `SUBJ_EXCESS_*`, `FROM_EXCESS_*`).
//!
//! Each run gets B or Q by length, Q favoured a little for readability (B
//! wins for Cyrillic, Greek, CJK; Q for mostly-Latin text). Encoded words are split at character
//! boundaries, are at most 75 characters, and share a line with at most 76
//! characters; other lines fold at white space before column 78.

use super::address::{Mailbox, is_special};
use super::error::{Error, Field};

/// Fold before a line would pass this many octets (RFC 5322 §2.1.1).
const FOLD_AT: usize = 78;
/// RFC 2047 §2: a line holding an encoded word is at most 76 characters.
const ENCODED_LINE_MAX: usize = 76;
/// RFC 2047 §2: an encoded word is at most 75 characters.
const ENCODED_WORD_MAX: usize = 75;
/// `=?utf-8?X?` plus `?=`.
const ENCODED_OVERHEAD: usize = 12;
/// A plain word this long is encoded instead, because encoded words can be
/// split and a plain word cannot, and a line must stay under 998 octets.
const PLAIN_WORD_MAX: usize = 900;

/// Refuses CR, LF and NUL in a header value: they would end the field and
/// let the rest of the value forge headers.
pub(crate) fn check_injection(field: Field, value: &str) -> Result<(), Error> {
    if value.contains(['\r', '\n', '\0']) {
        Err(Error::HeaderInjection { field })
    } else {
        Ok(())
    }
}

/// How a header field carries what is not plain ASCII: the builder's
/// choices, kept so that a preview can say them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeaderForm {
    /// Non-ASCII text (a display name, the subject) as RFC 2047 encoded
    /// words, which every reader decodes, whatever the server offers.
    EncodedWords,
    /// An address whose local part is not ASCII, in UTF-8 (RFC 6532): the
    /// server offers SMTPUTF8.
    Utf8Address,
    /// An internationalised domain in its ASCII form (`xn--…`, IDNA).
    AsciiDomain,
}

/// One header field being written: `Name: value`, folded.
pub(crate) struct HeaderLine {
    out: String,
    /// Octets on the current physical line.
    col: usize,
    /// Whether the current physical line already holds a value token, so
    /// that folding before the next one is useful.
    has_token: bool,
    /// How the value was written where it is not plain ASCII.
    forms: Vec<HeaderForm>,
}

impl HeaderLine {
    pub(crate) fn new(name: &str) -> HeaderLine {
        HeaderLine {
            out: format!("{name}:"),
            col: name.len() + 1,
            has_token: false,
            forms: Vec::new(),
        }
    }

    /// An empty continuation line, to measure a value on a line of its own.
    fn continuation() -> HeaderLine {
        HeaderLine {
            out: String::new(),
            col: 0,
            has_token: false,
            forms: Vec::new(),
        }
    }

    /// The field with its CRLF.
    pub(crate) fn finish(self) -> String {
        self.finish_with_forms().0
    }

    /// The field with its CRLF, and how its value was written.
    pub(crate) fn finish_with_forms(mut self) -> (String, Vec<HeaderForm>) {
        self.out.push_str("\r\n");
        (self.out, self.forms)
    }

    fn note(&mut self, form: HeaderForm) {
        if !self.forms.contains(&form) {
            self.forms.push(form);
        }
    }

    fn fold(&mut self) {
        self.out.push_str("\r\n");
        self.col = 0;
        self.has_token = false;
    }

    /// Folds now if `width` more octets would not fit on this line.
    fn fold_unless_fits(&mut self, width: usize) {
        if self.has_token && self.col + width > FOLD_AT {
            self.fold();
        }
    }

    /// Appends white space `sep` (never empty: folding happens before it)
    /// and an unbreakable `token`.
    pub(crate) fn push(&mut self, sep: &str, token: &str) {
        if self.has_token && self.col + sep.len() + token.len() > FOLD_AT {
            self.fold();
        }
        self.out.push_str(sep);
        self.out.push_str(token);
        self.col += sep.len() + token.len();
        self.has_token = true;
    }

    /// Appends white space `sep` and `text` as one or more encoded words.
    fn push_encoded(&mut self, sep: &str, text: &str) {
        self.note(HeaderForm::EncodedWords);
        let scheme = Scheme::for_text(text);
        let mut sep = sep;
        let mut rest = text;
        while !rest.is_empty() {
            let room = |col: usize| {
                ENCODED_LINE_MAX
                    .saturating_sub(col + sep.len())
                    .min(ENCODED_WORD_MAX)
            };
            let mut take = scheme.fitting_prefix(rest, room(self.col));
            // Fold rather than start a run with a sliver at a line's end.
            let sliver = take < rest.len() && room(self.col) < ENCODED_WORD_MAX / 2;
            if self.has_token && (take == 0 || sliver) {
                self.fold();
                take = scheme.fitting_prefix(rest, room(self.col));
            }
            // A character always fits on a fresh line (at most 4 octets,
            // 12 as Q); the guard only keeps a bad budget from looping.
            let take = take.max(rest.chars().next().map_or(0, char::len_utf8));
            let (chunk, tail) = rest.split_at(take);
            let word = scheme.encode(chunk);
            self.out.push_str(sep);
            self.out.push_str(&word);
            self.col += sep.len() + word.len();
            self.has_token = true;
            sep = " ";
            rest = tail;
        }
    }
}

/// The RFC 2047 encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    B,
    Q,
}

impl Scheme {
    /// B or Q, whichever gives the shorter text, with Q favoured by a third
    /// because mostly-Latin text stays readable in it.
    pub(crate) fn for_text(text: &str) -> Scheme {
        let q: usize = text.bytes().map(q_width).sum();
        if 3 * q <= 4 * b_width(text.len()) {
            Scheme::Q
        } else {
            Scheme::B
        }
    }

    /// The longest prefix of `text`, in bytes and at a character boundary,
    /// whose encoded word is at most `room` characters.
    pub(crate) fn fitting_prefix(self, text: &str, room: usize) -> usize {
        let mut bytes = 0;
        let mut q = 0;
        for c in text.chars() {
            let n = c.len_utf8();
            let width = match self {
                Scheme::B => b_width(bytes + n),
                Scheme::Q => {
                    q += text[bytes..bytes + n].bytes().map(q_width).sum::<usize>();
                    q
                }
            };
            if ENCODED_OVERHEAD + width > room {
                break;
            }
            bytes += n;
        }
        bytes
    }

    pub(crate) fn encode(self, text: &str) -> String {
        use base64::Engine as _;
        match self {
            Scheme::B => format!(
                "=?utf-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(text)
            ),
            Scheme::Q => {
                let mut out = String::with_capacity(ENCODED_WORD_MAX);
                out.push_str("=?utf-8?Q?");
                for b in text.bytes() {
                    match b {
                        b' ' => out.push('_'),
                        _ if q_plain(b) => out.push(char::from(b)),
                        _ => {
                            out.push('=');
                            out.push(char::from(HEX[usize::from(b >> 4)]));
                            out.push(char::from(HEX[usize::from(b & 15)]));
                        }
                    }
                }
                out.push_str("?=");
                out
            }
        }
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Characters a Q encoded word may carry as themselves anywhere, phrases
/// included (RFC 2047 §5 (3)).
fn q_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'!' | b'*' | b'+' | b'-' | b'/')
}

fn q_width(b: u8) -> usize {
    if b == b' ' || q_plain(b) { 1 } else { 3 }
}

fn b_width(bytes: usize) -> usize {
    bytes.div_ceil(3) * 4
}

/// A word that cannot go into a header as typed.
fn needs_encoding(word: &str) -> bool {
    !word.is_ascii()
        || word.bytes().any(|b| b.is_ascii_control() && b != b'\t')
        || word.contains("=?")
        || word.len() > PLAIN_WORD_MAX
}

/// A word of a header value and the white space before it.
#[derive(Clone, Copy)]
struct Word<'a> {
    sep: &'a str,
    text: &'a str,
    /// Byte offset of `text` in the value.
    start: usize,
}

/// Splits a trimmed value at single spaces. Other white space (a tab, two
/// spaces) stays inside its word: folding there would lose it in decoders
/// that, like mail-parser, turn any folded white space into one space.
fn words(value: &str) -> Vec<Word<'_>> {
    let bytes = value.as_bytes();
    let is_ws = |b: u8| b == b' ' || b == b'\t';
    let mut out = Vec::new();
    let mut start = 0usize;
    for i in 1..bytes.len().saturating_sub(1) {
        if bytes[i] == b' ' && !is_ws(bytes[i - 1]) && !is_ws(bytes[i + 1]) {
            out.push(Word {
                sep: &value[start.saturating_sub(1)..start],
                text: &value[start..i],
                start,
            });
            start = i + 1;
        }
    }
    if start < value.len() {
        out.push(Word {
            sep: &value[start.saturating_sub(1)..start],
            text: &value[start..],
            start,
        });
    }
    out
}

/// One piece of a header value: plain words or an encoded run.
struct Segment<'a> {
    /// White space before the segment.
    sep: &'a str,
    /// The text, white space inside it included.
    text: &'a str,
    encode: bool,
}

/// Groups words into maximal runs of encoded words (white space between
/// them included) and single plain words.
fn segments<'a>(value: &'a str, words: &[Word<'a>], encode: &[bool]) -> Vec<Segment<'a>> {
    let mut out: Vec<Segment<'a>> = Vec::new();
    let mut run_start = 0;
    for (word, &enc) in words.iter().zip(encode) {
        match out.last_mut() {
            Some(last) if last.encode && enc => {
                last.text = &value[run_start..word.start + word.text.len()];
            }
            _ => {
                run_start = word.start;
                out.push(Segment {
                    sep: word.sep,
                    text: word.text,
                    encode: enc,
                });
            }
        }
    }
    out
}

/// Writes unstructured text (a Subject). Leading and trailing white space is
/// not kept.
pub(crate) fn write_unstructured(line: &mut HeaderLine, text: &str) {
    let text = text.trim_matches([' ', '\t']);
    let words = words(text);
    let encode: Vec<bool> = words.iter().map(|w| needs_encoding(w.text)).collect();
    for (k, seg) in segments(text, &words, &encode).into_iter().enumerate() {
        let sep = if k == 0 { " " } else { seg.sep };
        if seg.encode {
            line.push_encoded(sep, seg.text);
        } else {
            line.push(sep, seg.text);
        }
    }
}

/// Writes a display name (RFC 5322 `phrase`): atoms as typed, quoted
/// strings where specials need them, encoded words where the text is not
/// printable ASCII. Runs of white space become single spaces.
fn write_phrase(line: &mut HeaderLine, sep: &str, name: &str) {
    let name = name
        .split([' ', '\t'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let words = words(&name);
    let mut encode: Vec<bool> = words.iter().map(|w| needs_encoding(w.text)).collect();
    // Decoders differ on the space between an encoded word and a quoted
    // string (mail-parser drops it), so a name with encoded words carries
    // its specials inside encoded words rather than in quotes.
    if encode.contains(&true) {
        for (flag, word) in encode.iter_mut().zip(&words) {
            *flag |= word.text.contains(is_special);
        }
    }
    let segs = segments(&name, &words, &encode);
    let mut k = 0;
    while k < segs.len() {
        let first_sep = if k == 0 { sep } else { segs[k].sep };
        if segs[k].encode {
            line.push_encoded(first_sep, segs[k].text);
            k += 1;
            continue;
        }
        // Consecutive plain words: quoted together when any has a special,
        // so that "(Work)" is not read as a comment.
        let end = segs[k..]
            .iter()
            .position(|s| s.encode)
            .map_or(segs.len(), |n| k + n);
        let plain = &segs[k..end];
        let quote = plain.iter().any(|s| s.text.contains(is_special));
        for (j, seg) in plain.iter().enumerate() {
            let mut token = String::with_capacity(seg.text.len() + 2);
            if quote && j == 0 {
                token.push('"');
            }
            for c in seg.text.chars() {
                if quote && (c == '"' || c == '\\') {
                    token.push('\\');
                }
                token.push(c);
            }
            if quote && j + 1 == plain.len() {
                token.push('"');
            }
            line.push(if j == 0 { first_sep } else { " " }, &token);
        }
        k = end;
    }
}

/// Formats an address field (`From`, `To`, `Cc`), and says how its value
/// was written where it is not plain ASCII.
pub(crate) fn address_field(
    name: &str,
    field: Field,
    mailboxes: &[Mailbox],
    smtputf8: bool,
) -> Result<(String, Vec<HeaderForm>), Error> {
    let mut line = HeaderLine::new(name);
    let last = mailboxes.len().saturating_sub(1);
    for (i, mailbox) in mailboxes.iter().enumerate() {
        if let Some(display) = &mailbox.name {
            check_injection(field, display)?;
        }
        let (address, form) =
            mailbox
                .address
                .header_form(smtputf8)
                .ok_or_else(|| Error::NeedsSmtpUtf8 {
                    field: Some(field),
                    input: mailbox.address.to_string(),
                })?;
        let comma = if i == last { "" } else { "," };
        let name = mailbox
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        // Keep a mailbox on one line when it fits on one: fold between
        // mailboxes rather than between a name and its address.
        let mut alone = HeaderLine::continuation();
        write_mailbox(&mut alone, name, &address, comma);
        if !alone.out.contains('\n') {
            line.fold_unless_fits(alone.out.len());
        }
        write_mailbox(&mut line, name, &address, comma);
        if let Some(form) = form {
            line.note(form);
        }
    }
    Ok(line.finish_with_forms())
}

fn write_mailbox(line: &mut HeaderLine, name: Option<&str>, address: &str, comma: &str) {
    match name {
        Some(name) => {
            write_phrase(line, " ", name);
            line.push(" ", &format!("<{address}>{comma}"));
        }
        // Some parsers (mail-parser 0.11) misread a bare quoted local part.
        None if address.starts_with('"') => line.push(" ", &format!("<{address}>{comma}")),
        None => line.push(" ", &format!("{address}{comma}")),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::mail::Address;

    /// An RFC 2047 decoder for tests: unfolds, then decodes encoded words,
    /// dropping white space between adjacent ones (§6.2). Knows UTF-8 and,
    /// for the RFC's own examples, ISO-8859-1/2 (ASCII only is used there).
    pub(crate) fn decode_unstructured(value: &str) -> String {
        use base64::Engine as _;
        let unfolded = value.replace("\r\n", "");
        let mut out = String::new();
        let mut pending_space = String::new();
        let mut prev_encoded = false;
        let mut rest = unfolded.as_str();
        while !rest.is_empty() {
            let ws = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            if ws > 0 {
                pending_space = rest[..ws].to_string();
                rest = &rest[ws..];
                continue;
            }
            let end = rest.find([' ', '\t']).unwrap_or(rest.len());
            let word = &rest[..end];
            rest = &rest[end..];
            let decoded = word
                .strip_prefix("=?")
                .and_then(|w| w.strip_suffix("?="))
                .and_then(|w| {
                    let mut parts = w.splitn(3, '?');
                    let (charset, enc, text) = (parts.next()?, parts.next()?, parts.next()?);
                    let bytes = match enc {
                        "B" | "b" => base64::engine::general_purpose::STANDARD
                            .decode(text)
                            .ok()?,
                        "Q" | "q" => {
                            let mut bytes = Vec::new();
                            let raw = text.as_bytes();
                            let mut i = 0;
                            while i < raw.len() {
                                match raw[i] {
                                    b'_' => bytes.push(b' '),
                                    b'=' => {
                                        let hex =
                                            std::str::from_utf8(raw.get(i + 1..i + 3)?).ok()?;
                                        bytes.push(u8::from_str_radix(hex, 16).ok()?);
                                        i += 2;
                                    }
                                    b => bytes.push(b),
                                }
                                i += 1;
                            }
                            bytes
                        }
                        _ => return None,
                    };
                    if charset.eq_ignore_ascii_case("utf-8") {
                        String::from_utf8(bytes).ok()
                    } else {
                        Some(bytes.into_iter().map(char::from).collect())
                    }
                });
            if let Some(text) = decoded {
                if !prev_encoded {
                    out.push_str(&pending_space);
                }
                out.push_str(&text);
                prev_encoded = true;
            } else {
                out.push_str(&pending_space);
                out.push_str(word);
                prev_encoded = false;
            }
            pending_space.clear();
        }
        out
    }

    fn value_of(field: &str) -> &str {
        let colon = field.find(':').unwrap();
        field[colon + 1..]
            .trim_end_matches("\r\n")
            .trim_start_matches(' ')
    }

    fn subject(text: &str) -> String {
        let mut line = HeaderLine::new("Subject");
        write_unstructured(&mut line, text);
        line.finish()
    }

    fn assert_well_formed(field: &str) {
        assert!(field.ends_with("\r\n"), "{field:?}");
        for l in field.trim_end_matches("\r\n").split("\r\n") {
            let limit = if l.contains("=?") {
                ENCODED_LINE_MAX
            } else {
                FOLD_AT
            };
            assert!(l.len() <= limit.max(PLAIN_WORD_MAX + 2), "{l:?}");
            assert!(!l.contains(['\r', '\n']), "{l:?}");
            assert!(l.is_ascii(), "{l:?}");
        }
        for l in field.split("\r\n").skip(1).filter(|l| !l.is_empty()) {
            assert!(
                l.starts_with([' ', '\t']),
                "continuation without WSP: {l:?}"
            );
        }
        for word in field
            .split([' ', '\r', '\n'])
            .filter(|w| w.starts_with("=?"))
        {
            assert!(word.len() <= ENCODED_WORD_MAX, "{word}");
        }
    }

    #[test]
    fn rfc2047_section_8_examples_decode() {
        for (encoded, decoded) in [
            ("(=?ISO-8859-1?Q?a?=)", "(a)"),
            ("(=?ISO-8859-1?Q?a?= b)", "(a b)"),
            ("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"),
            ("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"),
            ("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"),
            ("(=?ISO-8859-1?Q?a_b?=)", "(a b)"),
            ("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"),
            ("=?ISO-8859-1?Q?a?= b", "a b"),
            ("=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=", "a b"),
            ("=?US-ASCII?Q?Keith_Moore?=", "Keith Moore"),
        ] {
            // The decoder works on words; the parenthesised examples are
            // comments, so strip the parentheses around encoded words.
            let inner = encoded.trim_start_matches('(').trim_end_matches(')');
            let expected = decoded.trim_start_matches('(').trim_end_matches(')');
            assert_eq!(decode_unstructured(inner), expected, "{encoded:?}");
        }
    }

    #[test]
    fn subjects_encode_only_what_needs_it() {
        for (input, expected) in [
            ("Hello, world", "Subject: Hello, world\r\n"),
            ("", "Subject:\r\n"),
            ("  padded  ", "Subject: padded\r\n"),
            ("a  b\tc", "Subject: a  b\tc\r\n"),
            ("a  Б c", "Subject: =?utf-8?Q?a__=D0=91?= c\r\n"),
            ("x a\tБ", "Subject: x =?utf-8?Q?a=09=D0=91?=\r\n"),
            ("Привет", "Subject: =?utf-8?B?0J/RgNC40LLQtdGC?=\r\n"),
            (
                "Привет, мир",
                "Subject: =?utf-8?B?0J/RgNC40LLQtdGCLCDQvNC40YA=?=\r\n",
            ),
            (
                "Re: Привет мир (draft 2)",
                "Subject: Re: =?utf-8?B?0J/RgNC40LLQtdGCINC80LjRgA==?= (draft 2)\r\n",
            ),
            (
                "Café crème",
                "Subject: =?utf-8?Q?Caf=C3=A9_cr=C3=A8me?=\r\n",
            ),
            (
                "Grüße aus Köln",
                "Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?= aus =?utf-8?Q?K=C3=B6ln?=\r\n",
            ),
            (
                "fake =?utf-8?Q?x?=",
                "Subject: fake =?utf-8?Q?=3D=3Futf-8=3FQ=3Fx=3F=3D?=\r\n",
            ),
            ("bell\u{7}", "Subject: =?utf-8?Q?bell=07?=\r\n"),
        ] {
            let field = subject(input);
            assert_eq!(field, expected, "{input:?}");
            assert_well_formed(&field);
            assert_eq!(
                decode_unstructured(value_of(&field)),
                input.trim(),
                "{input:?}"
            );
        }
    }

    #[test]
    fn long_values_fold_and_split_at_character_boundaries() {
        let long_ascii = "word ".repeat(40);
        let long_word = "x".repeat(120);
        let huge_word = "y".repeat(2000);
        let spaces = format!("a{}b", " ".repeat(300));
        for input in [
            long_ascii.trim(),
            &format!("Subject {long_word} end"),
            &huge_word,
            &spaces,
            "Очень длинная тема письма, которая точно не поместится в одну строку заголовка и будет перенесена",
            "日本語のとても長い件名です。折り返しが必要になるくらい長い件名を書いてみます。さらに続きます。",
            "Emoji 😀😃😄😁😆😅🤣😂🙂🙃😉😊😇🥰😍🤩😘😗😚😙 end",
            "\u{200F}مرحبا بالعالم، هذا سطر موضوع طويل باللغة العربية مع علامة من اليمين إلى اليسار",
            "Mixed ASCII then Ελληνικά κείμενο and back to ASCII words for a while longer still",
        ] {
            let field = subject(input);
            assert_well_formed(&field);
            assert_eq!(
                decode_unstructured(value_of(&field)),
                input.trim(),
                "{input:?}"
            );
        }
        // Folding happens at white space: the ASCII case unfolds to itself.
        let field = subject(long_ascii.trim());
        assert!(field.matches("\r\n").count() > 1);
        assert_eq!(value_of(&field).replace("\r\n", ""), long_ascii.trim());
    }

    #[test]
    fn scheme_choice() {
        for (text, scheme) in [
            ("Привет", Scheme::B),
            ("日本語", Scheme::B),
            ("Café", Scheme::Q),
            ("a\u{7}b", Scheme::Q),
            ("Ελληνικά", Scheme::B),
        ] {
            assert_eq!(Scheme::for_text(text), scheme, "{text}");
        }
    }

    #[test]
    fn address_fields() {
        let mbx = |s: &str| Mailbox::parse(s).unwrap();
        for (mailboxes, smtputf8, expected) in [
            (vec!["jane@x.org"], false, "To: jane@x.org\r\n"),
            (vec!["\"a>b\"@x.org"], false, "To: <\"a>b\"@x.org>\r\n"),
            (
                vec!["Jane Doe <jane@x.org>"],
                false,
                "To: Jane Doe <jane@x.org>\r\n",
            ),
            (
                vec!["\"Doe, Jane\" <jane@x.org>"],
                false,
                "To: \"Doe, Jane\" <jane@x.org>\r\n",
            ),
            (
                vec!["\"Say \\\"hi\\\"\" <a@x.org>"],
                false,
                "To: \"Say \\\"hi\\\"\" <a@x.org>\r\n",
            ),
            (
                vec!["Иван Петров <ivan@example.ru>"],
                false,
                "To: =?utf-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <ivan@example.ru>\r\n",
            ),
            (
                vec!["Иван (Work) <ivan@example.ru>"],
                false,
                "To: =?utf-8?B?0JjQstCw0L0gKFdvcmsp?= <ivan@example.ru>\r\n",
            ),
            (
                vec!["Иван Jr (Work) <ivan@example.ru>"],
                false,
                "To: =?utf-8?B?0JjQstCw0L0=?= Jr =?utf-8?Q?=28Work=29?= <ivan@example.ru>\r\n",
            ),
            (
                vec!["user@почта.рф"],
                false,
                "To: user@xn--80a1acny.xn--p1ai\r\n",
            ),
            (
                vec!["user@почта.рф"],
                true,
                "To: user@xn--80a1acny.xn--p1ai\r\n",
            ),
            (vec!["иван@почта.рф"], true, "To: иван@почта.рф\r\n"),
            (
                vec!["a@x.org", "B <b@y.org>", "c@z.org"],
                false,
                "To: a@x.org, B <b@y.org>, c@z.org\r\n",
            ),
            (
                vec![
                    "Alice Aardvark <alice@example.org>",
                    "Bob Bobson <bob@example.org>",
                    "Carol <carol@example.org>",
                ],
                false,
                "To: Alice Aardvark <alice@example.org>, Bob Bobson <bob@example.org>,\r\n Carol <carol@example.org>\r\n",
            ),
        ] {
            let list: Vec<Mailbox> = mailboxes.iter().map(|s| mbx(s)).collect();
            assert_eq!(
                address_field("To", Field::To, &list, smtputf8).unwrap().0,
                expected,
                "{mailboxes:?}"
            );
        }
    }

    #[test]
    fn address_fields_say_how_they_were_written() {
        use HeaderForm::{AsciiDomain, EncodedWords, Utf8Address};
        for (mailbox, smtputf8, forms) in [
            ("a@x.org", false, vec![]),
            ("Bob <b@y.org>", false, vec![]),
            ("Иван <ivan@x.org>", false, vec![EncodedWords]),
            ("user@почта.рф", false, vec![AsciiDomain]),
            ("user@почта.рф", true, vec![AsciiDomain]),
            (
                "Иван <иван@почта.рф>",
                true,
                vec![EncodedWords, Utf8Address],
            ),
        ] {
            let list = [Mailbox::parse(mailbox).unwrap()];
            assert_eq!(
                address_field("To", Field::To, &list, smtputf8).unwrap().1,
                forms,
                "{mailbox}"
            );
        }
    }

    #[test]
    fn address_field_errors() {
        let needs = vec![Mailbox::parse("иван@x.org").unwrap()];
        assert_eq!(
            address_field("Cc", Field::Cc, &needs, false),
            Err(Error::NeedsSmtpUtf8 {
                field: Some(Field::Cc),
                input: "иван@x.org".into()
            })
        );
        let forged = vec![Mailbox {
            name: Some("Eve\r\nBcc: x@y.org".into()),
            address: Address::parse("eve@x.org").unwrap(),
        }];
        assert_eq!(
            address_field("From", Field::From, &forged, false),
            Err(Error::HeaderInjection { field: Field::From })
        );
    }

    #[test]
    fn injection_guard() {
        for (value, ok) in [
            ("plain", true),
            ("tab\tok", true),
            ("a\rb", false),
            ("a\nb", false),
            ("a\0b", false),
        ] {
            assert_eq!(
                check_injection(Field::Subject, value).is_ok(),
                ok,
                "{value:?}"
            );
        }
    }
}
