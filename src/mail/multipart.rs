//! A letter with attachments, as it streams: the text part's header, a
//! check that the text never holds the boundary, and each file read in
//! whole base64 lines and encoded into the chunk being filled.

use super::{
    attachment::{Attachment, Reader},
    encode::TransferEncoding,
    mime::{self, LINE_IN, LINE_OUT},
};

/// Boundaries tried before giving up on finding one the text lacks. Each
/// is 128 bits mixed from the stamp's random part, so a second is only
/// needed for a text written to collide, by someone who knew the stamp.
const BOUNDARY_TRIES: u32 = 16;

/// The multipart structure of a letter: the boundary, the files and the
/// fixed octets around them.
#[derive(Clone, Debug)]
pub(super) struct Mixed<'a> {
    pub(super) boundary: String,
    pub(super) attachments: &'a [Attachment],
    text_head: Vec<u8>,
    heads: Vec<Vec<u8>>,
    close: Vec<u8>,
}

impl<'a> Mixed<'a> {
    pub(super) fn new(
        boundary: String,
        encoding: TransferEncoding,
        attachments: &'a [Attachment],
    ) -> Mixed<'a> {
        Mixed {
            text_head: mime::text_part_head(&boundary, encoding),
            heads: attachments
                .iter()
                .map(|a| mime::attachment_head(&boundary, a))
                .collect(),
            close: mime::close(&boundary),
            boundary,
            attachments,
        }
    }

    /// The first boundary derived from `seed` that `occurs` says the text
    /// lacks. After [`BOUNDARY_TRIES`] the last is kept: the streaming
    /// check then stops the letter rather than send it broken.
    pub(super) fn choose_boundary(seed: &str, occurs: impl Fn(&str) -> bool) -> String {
        let mut candidate = mime::boundary(seed, 0);
        for attempt in 1..BOUNDARY_TRIES {
            if !occurs(&candidate) {
                break;
            }
            candidate = mime::boundary(seed, attempt);
        }
        candidate
    }

    /// Octets after the header block and the text's body: the text part's
    /// header, every attachment's part, the closing delimiter.
    pub(super) fn len(&self) -> u64 {
        let parts: u64 = self
            .heads
            .iter()
            .zip(self.attachments)
            .map(|(head, a)| head.len() as u64 + a.encoded_len())
            .sum();
        self.text_head.len() as u64 + parts + self.close.len() as u64
    }
}

/// The streaming state after the header block.
#[derive(Debug)]
pub(crate) struct Tail<'a> {
    mixed: &'a Mixed<'a>,
    /// The last octets of the text so far, to find a boundary that
    /// straddles two chunks.
    carry: Vec<u8>,
    /// The attachment being sent, and its reader once its header is out.
    part: usize,
    reader: Option<Reader<'a>>,
    input: Vec<u8>,
    closed: bool,
    failed: bool,
}

impl<'a> Tail<'a> {
    pub(super) fn new(mixed: &'a Mixed<'a>) -> Tail<'a> {
        Tail {
            mixed,
            carry: Vec::new(),
            part: 0,
            reader: None,
            input: Vec::new(),
            closed: false,
            failed: false,
        }
    }

    /// The text part's delimiter and header, sent with the letter's header.
    pub(super) fn text_head(&self) -> &'a [u8] {
        &self.mixed.text_head
    }

    /// After an error nothing more comes: a letter is whole or not at all.
    pub(super) fn failed(&self) -> bool {
        self.failed
    }

    pub(super) fn fail(&mut self) {
        self.failed = true;
    }

    /// Refuses a piece of the encoded text that holds the boundary, alone
    /// or with the end of the piece before. The boundary was chosen so the
    /// text lacks it; this catches a body file changed since then.
    pub(super) fn check_text(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        let needle = self.mixed.boundary.as_bytes();
        let keep = needle.len() - 1;
        let head = &chunk[..chunk.len().min(keep)];
        let mut seam = std::mem::take(&mut self.carry);
        seam.extend_from_slice(head);
        if memchr::memmem::find(&seam, needle).is_some()
            || memchr::memmem::find(chunk, needle).is_some()
        {
            self.failed = true;
            return Err(std::io::Error::other(
                "the text now contains the letter's MIME boundary (its file changed while the letter was being sent); the letter was not finished",
            ));
        }
        seam.extend_from_slice(&chunk[head.len()..]);
        let from = seam.len().saturating_sub(keep);
        self.carry = seam.split_off(from);
        Ok(())
    }

    /// The next chunk of attachment parts, about `target` octets, or the
    /// closing delimiter; `None` at the end and after an error.
    pub(super) fn next_chunk(&mut self, target: usize) -> Option<std::io::Result<Vec<u8>>> {
        if self.failed {
            return None;
        }
        let mut chunk = Vec::with_capacity(target + 2 * LINE_OUT + 1024);
        while chunk.len() < target {
            let Some(attachment) = self.mixed.attachments.get(self.part) else {
                if !self.closed {
                    chunk.extend_from_slice(&self.mixed.close);
                    self.closed = true;
                }
                break;
            };
            let reader = match &mut self.reader {
                Some(reader) => reader,
                None => {
                    chunk.extend_from_slice(&self.mixed.heads[self.part]);
                    self.reader.insert(attachment.reader())
                }
            };
            // Whole lines only, so a line never spans two reads.
            let lines = (target.saturating_sub(chunk.len()) / LINE_OUT).max(1);
            self.input.resize(lines * LINE_IN, 0);
            let got = match reader.fill(&mut self.input) {
                Ok(got) => got,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            };
            mime::base64_lines(&self.input[..got], &mut chunk);
            if got < self.input.len() || reader.done() {
                self.reader = None;
                self.part += 1;
            }
        }
        (!chunk.is_empty()).then_some(Ok(chunk))
    }
}
