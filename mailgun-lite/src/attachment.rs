//! Files sent with a message, as attachments or inline images.

use std::fmt;

use bytes::Bytes;

/// A file sent with a message: an attachment, or an inline file referenced
/// from the HTML body as `cid:<file name>`.
///
/// Mailgun silently drops a file part without a file name, so sending a
/// message with an empty file name fails validation.
///
/// ```
/// use mailgun_lite::Attachment;
///
/// let invoice = Attachment::new("invoice.pdf", "application/pdf", b"%PDF-1.7".to_vec());
/// assert_eq!(invoice.file_name(), "invoice.pdf");
/// assert_eq!(invoice.len(), 8);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    file_name: String,
    content_type: String,
    data: Bytes,
}

impl Attachment {
    /// Creates a file from its name, its MIME content type (such as
    /// `image/png`) and its contents.
    pub fn new(
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Self {
        Self {
            file_name: file_name.into(),
            content_type: content_type.into(),
            data: data.into(),
        }
    }

    /// Returns the file name.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// Returns the MIME content type.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// Returns the contents.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// Returns the size of the contents in bytes.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Returns whether the contents are empty.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

impl fmt::Debug for Attachment {
    /// Writes the name, type and size, never the contents.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.data.len())
            .finish()
    }
}
