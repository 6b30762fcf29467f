//! An image size in pixels, named: `Size { height, width }`. Every size that crosses a function
//! boundary or sits in a struct is one, so that no caller has to remember whether a pair was `(w, h)`
//! or `(h, w)`.
//!
//! It reads and prints as Keras's `image_size` does, height first: [`Display`](fmt::Display) is `HxW`
//! (`300x451` is 451 pixels wide), and serde stores it as the 2-tuple `(height, width)` (`[300, 451]`
//! in JSON), the form the viewer's settings were saved in before the type existed.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The height and width of an image, in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Size {
    /// Rows.
    pub height: u32,
    /// Columns.
    pub width: u32,
}

impl Size {
    /// A square of `side` pixels.
    pub const fn square(side: u32) -> Self {
        Self {
            height: side,
            width: side,
        }
    }

    /// Pixels in one image (`height * width`), which cannot overflow a `u64`.
    pub fn pixels(self) -> u64 {
        u64::from(self.height) * u64::from(self.width)
    }
}

impl fmt::Display for Size {
    /// `HxW`, height first, as Keras's `image_size` and `--image-size`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.height, self.width)
    }
}

// Stored as the tuple `(height, width)`, byte for byte what the tuple this type replaced was (settings
// saved before still load), in every serde format (JSON here, RON in the viewer's storage).
impl Serialize for Size {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (self.height, self.width).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (height, width) = <(u32, u32)>::deserialize(deserializer)?;
        Ok(Self { height, width })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_height_first() {
        let size = Size {
            height: 300,
            width: 451,
        };
        assert_eq!(size.to_string(), "300x451");
        assert_eq!(Size::square(256).to_string(), "256x256");
    }

    #[test]
    fn serializes_as_the_height_width_tuple_it_replaced() {
        let size = Size {
            height: 96,
            width: 128,
        };
        let json = serde_json::to_string(&size).unwrap();
        assert_eq!(json, "[96,128]");
        assert_eq!(json, serde_json::to_string(&(96u32, 128u32)).unwrap());
        assert_eq!(serde_json::from_str::<Size>("[96,128]").unwrap(), size);
        assert!(serde_json::from_str::<Size>("[96]").is_err());
        assert!(serde_json::from_str::<Size>(r#"{"height":96,"width":128}"#).is_err());
    }

    #[test]
    fn pixels_do_not_overflow() {
        assert_eq!(Size::square(u32::MAX).pixels(), u64::from(u32::MAX).pow(2));
    }
}
