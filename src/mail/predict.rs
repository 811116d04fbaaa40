//! A large body file sent without reading it first ([`FileBody::predict`]):
//! its encoding is chosen from its first piece and its size estimated from
//! its length, so MAIL FROM goes out at once and the one reading of the file
//! is the one that sends it. That reading scans the whole file as it goes;
//! if the whole needs another encoding than the beginning suggested (an
//! 8-bit octet after 64 KiB of ASCII, a line over 998 octets), or is not
//! UTF-8, the letter is stopped before its final dot, so it is never
//! delivered, and the caller sends it again with the whole file's scan
//! ([`FileBody::corrected`]).

use std::{
    fs::File,
    io::{Read as _, Seek as _, SeekFrom},
    path::Path,
    sync::OnceLock,
};

use super::{
    encode::{Scan, Scanner, TransferEncoding},
    file_body::{FILE_PIECE, FileBody, FileBodyError, incomplete_utf8_tail},
};

/// What the reading that sends a predicted body found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Whole {
    /// The scan of the whole file (of what was read, if it is not UTF-8).
    pub(super) scan: Scan,
    /// Whether the letter's encoding suits the whole file.
    pub(super) fits: bool,
    /// The offset of the first octet that is not UTF-8, if one was found.
    pub(super) not_utf8: Option<u64>,
}

impl FileBody {
    /// Opens a body file, checks and scans only its first 64 KiB, and
    /// estimates the rest from its length (exact for CRLF text). For a
    /// file no larger than that piece this is [`FileBody::open`]. See the
    /// module documentation for what happens when the rest disagrees.
    pub fn predict(path: &Path) -> Result<FileBody, FileBodyError> {
        let read_error = |source| FileBodyError::Read {
            path: path.display().to_string(),
            source,
        };
        let mut file = File::open(path).map_err(read_error)?;
        let size = file.metadata().map_err(read_error)?.len();
        if size <= FILE_PIECE as u64 {
            return FileBody::open(path);
        }
        let mut piece = vec![0u8; FILE_PIECE];
        let mut filled = 0;
        while filled < piece.len() {
            match file.read(&mut piece[filled..]).map_err(read_error)? {
                0 => break,
                n => filled += n,
            }
        }
        let piece = &piece[..filled];
        let mut scanner = Scanner::new();
        let mut utf8 = Utf8Check::default();
        if !scanner.feed(piece)
            && let Err(offset) = utf8.feed(piece)
        {
            return Err(FileBodyError::NotUtf8 {
                path: path.display().to_string(),
                offset,
            });
        }
        // The last octet says whether a final line end must be added.
        let mut last = [0u8; 1];
        file.seek(SeekFrom::End(-1))
            .and_then(|_| file.read_exact(&mut last))
            .map_err(read_error)?;
        Ok(FileBody {
            path: path.to_owned(),
            scan: scanner.predict(size, last[0]),
            whole: Some(OnceLock::new()),
        })
    }

    /// After a predicted body was stopped unfinished: `Ok` with the same
    /// file and the whole file's scan, to send again, when it needs another
    /// encoding; `Err` when it is not UTF-8 (as [`FileBody::open`] would
    /// have said). `None` when nothing went wrong, and for other bodies.
    pub fn corrected(&self) -> Option<Result<FileBody, FileBodyError>> {
        let whole = self.whole.as_ref()?.get()?;
        if let Some(offset) = whole.not_utf8 {
            return Some(Err(FileBodyError::NotUtf8 {
                path: self.path.display().to_string(),
                offset,
            }));
        }
        (!whole.fits).then(|| {
            Ok(FileBody {
                path: self.path.clone(),
                scan: whole.scan,
                whole: None,
            })
        })
    }

    /// The whole body's size in octets (after line-end normalisation)
    /// once a predicted body has been read through; `None` before, and for
    /// a body scanned whole at the start.
    pub(super) fn whole_len(&self) -> Option<u64> {
        Some(self.whole.as_ref()?.get()?.scan.plain_len)
    }
}

