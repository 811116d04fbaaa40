//! A body read from a file: scanned once to choose its encoding and count
//! its size, then read again, piece by piece, while the letter is sent, and
//! checked against the first reading as it goes.

use std::{
    io::Read as _,
    path::{Path, PathBuf},
    sync::OnceLock,
};

use super::{
    encode::{self, Encoder, Scan, Scanner, TransferEncoding},
    predict::{Utf8Check, Whole},
};

/// A body too large to hold twice: read from its file once to choose the
/// encoding and count the size ([`FileBody::open`]), and again, piece by
/// piece, while the letter is sent. Memory stays at a few hundred KiB
/// whatever the size, and no 20 MB buffer is ever faulted in. A large file
/// can instead be sent on a prediction from its first piece, and read only
/// once ([`FileBody::predict`]).
#[derive(Clone, Debug)]
pub struct FileBody {
    pub(super) path: PathBuf,
    pub(super) scan: Scan,
    /// For a predicted body: what the reading that sends it found.
    pub(super) whole: Option<OnceLock<Whole>>,
}

/// Why a body file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FileBodyError {
    /// It could not be read.
    #[error("cannot read the body from {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// It is not UTF-8 text.
    #[error("the body in {path} is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        /// The file.
        path: String,
        /// The first invalid byte.
        offset: u64,
    },
}

/// The size of the pieces a body file is read in: small enough that the
/// kernel's copy lands in cache (reading 20 MB took 5 ms in 64 KiB pieces,
/// 17 ms in 256 KiB ones on the development VM).
pub(super) const FILE_PIECE: usize = 64 * 1024;

impl FileBody {
    /// Reads the file once: checks it is UTF-8 and scans it.
    pub fn open(path: &Path) -> Result<FileBody, FileBodyError> {
        let shown = || path.display().to_string();
        let read_error = |source| FileBodyError::Read {
            path: shown(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(read_error)?;
        let mut scanner = Scanner::new();
        // No larger than the file: zeroing and faulting in 64 KiB for a
        // letter of a few lines cost more than reading it.
        let size = file.metadata().map_or(FILE_PIECE as u64, |m| m.len());
        let mut buf = vec![0u8; piece_for(size)];
        // Up to three octets of a UTF-8 sequence split by the piece boundary.
        let (mut carry, mut offset) = (0usize, 0u64);
        loop {
            let n = file.read(&mut buf[carry..]).map_err(read_error)?;
            let filled = carry + n;
            // A UTF-8 sequence cut by the end of the piece waits for the rest.
            let valid = if n == 0 {
                filled
            } else {
                filled - incomplete_utf8_tail(&buf[..filled])
            };
            // ASCII is UTF-8: the scan's high-bit check spares the decoder
            // for the usual text.
            if !scanner.feed(&buf[..valid])
                && let Err(e) = std::str::from_utf8(&buf[..valid])
            {
                return Err(FileBodyError::NotUtf8 {
                    path: shown(),
                    offset: offset + e.valid_up_to() as u64,
                });
            }
            offset += valid as u64;
            if n == 0 {
                break;
            }
            buf.copy_within(valid..filled, 0);
            carry = filled - valid;
        }
        Ok(FileBody {
            path: path.to_owned(),
            scan: scanner.finish(),
            whole: None,
        })
    }

    /// Whether the body is empty or only white space (for the lint).
    pub fn is_blank(&self) -> bool {
        self.scan.blank
    }

    /// Whether `needle` occurs in the file, read again piece by piece (to
    /// choose a multipart boundary). A file that cannot be read now says
    /// no: the send reads it again and reports the error then.
    pub(super) fn contains(&self, needle: &[u8]) -> bool {
        let Ok(mut file) = std::fs::File::open(&self.path) else {
            return false;
        };
        let finder = memchr::memmem::Finder::new(needle);
        let keep = needle.len().saturating_sub(1);
        let mut buf = vec![0u8; FILE_PIECE + keep];
        let mut have = 0;
        loop {
            let n = match file.read(&mut buf[have..]) {
                Ok(0) | Err(_) => return false,
                Ok(n) => n,
            };
            let filled = have + n;
            if finder.find(&buf[..filled]).is_some() {
                return true;
            }
            // The needle may straddle two pieces.
            let from = filled.saturating_sub(keep);
            buf.copy_within(from..filled, 0);
            have = filled - from;
        }
    }
}

/// The size of the pieces to read a body of `size` octets in: the whole
/// body and a little slack when it is smaller than [`FILE_PIECE`] (so one
/// read finds it all, and the next the end), else [`FILE_PIECE`].
fn piece_for(size: u64) -> usize {
    usize::try_from(size)
        .map_or(FILE_PIECE, |size| size.saturating_add(64))
        .min(FILE_PIECE)
}

/// How many octets at the end of `data` begin a UTF-8 sequence that
/// continues past it (0 to 3).
pub(super) fn incomplete_utf8_tail(data: &[u8]) -> usize {
    for back in 1..=data.len().min(3) {
        let b = data[data.len() - back];
        if b & 0xC0 == 0x80 {
            continue; // a continuation octet: look further back
        }
        let needed = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => return 0, // ASCII or invalid: nothing is pending
        };
        return if needed > back { back } else { 0 };
    }
    0
}

/// The second reading of a [`FileBody`]: pieces of the file through the
/// encoder, checked against the first reading as they go (or, for a
/// predicted body, against the prediction, UTF-8 included).
#[derive(Debug)]
pub(super) struct FileStream<'a> {
    body: &'a FileBody,
    file: Option<std::fs::File>,
    /// Allocated and zeroed once, on the first read; the body's octets are
    /// `window[used..filled]`.
    window: Vec<u8>,
    /// Octets of `window` read from the file.
    filled: usize,
    /// Octets of `window` the encoder has used.
    used: usize,
    eof: bool,
    encoder: Encoder,
    checks: Checks,
    /// Pieces go out as read ([`FileStream::pass_through`]).
    raw: bool,
    /// After an error nothing more comes: a letter is whole or not at all.
    failed: bool,
}

