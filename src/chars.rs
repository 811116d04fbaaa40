//! Which characters must not reach a terminal or a file as they are. A
//! leaf: the engine (`smtp::visible` escapes them), the letter (address
//! checks, attachment names) and the address history all ask it.

/// Whether `c` must not reach a terminal or a file as it is: a control
/// character (C0, DEL, C1), a bidi control, a default-ignorable or other
/// invisible format character (Unicode 16 `Cf` and
/// `Default_Ignorable_Code_Point`), or a line or paragraph separator.
pub fn is_unsafe(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    c.is_control()
        || matches!(
            u32::from(c),
            0x00AD                     // soft hyphen
            | 0x034F                   // combining grapheme joiner
            | 0x0600..=0x0605          // Arabic number signs (Cf)
            | 0x061C                   // Arabic letter mark (bidi)
            | 0x06DD | 0x070F          // Cf
            | 0x0890..=0x0891 | 0x08E2 // Cf
            | 0x115F..=0x1160          // Hangul fillers
            | 0x17B4..=0x17B5          // Khmer inherent vowels
            | 0x180B..=0x180F          // Mongolian selectors, vowel separator
            | 0x200B..=0x200F          // zero-width space/joiners, LRM, RLM
            | 0x2028..=0x2029          // line and paragraph separators
            | 0x202A..=0x202E          // bidi embeddings and overrides
            | 0x2060..=0x206F          // word joiner, invisible operators, bidi isolates
            | 0x3164                   // Hangul filler
            | 0xFE00..=0xFE0F          // variation selectors
            | 0xFEFF                   // byte order mark, zero-width no-break space
            | 0xFFA0                   // half-width Hangul filler
            | 0xFFF0..=0xFFFB          // unassigned specials, interlinear annotation
            | 0x110BD | 0x110CD        // Kaithi number signs (Cf)
            | 0x13430..=0x1343F        // Egyptian hieroglyph format controls
            | 0x1BCA0..=0x1BCA3        // shorthand format controls
            | 0x1D173..=0x1D17A        // musical symbol format controls
            | 0xE0000..=0xE0FFF // tag characters, variation selectors supplement
        )
}
