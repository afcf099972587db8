//! Enums with one name per variant.
//!
//! [`named_enum!`] declares an enum together with its `snake_case` text, and derives from
//! that one list `ALL`, `as_str`, `parse`, `Display` and serde: the JSON, the logs, the
//! database and the config all read and write the same word, and adding a variant means
//! writing its name once.

/// Declares `pub enum $name` whose variants each carry their text (`Variant = "text"`), and
/// implements `ALL`, `as_str`, `parse`, `NAMES`, `Display`, `Serialize` and `Deserialize`
/// from it. Reading a word the list does not have is an error, unless the enum names a
/// fallback after its variants (`unknown => Variant;`): then that word reads as the fallback,
/// for a list a newer peer may extend.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $crate::named::named_enum!(@enum $(#[$meta])* $name { $( $(#[$vmeta])* $variant = $text, )+ });

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
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
        unknown => $fallback:ident;
    ) => {
        $crate::named::named_enum!(@enum $(#[$meta])* $name { $( $(#[$vmeta])* $variant = $text, )+ });

        /// Read as a string: a word this version does not know is the fallback.
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <::std::string::String as ::serde::Deserialize>::deserialize(d)?;
                Ok($name::parse(&text).unwrap_or($name::$fallback))
            }
        }
    };
    (@enum
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

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
    };
}

pub(crate) use named_enum;

#[cfg(test)]
mod tests {
    use crate::{CustomerField, Mark, MethodGroup, PaymentEvent, ProviderId, SessionState};

    /// `ALL` and `NAMES` come from the same list: the same order, each name its variant's.
    fn agrees<T: Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        names: &[&str],
        as_str: fn(T) -> &'static str,
        parse: fn(&str) -> Option<T>,
    ) {
        assert_eq!(all.len(), names.len());
        for (variant, name) in all.iter().zip(names) {
            assert_eq!(as_str(*variant), *name);
            assert_eq!(parse(name), Some(*variant));
        }
    }

    #[test]
    fn all_holds_every_variant_once_in_declaration_order() {
        agrees(&ProviderId::ALL, ProviderId::NAMES, ProviderId::as_str, ProviderId::parse);
        agrees(&SessionState::ALL, SessionState::NAMES, SessionState::as_str, SessionState::parse);
        agrees(&PaymentEvent::ALL, PaymentEvent::NAMES, PaymentEvent::as_str, PaymentEvent::parse);
        agrees(&Mark::ALL, Mark::NAMES, Mark::as_str, Mark::parse);
        agrees(&MethodGroup::ALL, MethodGroup::NAMES, MethodGroup::as_str, MethodGroup::parse);
        agrees(
            &CustomerField::ALL,
            CustomerField::NAMES,
            CustomerField::as_str,
            CustomerField::parse,
        );
        assert_eq!(CustomerField::ALL[0], CustomerField::CustomerType, "the form's order");
    }

    #[test]
    fn an_unknown_word_is_the_fallback_where_one_is_named_and_an_error_elsewhere() {
        let group: MethodGroup = serde_json::from_str(r#""teleport""#).unwrap();
        assert_eq!(group, MethodGroup::Other);
        let card: MethodGroup = serde_json::from_str(r#""card""#).unwrap();
        assert_eq!(card, MethodGroup::Card);
        let refused = serde_json::from_str::<Mark>(r#""teleport""#).unwrap_err().to_string();
        assert!(refused.contains("unknown variant `teleport`"), "{refused}");
        assert!(refused.contains("apple_pay"), "names the known ones: {refused}");
        assert_eq!(serde_json::to_string(&MethodGroup::BookingPage).unwrap(), r#""booking_page""#);
    }
}