impl<'a> FileStream<'a> {
    pub(super) fn new(body: &'a FileBody, encoding: TransferEncoding) -> FileStream<'a> {
        FileStream {
            body,
            file: None,
            window: Vec::new(),
            filled: 0,
            used: 0,
            eof: false,
            encoder: Encoder::new(encoding),
            checks: Checks {
                encoding,
                scanner: Scanner::new(),
                utf8: Utf8Check::default(),
            },
            raw: false,
            failed: false,
        }
    }

    /// Encodes into `out` until it holds `limit` octets or the body ends;
    /// `Ok(false)` once the body is done.
    pub(super) fn next_into<S: encode::Sink>(
        &mut self,
        out: &mut S,
        limit: u64,
    ) -> std::io::Result<bool> {
        if self.failed {
            return Ok(false);
        }
        let start = out.written();
        while !self.encoder.is_done() && out.written() - start < limit {
            if !self.eof
                && self.filled - self.used <= encode::LOOKAHEAD
                && let Err(e) = self.refill()
            {
                self.failed = true;
                return Err(e);
            }
            self.used += self.encoder.run(
                &self.window[self.used..self.filled],
                self.eof,
                out,
                start + limit,
            );
        }
        Ok(!self.encoder.is_done())
    }

    fn refill(&mut self) -> std::io::Result<()> {
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(std::fs::File::open(&self.body.path)?),
        };
        if self.window.is_empty() {
            // Zeroed once per letter, not once per piece: a 20 MB body
            // read into a re-zeroed window cost 20 MB of memset.
            let piece = piece_for(self.body.scan.plain_len);
            self.window = vec![0; piece + encode::LOOKAHEAD];
        }
        // What the encoder left for lookahead moves to the front.
        self.window.copy_within(self.used..self.filled, 0);
        let have = self.filled - self.used;
        self.used = 0;
        let n = file.read(&mut self.window[have..])?;
        self.filled = have + n;
        self.eof = n == 0;
        self.checks
            .piece(self.body, &self.window[have..self.filled])
    }

