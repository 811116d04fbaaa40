//! A single-line text field (From, To, Subject, the settings): a string and a
//! cursor, with the editing keys of a shell prompt. Kept separate from the
//! multi-line body editor so that header values can never hold a line break.

use unicode_width::UnicodeWidthChar as _;

use super::{Key, KeyCode};

/// The text of one field and the cursor in it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    text: String,
    /// The cursor, in characters from the start.
    cursor: usize,
}

impl std::fmt::Debug for LineInput {
    /// Only the length: one of these holds the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineInput")
            .field("chars", &self.text.chars().count())
            .finish_non_exhaustive()
    }
}

/// What a key did to a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    /// The text changed.
    Changed,
    /// Only the cursor moved.
    Moved,
    /// The key means nothing here.
    Ignored,
}

impl LineInput {
    /// A field holding `text` (line breaks become spaces), cursor at the end.
    pub fn new(text: &str) -> LineInput {
        let mut input = LineInput::default();
        input.insert_str(text);
        input
    }

    /// A field holding `text` with the cursor after `cursor` bytes of it
    /// (kept on a character boundary).
    pub fn with_cursor(text: &str, cursor: usize) -> LineInput {
        let mut input = LineInput::new(text);
        let mut at = cursor.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        input.cursor = text[..at].chars().count();
        input
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor, in characters.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The cursor, in bytes of [`LineInput::text`].
    pub fn cursor_byte(&self) -> usize {
        self.byte_at(self.cursor)
    }

    /// True when there is nothing but white space.
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// Empties the field.
    pub fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
    }

    /// Inserts typed or pasted text at the cursor. Line breaks and tabs
    /// become spaces (a header value is one line); other control characters
    /// are dropped. Returns whether anything was inserted.
    pub fn insert_str(&mut self, s: &str) -> bool {
        let clean: String = s
            .replace("\r\n", " ")
            .chars()
            .filter_map(|c| match c {
                '\r' | '\n' | '\t' => Some(' '),
                c if c.is_control() => None,
                c => Some(c),
            })
            .collect();
        if clean.is_empty() {
            return false;
        }
        let at = self.byte_at(self.cursor);
        self.text.insert_str(at, &clean);
        self.cursor += clean.chars().count();
        true
    }

    /// Applies an editing key.
    pub fn edit(&mut self, key: &Key) -> Edit {
        let len = self.text.chars().count();
        let before = self.cursor;
        match (key.code, key.ctrl, key.alt) {
            (KeyCode::Char(c), false, false) => {
                self.insert_str(c.encode_utf8(&mut [0; 4]));
                return Edit::Changed;
            }
            (KeyCode::Backspace, _, true) => {
                let start = self.word_start();
                return self.delete(start, self.cursor);
            }
            (KeyCode::Backspace, false, false) | (KeyCode::Char('h'), true, false) => {
                return self.delete(self.cursor.saturating_sub(1), self.cursor);
            }
            (KeyCode::Delete, false, false) => return self.delete(self.cursor, self.cursor + 1),
            (KeyCode::Char('u'), true, false) => return self.delete(0, self.cursor),
            (KeyCode::Char('k'), true, false) => return self.delete(self.cursor, len),
            (KeyCode::Left, true, _)
            | (KeyCode::Left, _, true)
            | (KeyCode::Char('b'), false, true) => {
                self.cursor = self.word_start();
            }
            (KeyCode::Right, true, _)
            | (KeyCode::Right, _, true)
            | (KeyCode::Char('f'), false, true) => {
                self.cursor = self.word_end();
            }
            (KeyCode::Left, false, false) | (KeyCode::Char('b'), true, false) => {
                self.cursor = self.cursor.saturating_sub(1);
            }
            (KeyCode::Right, false, false) | (KeyCode::Char('f'), true, false) => {
                self.cursor = (self.cursor + 1).min(len);
            }
            (KeyCode::Home, _, _) | (KeyCode::Char('a'), true, false) => self.cursor = 0,
            (KeyCode::End, _, _) | (KeyCode::Char('e'), true, false) => self.cursor = len,
            _ => return Edit::Ignored,
        }
        if self.cursor == before {
            Edit::Ignored
        } else {
            Edit::Moved
        }
    }

