//! Messages as the double received them.

use std::fmt;

use bytes::Bytes;

/// Form fields whose values are email bodies, shown only by length in
/// `Debug`.
const BODY_FIELDS: [&str; 3] = ["text", "html", "amp-html"];

/// A message accepted by [`MockMailgun`](super::MockMailgun): every form
/// field in the order received (repeated fields appear once per value) and
/// every file part.
#[derive(Clone)]
pub struct RecordedMessage {
    pub(crate) id: String,
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) files: Vec<RecordedFile>,
}

impl RecordedMessage {
    /// Returns the message id the double returned, such as
    /// `<1700000000.1.5f3c9a1b@mg.example.test>`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Returns every value of the form field `name`, in order; empty when the
    /// field was not sent.
    ///
    /// `message.field("to")` lists all `to` recipients and
    /// `message.field("o:tag")` all tags.
    pub fn field(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// Returns the first value of the form field `name`.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }

    /// Returns all text fields as `(name, value)` pairs, in the order
    /// received.
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// Returns the file parts sent as `attachment`.
    pub fn attachments(&self) -> Vec<&RecordedFile> {
        self.files_named("attachment")
    }

    /// Returns the file parts sent as `inline`.
    pub fn inline(&self) -> Vec<&RecordedFile> {
        self.files_named("inline")
    }

    /// Returns all file parts, in the order received.
    pub fn files(&self) -> &[RecordedFile] {
        &self.files
    }

    fn files_named(&self, name: &str) -> Vec<&RecordedFile> {
        self.files
            .iter()
            .filter(|file| file.field == name)
            .collect()
    }
}

impl fmt::Debug for RecordedMessage {
    /// Writes the fields, with `text`, `html` and `amp-html` shown only by
    /// their length.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: Vec<(&str, String)> = self
            .fields
            .iter()
            .map(|(name, value)| {
                let rendered = if BODY_FIELDS.contains(&name.as_str()) {
                    format!("<{} bytes>", value.len())
                } else {
                    format!("{value:?}")
                };
                (name.as_str(), rendered)
            })
            .collect();
        f.debug_struct("RecordedMessage")
            .field("id", &self.id)
            .field("fields", &fields)
            .field("files", &self.files)
            .finish()
    }
}

/// A file part of a recorded message.
#[derive(Clone)]
pub struct RecordedFile {
    pub(crate) field: String,
    pub(crate) file_name: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) data: Bytes,
}

impl RecordedFile {
    /// Returns the form field name, `attachment` or `inline`.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// Returns the file name from the part's `Content-Disposition`.
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// Returns the part's `Content-Type`.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// Returns the size of the contents in bytes.
    pub fn size(&self) -> usize {
        self.data.len()
    }

    /// Returns the contents.
    pub fn data(&self) -> &Bytes {
        &self.data
    }
}

impl fmt::Debug for RecordedFile {
    /// Writes the name, type and size, never the contents.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordedFile")
            .field("field", &self.field)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("size", &self.data.len())
            .finish()
    }
}