impl Scan {
    /// Whether a body with this scan may be sent in `encoding`: 7bit needs
    /// clean ASCII, 8bit clean text, quoted-printable carries anything.
    pub(super) fn allows(self, encoding: TransferEncoding) -> bool {
        match encoding {
            TransferEncoding::QuotedPrintable => true,
            TransferEncoding::SevenBit => self.choice(false).encoding == TransferEncoding::SevenBit,
            TransferEncoding::EightBit => {
                self.choice(true).encoding != TransferEncoding::QuotedPrintable
            }
        }
    }
}

/// UTF-8 validation of a file read in pieces, a sequence split by a piece
/// boundary carried over to the next.
#[derive(Clone, Debug, Default)]
pub(super) struct Utf8Check {
    carry: [u8; 4],
    carried: usize,
    /// Octets validated so far (for the error's offset).
    offset: u64,
}

impl Utf8Check {
    /// Validates the next piece; the offset of the first invalid octet if
    /// there is one.
    pub(super) fn feed(&mut self, mut data: &[u8]) -> Result<(), u64> {
        if self.carried > 0 {
            let needed = sequence_len(self.carry[0]).max(self.carried + 1);
            let take = (needed - self.carried).min(data.len());
            self.carry[self.carried..self.carried + take].copy_from_slice(&data[..take]);
            self.carried += take;
            data = &data[take..];
            if self.carried < needed {
                return Ok(());
            }
            std::str::from_utf8(&self.carry[..self.carried]).map_err(|_| self.offset)?;
            self.offset += self.carried as u64;
            self.carried = 0;
        }
        let tail = incomplete_utf8_tail(data);
        let whole = &data[..data.len() - tail];
        std::str::from_utf8(whole).map_err(|e| self.offset + e.valid_up_to() as u64)?;
        self.offset += whole.len() as u64;
        self.carry[..tail].copy_from_slice(&data[whole.len()..]);
        self.carried = tail;
        Ok(())
    }

    /// Counts an ASCII piece without looking at it (the scan saw no high
    /// bit), unless a sequence is pending.
    pub(super) fn skip_ascii(&mut self, data: &[u8]) -> Result<(), u64> {
        if self.carried > 0 {
            return self.feed(data);
        }
        self.offset += data.len() as u64;
        Ok(())
    }

    /// The end of the file: a sequence still open is invalid.
    pub(super) fn finish(&self) -> Result<(), u64> {
        if self.carried > 0 {
            Err(self.offset)
        } else {
            Ok(())
        }
    }
}

/// The length of the UTF-8 sequence that `lead` starts (1 for anything
/// that is not a multi-octet lead, which the decoder then judges).
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any split of valid text passes, and an invalid octet is found at its
    /// offset wherever the pieces fall.
    #[test]
    fn utf8_split_anywhere() {
        let good = "aЖ€😀b".as_bytes();
        let mut bad = good.to_vec();
        bad[2] = b'x'; // Ж's continuation octet replaced
        for (text, expected) in [(good, Ok(())), (&bad[..], Err(1))] {
            for i in 0..=text.len() {
                for j in i..=text.len() {
                    let mut check = Utf8Check::default();
                    let result = [&text[..i], &text[i..j], &text[j..]]
                        .iter()
                        .try_for_each(|p| check.feed(p))
                        .and_then(|()| check.finish());
                    assert_eq!(result, expected, "split at {i}, {j}");
                }
            }
        }
        let mut check = Utf8Check::default();
        assert_eq!(check.feed(b"ab\xe2\x82"), Ok(()));
        assert_eq!(
            check.finish(),
            Err(2),
            "a sequence cut by the end of the file"
        );
    }

    #[test]
    fn which_scans_an_encoding_carries() {
        let long = "x".repeat(1000);
        for (text, seven, eight) in [
            ("plain\r\n", true, true),
            ("Привет\r\n", false, true),
            ("bell\x07\r\n", false, false),
            (long.as_str(), false, false),
        ] {
            let s = Scan::of(text.as_bytes());
            assert_eq!(s.allows(TransferEncoding::SevenBit), seven, "{text:.20}");
            assert_eq!(s.allows(TransferEncoding::EightBit), eight, "{text:.20}");
            assert!(s.allows(TransferEncoding::QuotedPrintable));
        }
    }
}