    /// Passes the pieces through as they are read instead of encoding
    /// them: for a 7bit or 8bit body whose consumer makes every line end
    /// CRLF itself (see [`Letter::wire_chunks`](super::Letter::wire_chunks)).
    pub(super) fn pass_through(&mut self) {
        self.raw = true;
    }

    pub(super) fn is_raw(&self) -> bool {
        self.raw
    }

    /// The next piece as read from the file, checked like every reading;
    /// `None` at the end.
    pub(super) fn next_raw(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        if self.failed || self.eof {
            return Ok(None);
        }
        let result = self.read_raw();
        self.failed = result.is_err();
        result
    }

    fn read_raw(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(std::fs::File::open(&self.body.path)?),
        };
        let mut piece = vec![0; piece_for(self.body.scan.plain_len)];
        let n = file.read(&mut piece)?;
        piece.truncate(n);
        self.eof = n == 0;
        self.checks.piece(self.body, &piece)?;
        Ok((n > 0).then_some(piece))
    }
}

/// What every reading of a body file checks: the same scan as the first
/// reading, repeated to notice a change, and for a predicted body the
/// UTF-8 nobody has checked yet.
#[derive(Debug)]
struct Checks {
    encoding: TransferEncoding,
    scanner: Scanner,
    utf8: Utf8Check,
}

impl Checks {
    /// Checks the next piece; an empty one is the end of the file.
    fn piece(&mut self, body: &FileBody, piece: &[u8]) -> std::io::Result<()> {
        let ascii = self.scanner.feed(piece);
        if let Some(whole) = &body.whole {
            let checked = if ascii {
                self.utf8.skip_ascii(piece)
            } else {
                self.utf8.feed(piece)
            };
            if let Err(offset) = checked {
                let _ = whole.set(Whole {
                    scan: self.scanner.clone().finish(),
                    fits: false,
                    not_utf8: Some(offset),
                });
                return Err(not_utf8(&body.path, offset));
            }
        }
        if piece.is_empty() {
            let again = std::mem::replace(&mut self.scanner, Scanner::new()).finish();
            return self.whole(body, again);
        }
        Ok(())
    }

    /// At the end of the file, before the final dot: a body scanned at the
    /// start must not have changed; a predicted one must suit the encoding
    /// it is sent in. Either failure stops the letter unfinished.
    fn whole(&self, body: &FileBody, again: Scan) -> std::io::Result<()> {
        let path = &body.path;
        let Some(whole) = &body.whole else {
            if again != body.scan {
                return Err(std::io::Error::other(format!(
                    "{} changed while the letter was being sent",
                    path.display()
                )));
            }
            return Ok(());
        };
        let not_utf8_at = self.utf8.finish().err();
        let fits = not_utf8_at.is_none() && again.allows(self.encoding);
        // The first complete reading is the one that counts.
        let _ = whole.set(Whole {
            scan: again,
            fits,
            not_utf8: not_utf8_at,
        });
        if let Some(offset) = not_utf8_at {
            return Err(not_utf8(path, offset));
        }
        if fits {
            Ok(())
        } else {
            Err(std::io::Error::other(format!(
                "{} needs another encoding than its first 64 KiB suggested ({} will not do)",
                path.display(),
                self.encoding
            )))
        }
    }
}

fn not_utf8(path: &Path, offset: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "the body in {} is not UTF-8 text (invalid byte at offset {offset})",
            path.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_tails_cut_by_a_piece() {
        for (data, tail) in [
            (&b"abc"[..], 0),
            (b"ab\xd0", 1),       // Ж's first octet
            (b"ab\xd0\x96", 0),   // Ж whole
            (b"a\xe2\x82", 2),    // € cut after two octets
            (b"\xe2\x82\xac", 0), // € whole
            (b"\xf0\x9f\x98", 3), // 😀 cut after three
            (b"\x80\x80\x80", 0), // stray continuations: for the decoder to refuse
            (b"", 0),
        ] {
            assert_eq!(incomplete_utf8_tail(data), tail, "{data:?}");
        }
    }
}
