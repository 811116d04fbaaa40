//! A body read from a file: scanned once to choose its encoding and count
//! its size, then read again, piece by piece, while the letter is sent, and
//! checked against the first reading as it goes.

use std::{
    io::Read as _,
    path::{Path, PathBuf},
};

use super::encode::{self, Encoder, Scan, Scanner, TransferEncoding};

/// A body too large to hold twice: read from its file once to choose the
/// encoding and count the size ([`FileBody::open`]), and again, piece by
/// piece, while the letter is sent. Memory stays at a few hundred KiB
/// whatever the size, and no 20 MB buffer is ever faulted in.
#[derive(Clone, Debug)]
pub struct FileBody {
    path: PathBuf,
    pub(super) scan: Scan,
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
const FILE_PIECE: usize = 64 * 1024;

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
        })
    }

    /// Whether the body is empty or only white space (for the lint).
    pub fn is_blank(&self) -> bool {
        self.scan.blank
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
fn incomplete_utf8_tail(data: &[u8]) -> usize {
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
/// encoder, checked against the first reading as they go.
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
    /// The same scan as `FileBody::open`, repeated to notice a change.
    scanner: Scanner,
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
            scanner: Scanner::new(),
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
        let path = &self.body.path;
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(std::fs::File::open(path)?),
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
        self.scanner.feed(&self.window[have..self.filled]);
        if n == 0 {
            self.eof = true;
            let again = std::mem::replace(&mut self.scanner, Scanner::new()).finish();
            if again != self.body.scan {
                return Err(std::io::Error::other(format!(
                    "{} changed while the letter was being sent",
                    path.display()
                )));
            }
        }
        Ok(())
    }
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
