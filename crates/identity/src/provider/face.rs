//! [`FaceImage`]: the face a liveness check compares with the ID photo, either as a reference
//! the provider issued (from its capture SDK) or as image bytes.

use std::fmt;

/// Largest image accepted, in bytes.
pub const MAX_FACE_IMAGE_BYTES: usize = 4 * 1024 * 1024;
/// Longest provider reference accepted, in characters.
pub const MAX_FACE_REFERENCE_CHARS: usize = 256;

/// A face to check. Biometric data: `Debug` prints only the reference or the byte count.
#[derive(Clone, PartialEq, Eq)]
pub enum FaceImage {
    /// A provider-side reference to a capture (printable ASCII, no spaces).
    Reference(String),
    /// An encoded image (JPEG or PNG as captured; the provider decodes it).
    Bytes(Vec<u8>),
}

/// Why a face image was refused before any provider saw it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaceImageError {
    #[error("the face image is empty")]
    Empty,
    #[error("the face image has {found} bytes, at most {MAX_FACE_IMAGE_BYTES} are accepted")]
    TooLarge { found: usize },
    #[error("a face reference is 1 to {MAX_FACE_REFERENCE_CHARS} printable ASCII characters")]
    Reference,
}

impl FaceImageError {
    /// A stable machine-readable code for API responses and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "face.empty",
            Self::TooLarge { .. } => "face.too_large",
            Self::Reference => "face.reference",
        }
    }
}

impl FaceImage {
    pub fn reference(text: &str) -> Result<Self, FaceImageError> {
        let ok = (1..=MAX_FACE_REFERENCE_CHARS).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Self::Reference(text.to_owned()))
            .ok_or(FaceImageError::Reference)
    }

    pub fn bytes(bytes: Vec<u8>) -> Result<Self, FaceImageError> {
        match bytes.len() {
            0 => Err(FaceImageError::Empty),
            n if n > MAX_FACE_IMAGE_BYTES => Err(FaceImageError::TooLarge { found: n }),
            _ => Ok(Self::Bytes(bytes)),
        }
    }
}

impl fmt::Debug for FaceImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reference(r) => f.debug_tuple("Reference").field(r).finish(),
            Self::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
        }
    }
}
