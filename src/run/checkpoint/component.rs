//! The memory of one component, as a checkpoint stores it.

use super::float_name;
use crate::error::{Error, Result};
use crate::real::Real;
use std::collections::BTreeMap;

/// The memory one component (an estimator, an update rule, a sampler) carries
/// from one step to the next, with the parameters that configure it.
///
/// Components write it in [`save_state`](crate::GradientEstimator::save_state)
/// and read it back in [`load_state`](crate::GradientEstimator::load_state):
/// named float arrays, named counts, and named parameters (compared, not
/// loaded: resuming with other parameters is an
/// [`Error::CheckpointMismatch`]).
///
/// ```
/// use zoptim::ComponentState;
///
/// let mut s = ComponentState::new("my-rule");
/// s.param("beta", 0.9);
/// s.put_floats("m", &[1.0_f64, -2.5]);
/// s.put_count("t", 7);
///
/// let mut m: Vec<f64> = Vec::new();
/// s.read_floats("m", 2, &mut m)?;
/// assert_eq!(m, [1.0, -2.5]);
/// assert_eq!(s.count("t")?, 7);
/// assert!(s.count("missing").is_err());
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ComponentState {
    kind: String,
    params: BTreeMap<String, String>,
    floats: BTreeMap<String, Floats>,
    counts: BTreeMap<String, Vec<u64>>,
}

impl ComponentState {
    /// An empty state for the component named `kind`.
    ///
    /// ```
    /// use zoptim::ComponentState;
    ///
    /// let s = ComponentState::new("adam");
    /// assert_eq!(s.kind(), "adam");
    /// assert_eq!(s, ComponentState::new("adam")); // empty: nothing stored yet
    /// ```
    pub fn new(kind: &str) -> Self {
        ComponentState {
            kind: kind.to_owned(),
            ..Self::default()
        }
    }

    /// The component's name.
    ///
    /// ```
    /// use zoptim::ComponentState;
    ///
    /// assert_eq!(ComponentState::new("momentum").kind(), "momentum");
    /// ```
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Records a parameter by its `Debug` form (floats print in their shortest
    /// exact form, so equal strings mean equal values).
    ///
    /// ```
    /// use zoptim::ComponentState;
    ///
    /// let (mut a, mut b) = (ComponentState::new("rule"), ComponentState::new("rule"));
    /// a.param("beta", 0.9);
    /// b.param("beta", 0.9 + 1e-16); // the next f64 after 0.9
    /// assert_ne!(a, b);
    /// ```
    pub fn param(&mut self, name: &str, value: impl std::fmt::Debug) -> &mut Self {
        self.params.insert(name.to_owned(), format!("{value:?}"));
        self
    }

    /// Stores a float array exactly (f32 arrays are written in f32's shortest
    /// form, which reads back to the same f32).
    ///
    /// ```
    /// use zoptim::ComponentState;
    ///
    /// let mut s = ComponentState::new("rule");
    /// s.put_floats("v", &[0.1_f32, 0.2]);
    /// let mut back: Vec<f32> = Vec::new();
    /// s.read_floats("v", 2, &mut back)?;
    /// assert_eq!(back, [0.1_f32, 0.2]); // the same f32 bits
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn put_floats<F: Real>(&mut self, name: &str, values: &[F]) -> &mut Self {
        let floats = Floats {
            values: values.iter().map(|v| v.as_f64()).collect(),
            single: float_name::<F>() == "f32",
        };
        self.floats.insert(name.to_owned(), floats);
        self
    }

    /// Stores one count.
    ///
    /// ```
    /// use zoptim::ComponentState;
    ///
    /// let mut s = ComponentState::new("rule");
    /// s.put_count("t", 12);
    /// assert_eq!(s.count("t")?, 12);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn put_count(&mut self, name: &str, value: u64) -> &mut Self {
        self.counts.insert(name.to_owned(), vec![value]);
        self
    }

    /// Stores an array of counts (indices, permutations).
    ///
    /// ```
    /// use zoptim::ComponentState;
    ///
    /// let mut s = ComponentState::new("sampler");
    /// s.put_counts("order", [2, 0, 1]);
    /// assert_eq!(s.counts("order")?, [2, 0, 1]);
    /// assert!(s.count("order").is_err()); // not a single count
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn put_counts(&mut self, name: &str, values: impl IntoIterator<Item = u64>) -> &mut Self {
        self.counts.insert(name.to_owned(), values.into_iter().collect());
        self
    }

