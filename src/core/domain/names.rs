//! One table per enum for the names snshare gives its values (form values, message keys,
//! storage), so each name is written once.
//!
//! The JSON form stays serde's (`rename_all = "snake_case"` on the enum); every table's test
//! checks that serde writes the same name for every variant, so the two cannot drift.

/// A name that is no variant's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownName;

impl std::fmt::Display for UnknownName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unknown name")
    }
}

impl std::error::Error for UnknownName {}

/// `names!(Enum { Variant => "name", … })` gives a fieldless enum `ALL` (in table order),
/// `as_str()` and `FromStr`.
///
/// `names!(data Enum { Variant => "name", Variant { field, … } => "name", … })` gives an enum
/// with data `name()` and `with_name(name)`, which builds the variant with default fields.
macro_rules! names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in the table's order.
            pub const ALL: [$ty; [$($name),+].len()] = [$($ty::$variant),+];

            /// The variant's name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::domain::names::UnknownName;

            fn from_str(name: &str) -> Result<Self, Self::Err> {
                match name {
                    $($name => Ok($ty::$variant),)+
                    _ => Err($crate::domain::names::UnknownName),
                }
            }
        }
    };
    (data $ty:ident { $($variant:ident $({ $($field:ident),+ })? => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The variant's name.
            pub fn name(&self) -> &'static str {
                match self {
                    $($ty::$variant { .. } => $name),+
                }
            }

            /// The variant called `name`, its fields empty or zero.
            pub fn with_name(name: &str) -> Option<$ty> {
                match name {
                    $($name => Some($ty::$variant $({ $($field: Default::default()),+ })?),)+
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use names;

/// Checks a table against serde: every variant listed once, named as serde names it, and read
/// back from its name; serde's own list of variants (the "expected one of" of an unknown name)
/// is the table's.
#[cfg(test)]
pub(crate) fn check_table<T>(all: &[T], as_str: fn(T) -> &'static str)
where
    T: Copy + std::fmt::Debug + PartialEq + serde::Serialize + serde::de::DeserializeOwned,
    T: std::str::FromStr<Err = UnknownName>,
{
    let mut names: Vec<&str> = Vec::new();
    for &v in all {
        let name = as_str(v);
        assert_eq!(
            serde_json::to_value(v).ok(),
            Some(serde_json::Value::String(name.into())),
            "{v:?}"
        );
        assert_eq!(name.parse::<T>(), Ok(v), "{name}");
        assert_eq!(serde_json::from_value::<T>(name.into()).ok(), Some(v));
        names.push(name);
    }
    let err = serde_json::from_str::<T>("\"no such name\"")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    let mut expected: Vec<&str> = err
        .split_once("expected one of ")
        .or_else(|| err.split_once("expected "))
        .map(|(_, list)| list.split('`').skip(1).step_by(2).collect())
        .unwrap_or_default();
    expected.sort_unstable();
    names.sort_unstable();
    assert_eq!(names, expected, "{err}");
    assert_eq!("no such name".parse::<T>(), Err(UnknownName));
    assert_eq!("".parse::<T>(), Err(UnknownName));
}