    /// The part of the field that fits in `width` columns with the cursor in
    /// view, and the cursor's column in it. With `mask`, every character is
    /// shown as that one (the password).
    pub fn window(&self, width: usize, mask: Option<char>) -> (String, usize) {
        if width == 0 {
            return (String::new(), 0);
        }
        let cell = |c: char| mask.unwrap_or(c).width().unwrap_or(0);
        let chars: Vec<char> = self.text.chars().collect();
        // Scroll so that the cursor (and one cell for it) stays in view.
        let mut start = self.cursor;
        let mut used = 1;
        while start > 0 && used + cell(chars[start - 1]) <= width {
            start -= 1;
            used += cell(chars[start]);
        }
        let mut shown = String::new();
        let mut cols = 0;
        let mut cursor_col = 0;
        for (i, &c) in chars.iter().enumerate().skip(start) {
            if i == self.cursor {
                cursor_col = cols;
            }
            let w = cell(c);
            if cols + w > width {
                break;
            }
            shown.push(mask.unwrap_or(c));
            cols += w;
        }
        if self.cursor >= chars.len() {
            cursor_col = cols.min(width - 1);
        }
        (shown, cursor_col)
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    fn delete(&mut self, from: usize, to: usize) -> Edit {
        let to = to.min(self.text.chars().count());
        if from >= to {
            return Edit::Ignored;
        }
        let (a, b) = (self.byte_at(from), self.byte_at(to));
        self.text.replace_range(a..b, "");
        self.cursor = from;
        Edit::Changed
    }

    /// The start of the word before the cursor (skipping spaces first).
    fn word_start(&self) -> usize {
        let chars: Vec<char> = self.text.chars().collect();
        let mut i = self.cursor;
        while i > 0 && chars[i - 1].is_whitespace() {
            i -= 1;
        }
        while i > 0 && !chars[i - 1].is_whitespace() {
            i -= 1;
        }
        i
    }

    /// The end of the word after the cursor.
    fn word_end(&self) -> usize {
        let chars: Vec<char> = self.text.chars().collect();
        let mut i = self.cursor;
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        while i < chars.len() && !chars[i].is_whitespace() {
            i += 1;
        }
        i
    }
}

/// The most a secret field holds, in bytes. Its buffer is this large from
/// the start, so typing never moves the text to a new allocation (which
/// would leave a copy behind in freed memory).
pub const SECRET_CAPACITY: usize = 1024;

/// A single-line field for a password: the same editing keys as
/// [`LineInput`], but the text lives in one buffer allocated once, wiped
/// when the field is cleared or dropped, never copied (not `Clone`; drawing
/// it masked counts characters without copying them), and `Debug` shows
/// only its length.
pub struct SecretInput {
    text: zeroize::Zeroizing<String>,
    /// The cursor, in characters from the start.
    cursor: usize,
}

impl Default for SecretInput {
    fn default() -> SecretInput {
        SecretInput {
            text: zeroize::Zeroizing::new(String::with_capacity(SECRET_CAPACITY)),
            cursor: 0,
        }
    }
}

impl std::fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretInput")
            .field("chars", &self.chars())
            .finish_non_exhaustive()
    }
}

impl SecretInput {
    /// A field holding `text` (as much of it as fits).
    pub fn new(text: &str) -> SecretInput {
        let mut input = SecretInput::default();
        input.insert_str(text);
        input
    }