    /// Reads the float array `name` into `out`, which it must fill exactly:
    /// [`Error::CheckpointCorrupt`] when it is missing,
    /// [`Error::CheckpointMismatch`] when it does not have `len` entries.
    ///
    /// ```
    /// use zoptim::{ComponentState, Error};
    ///
    /// let mut s = ComponentState::new("rule");
    /// s.put_floats("m", &[1.0_f64, 2.0, 3.0]);
    /// let mut m: Vec<f64> = Vec::new();
    /// s.read_floats("m", 3, &mut m)?;
    /// assert_eq!(m, [1.0, 2.0, 3.0]);
    /// assert!(matches!(s.read_floats("m", 4, &mut m), Err(Error::CheckpointMismatch { .. })));
    /// assert!(matches!(s.read_floats("v", 3, &mut m), Err(Error::CheckpointCorrupt { .. })));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn read_floats<F: Real>(&self, name: &str, len: usize, out: &mut Vec<F>) -> Result<()> {
        let v = self.floats.get(name).ok_or_else(|| self.missing(name))?;
        if v.values.len() != len {
            return Err(Error::CheckpointMismatch {
                what: format!("the length of {}'s `{name}`", self.kind),
                checkpoint: v.values.len().to_string(),
                optimizer: len.to_string(),
            });
        }
        out.clear();
        out.extend(v.values.iter().map(|&t| F::of_f64(t)));
        Ok(())
    }

    /// The float array `name`, whatever its length.
    ///
    /// ```
    /// use zoptim::ComponentState;
    ///
    /// let mut s = ComponentState::new("rule");
    /// s.put_floats("g", &[0.5_f32]);
    /// assert_eq!(s.floats("g")?, [0.5]);
    /// assert!(s.floats("h").is_err());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn floats(&self, name: &str) -> Result<&[f64]> {
        self.floats
            .get(name)
            .map(|v| &v.values[..])
            .ok_or_else(|| self.missing(name))
    }

    /// The count `name`.
    ///
    /// ```
    /// use zoptim::ComponentState;
    ///
    /// let mut s = ComponentState::new("rule");
    /// s.put_count("steps", 3);
    /// assert_eq!(s.count("steps")?, 3);
    /// assert!(s.count("other").is_err());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn count(&self, name: &str) -> Result<u64> {
        match self.counts.get(name).map(Vec::as_slice) {
            Some([v]) => Ok(*v),
            Some(_) => Err(self.corrupt(name, "is not a single count")),
            None => Err(self.missing(name)),
        }
    }

    /// The count `name` as an index or length below `bound`.
    ///
    /// ```
    /// use zoptim::ComponentState;
    ///
    /// let mut s = ComponentState::new("sampler");
    /// s.put_count("next", 4);
    /// assert_eq!(s.index("next", 5)?, 4);
    /// assert!(s.index("next", 4).is_err()); // out of range
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn index(&self, name: &str, bound: usize) -> Result<usize> {
        let v = self.count(name)?;
        usize::try_from(v)
            .ok()
            .filter(|&i| i < bound)
            .ok_or_else(|| self.corrupt(name, &format!("= {v} is out of range (< {bound})")))
    }

    /// The count array `name`.
    ///
    /// ```
    /// use zoptim::ComponentState;
    ///
    /// let mut s = ComponentState::new("sampler");
    /// s.put_counts("seen", [5, 5, 7]);
    /// assert_eq!(s.counts("seen")?, [5, 5, 7]);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn counts(&self, name: &str) -> Result<&[u64]> {
        self.counts
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| self.missing(name))
    }

    /// Reads the count array `name` as a permutation of `0..len` into `out`.
    ///
    /// ```
    /// use zoptim::ComponentState;
    ///
    /// let mut s = ComponentState::new("sampler");
    /// s.put_counts("perm", [2, 0, 1]).put_counts("bad", [0, 0, 1]);
    /// let mut p = Vec::new();
    /// s.read_permutation("perm", 3, &mut p)?;
    /// assert_eq!(p, [2, 0, 1]);
    /// assert!(s.read_permutation("bad", 3, &mut p).is_err()); // 0 twice
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn read_permutation(&self, name: &str, len: usize, out: &mut Vec<usize>) -> Result<()> {
        let v = self.counts(name)?;
        if v.len() != len {
            return Err(Error::CheckpointMismatch {
                what: format!("the length of {}'s `{name}`", self.kind),
                checkpoint: v.len().to_string(),
                optimizer: len.to_string(),
            });
        }
        let mut seen = vec![false; len];
        out.clear();
        for &i in v {
            let i = usize::try_from(i).ok().filter(|&i| i < len && !seen[i]);
            let Some(i) = i else {
                return Err(self.corrupt(name, "is not a permutation"));
            };
            seen[i] = true;
            out.push(i);
        }
        Ok(())
    }

    fn missing(&self, name: &str) -> Error {
        self.corrupt(name, "is missing")
    }

    fn corrupt(&self, name: &str, what: &str) -> Error {
        Error::CheckpointCorrupt {
            reason: format!("{}'s `{name}` {what}", self.kind),
        }
    }

    /// [`Error::CheckpointMismatch`] unless `self` (from a checkpoint) and
    /// `fresh` (from the resuming component) name the same component with the
    /// same parameters.
    pub(crate) fn check_fits(&self, fresh: &ComponentState, role: &str) -> Result<()> {
        if self.kind != fresh.kind {
            return Err(Error::CheckpointMismatch {
                what: role.to_owned(),
                checkpoint: self.kind.clone(),
                optimizer: fresh.kind.clone(),
            });
        }
        let none = || "unset".to_owned();
        for name in self.params.keys().chain(fresh.params.keys()) {
            let (a, b) = (self.params.get(name), fresh.params.get(name));
            if a != b {
                return Err(Error::CheckpointMismatch {
                    what: format!("{role} parameter `{name}`"),
                    checkpoint: a.cloned().unwrap_or_else(none),
                    optimizer: b.cloned().unwrap_or_else(none),
                });
            }
        }
        Ok(())
    }
}

