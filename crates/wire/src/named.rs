//! Enums with one name per variant.
//!
//! [`named_enum!`] declares an enum together with its `snake_case` text, and derives from
//! that one list `as_str`, `parse`, `Display` and serde: the JSON, the logs, the database
//! and the config all read and write the same word, and adding a variant means writing its
//! name once.

/// Declares `pub enum $name` whose variants each carry their text (`Variant = "text"`), and
/// implements `as_str`, `parse`, `NAMES`, `Display`, `Serialize` and `Deserialize` from it.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant's text, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The variant's one name: in JSON, config, storage and logs.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }

            /// Reads [`Self::as_str`] output; anything else is `None`.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $( $text => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Named;
                impl<'de> ::serde::de::Visitor<'de> for Named {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.write_str(stringify!($name))
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::parse(v).ok_or_else(|| E::unknown_variant(v, $name::NAMES))
                    }
                }
                d.deserialize_str(Named)
            }
        }
    };
}

pub(crate) use named_enum;