    /// The secret.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    fn chars(&self) -> usize {
        self.text.chars().count()
    }

    /// The cursor, in characters.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Wipes the text (the whole buffer, not just its length).
    pub fn clear(&mut self) {
        use zeroize::Zeroize as _;
        self.text.zeroize();
        self.cursor = 0;
    }

    /// Inserts typed or pasted text at the cursor, one character at a time
    /// (no temporary copy); line breaks and control characters are dropped,
    /// and what would not fit the buffer is refused. Returns whether
    /// anything was inserted.
    pub fn insert_str(&mut self, s: &str) -> bool {
        let mut inserted = false;
        for c in s.chars().filter(|c| !c.is_control()) {
            if self.text.len() + c.len_utf8() > self.text.capacity() {
                break;
            }
            let at = self.byte_at(self.cursor);
            self.text.insert(at, c);
            self.cursor += 1;
            inserted = true;
        }
        inserted
    }

    /// Applies an editing key (characters, Backspace, Delete, Ctrl+U/K,
    /// arrows, Home, End).
    pub fn edit(&mut self, key: &Key) -> Edit {
        let len = self.chars();
        let before = self.cursor;
        match (key.code, key.ctrl, key.alt) {
            (KeyCode::Char(c), false, false) => {
                return if self.insert_str(c.encode_utf8(&mut [0; 4])) {
                    Edit::Changed
                } else {
                    Edit::Ignored
                };
            }
            (KeyCode::Backspace, false, false) | (KeyCode::Char('h'), true, false) => {
                return self.delete(self.cursor.saturating_sub(1), self.cursor);
            }
            (KeyCode::Delete, false, false) => return self.delete(self.cursor, self.cursor + 1),
            (KeyCode::Char('u'), true, false) | (KeyCode::Backspace, _, true) => {
                return self.delete(0, self.cursor);
            }
            (KeyCode::Char('k'), true, false) => return self.delete(self.cursor, len),
            (KeyCode::Left, false, false) | (KeyCode::Char('b'), true, false) => {
                self.cursor = self.cursor.saturating_sub(1);
            }
            (KeyCode::Right, false, false) | (KeyCode::Char('f'), true, false) => {
                self.cursor = (self.cursor + 1).min(len);
            }
            (KeyCode::Home, _, _) | (KeyCode::Char('a'), true, false) => self.cursor = 0,
            (KeyCode::End, _, _) | (KeyCode::Char('e'), true, false) => self.cursor = len,
            _ => return Edit::Ignored,
        }
        if self.cursor == before {
            Edit::Ignored
        } else {
            Edit::Moved
        }
    }

    /// The field drawn masked in `width` columns, and the cursor's column:
    /// one `mask` per character, scrolled so the cursor stays in view.
    pub fn masked(&self, width: usize, mask: char) -> (String, usize) {
        if width == 0 {
            return (String::new(), 0);
        }
        let len = self.chars();
        // Every mask character is one column wide; keep a cell for the
        // cursor at the end.
        let start = (self.cursor + 1).saturating_sub(width);
        let shown = (len - start).min(width);
        (
            std::iter::repeat_n(mask, shown).collect(),
            (self.cursor - start).min(width - 1),
        )
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    /// Removes characters `from..to` in place: the tail moves down within
    /// the same buffer, and the bytes it leaves behind are wiped.
    fn delete(&mut self, from: usize, to: usize) -> Edit {
        use zeroize::Zeroize as _;
        let to = to.min(self.chars());
        if from >= to {
            return Edit::Ignored;
        }
        let (a, b) = (self.byte_at(from), self.byte_at(to));
        let old_len = self.text.len();
        self.text.replace_range(a..b, "");
        // `replace_range` shifted the tail down within the buffer; the old
        // tail's bytes now sit past the new length: wipe them there.
        let new_len = self.text.len();
        let mut bytes = std::mem::take(&mut *self.text).into_bytes();
        bytes.spare_capacity_mut()[..old_len - new_len].zeroize();
        *self.text = String::from_utf8(bytes).unwrap_or_default();
        self.cursor = from;
        Edit::Changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(keys: &[Key]) -> LineInput {
        let mut input = LineInput::default();
        for k in keys {
            input.edit(k);
        }
        input
    }

    #[test]
    fn editing_keys() {
        let chars = |s: &str| s.chars().map(Key::char).collect::<Vec<_>>();
        for (keys, text, cursor) in [
            (chars("Привет"), "Привет", 6),
            (
                [chars("abc"), vec![Key::plain(KeyCode::Backspace)]].concat(),
                "ab",
                2,
            ),
            (
                [
                    chars("abc"),
                    vec![Key::plain(KeyCode::Home), Key::char('x')],
                ]
                .concat(),
                "xabc",
                1,
            ),
            (
                [
                    chars("one two"),
                    vec![Key {
                        alt: true,
                        ..Key::plain(KeyCode::Backspace)
                    }],
                ]
                .concat(),
                "one ",
                4,
            ),
            (
                [
                    chars("abcd"),
                    vec![
                        Key::plain(KeyCode::Left),
                        Key::plain(KeyCode::Left),
                        Key::ctrl('k'),
                    ],
                ]
                .concat(),
                "ab",
                2,
            ),
            (
                [
                    chars("abcd"),
                    vec![Key::plain(KeyCode::Left), Key::ctrl('u')],
                ]
                .concat(),
                "d",
                0,
            ),
            (
                [
                    chars("ab"),
                    vec![Key::plain(KeyCode::Home), Key::plain(KeyCode::Delete)],
                ]
                .concat(),
                "b",
                0,
            ),
        ] {
            let input = typed(&keys);
            assert_eq!((input.text(), input.cursor()), (text, cursor), "{keys:?}");
        }
    }

    #[test]
    fn pasted_line_breaks_become_spaces() {
        let mut input = LineInput::new("a");
        assert!(input.insert_str("b\r\nc\nd\te\u{7}"));
        assert_eq!(input.text(), "ab c d e");
        assert!(!input.insert_str("\u{1b}"));
    }

    #[test]
    fn window_keeps_the_cursor_in_view() {
        for (text, width, cursor_moves_left, shown, col) in [
            ("hello", 10, 0, "hello", 5),
            ("hello world", 6, 0, "world", 5),
            ("hello world", 6, 11, "hello ", 0),
            ("日本語テキスト", 6, 0, "スト", 4),
        ] {
            let mut input = LineInput::new(text);
            for _ in 0..cursor_moves_left {
                input.edit(&Key::plain(KeyCode::Left));
            }
            let (s, c) = input.window(width, None);
            assert_eq!((s.as_str(), c), (shown, col), "{text} {width}");
        }
        let input = LineInput::new("secret");
        assert_eq!(input.window(20, Some('•')), ("••••••".to_owned(), 6));
    }
}