/// Floats that keep their exact bits through JSON (non-finite as strings).
#[derive(Clone, Debug, Default, PartialEq)]
struct Floats {
    values: Vec<f64>,
    /// f32 values: written in f32's shortest form (half the text of f64's);
    /// read back as the nearest f64, which rounds to the same f32.
    single: bool,
}

#[cfg(feature = "serde")]
mod floats_serde {
    use super::Floats;
    use serde::de::{self, SeqAccess, Visitor};
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum One {
        Num(f64),
        Text(String),
    }

    /// `{"f32": [...]}` or `{"f64": [...]}`.
    #[derive(Serialize, Deserialize)]
    enum Tagged<T> {
        #[serde(rename = "f32")]
        Single(T),
        #[serde(rename = "f64")]
        Double(T),
    }

    /// The values, written as f32 when `.1`.
    struct Written<'a>(&'a [f64], bool);
    struct Read(Vec<f64>);

    impl Serialize for Floats {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let v = Written(&self.values, self.single);
            if self.single {
                Tagged::Single(v)
            } else {
                Tagged::Double(v)
            }
            .serialize(s)
        }
    }

    impl<'de> Deserialize<'de> for Floats {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Ok(match Tagged::<Read>::deserialize(d)? {
                Tagged::Single(v) => Floats {
                    values: v.0,
                    single: true,
                },
                Tagged::Double(v) => Floats {
                    values: v.0,
                    single: false,
                },
            })
        }
    }

    impl Serialize for Written<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(self.0.len()))?;
            for &v in self.0 {
                if v.is_finite() && self.1 {
                    seq.serialize_element(&(v as f32))?;
                } else if v.is_finite() {
                    seq.serialize_element(&v)?;
                } else if v.is_nan() {
                    seq.serialize_element("NaN")?;
                } else if v > 0.0 {
                    seq.serialize_element("inf")?;
                } else {
                    seq.serialize_element("-inf")?;
                }
            }
            seq.end()
        }
    }

    impl<'de> Deserialize<'de> for Read {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Read;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an array of numbers")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Read, A::Error> {
                    // Capped: a corrupt length hint must not allocate without bound.
                    let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
                    while let Some(v) = seq.next_element::<One>()? {
                        out.push(match v {
                            One::Num(x) => x,
                            One::Text(t) => match t.as_str() {
                                "NaN" => f64::NAN,
                                "inf" => f64::INFINITY,
                                "-inf" => f64::NEG_INFINITY,
                                _ => return Err(de::Error::custom(format!("`{t}` is not a number"))),
                            },
                        });
                    }
                    Ok(Read(out))
                }
            }
            d.deserialize_seq(V)
        }
    }
}
