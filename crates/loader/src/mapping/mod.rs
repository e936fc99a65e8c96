//! How a JSON Lines events file maps onto the contract's event columns: [`MappingSpec`] is
//! what `config/retention.yaml`'s `mapping:` says (a preset and overrides), [`Mapping`] the
//! checked result a load applies to each JSON object.
//!
//! A path names a field of the object, `.` going one level down: `context.page.url`. In a
//! list, a number picks an element (`items.0.item_id`) and any other name picks the element
//! whose `key` is that name and takes its `value`, unwrapped from GA4's
//! `{string_value | int_value | double_value | float_value}` form when it has that shape
//! (`event_params.ga_session_id`). Where a column lists several paths, the first one that
//! holds a value (not null, not `""`) wins.

use std::collections::{BTreeMap, BTreeSet};

use retention_model::{EventType, landing::EVENTS_HEADER};
use serde::Deserialize;

use crate::{Error, Result};

mod apply;

pub use apply::ITEM_LINE_STRIDE;
pub(crate) use apply::{map_event, user_id_of};

/// The presets shipped with the loader, by name: mappings written in the same form as the
/// configuration's (`crates/loader/presets/*.yaml`).
pub const PRESETS: [(&str, &str); 2] = [
    ("segment", include_str!("../../presets/segment.yaml")),
    ("ga4", include_str!("../../presets/ga4.yaml")),
];

/// One source path, or several tried in order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Paths {
    /// One path.
    One(String),
    /// Paths tried in order; the first that holds a value wins.
    Many(Vec<String>),
}

impl Paths {
    fn list(&self) -> Vec<&str> {
        match self {
            Self::One(p) => vec![p.as_str()],
            Self::Many(ps) => ps.iter().map(String::as_str).collect(),
        }
    }
}

/// How the source writes `event_ts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeFormat {
    /// RFC 3339 / ISO 8601 with an offset, as the CSV contract.
    #[default]
    Rfc3339,
    /// An integer (or integer string) of microseconds since the Unix epoch (GA4).
    UnixMicros,
    /// Milliseconds since the Unix epoch.
    UnixMillis,
    /// Seconds since the Unix epoch.
    UnixSeconds,
}

/// A list in the event that gives one row per element for some event types.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemsSpec {
    /// Path of the list (`properties.products`, `items`).
    pub path: String,
    /// The canonical event types whose list is expanded (`purchase`, …).
    pub events: Vec<String>,
    /// Contract column → path inside one element; an element without the field keeps the
    /// event's own value of the column.
    #[serde(default)]
    pub fields: BTreeMap<String, Paths>,
}

/// A mapping as the configuration writes it: `mapping: {preset: segment, fields: {…}}`.
/// Every key is optional; what is given overrides the preset (or, without a preset, the
/// contract's own column names: an `events.jsonl` whose objects have the twelve columns as
/// keys needs no mapping).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingSpec {
    /// A shipped preset to start from: `segment` or `ga4`.
    #[serde(default)]
    pub preset: Option<String>,
    /// Where the event's name is (the first path holding one).
    #[serde(default)]
    pub event_name: Option<Paths>,
    /// Source event name → canonical event type; added to (and overriding) the preset's.
    /// A name not listed is staged as it is, and conformance refuses it if it is not a
    /// canonical type.
    #[serde(default)]
    pub event_types: BTreeMap<String, String>,
    /// How `event_ts` is written.
    #[serde(default)]
    pub timestamp: Option<TimeFormat>,
    /// Contract column → source path(s); each overrides the preset's for that column.
    #[serde(default)]
    pub fields: BTreeMap<String, Paths>,
    /// Where an anonymous visitor's id is: an event with one and no `user_id` is refused as
    /// `anonymous_user`.
    #[serde(default)]
    pub anonymous_id: Option<Paths>,
    /// For a source without event ids: the paths whose values, hashed, make one.
    #[serde(default)]
    pub event_id_hash: Option<Vec<String>>,
    /// A list giving one row per element (replaces the preset's).
    #[serde(default)]
    pub items: Option<ItemsSpec>,
}

impl MappingSpec {
    /// The spec of a shipped preset.
    pub fn preset(name: &str) -> Result<Self> {
        let (_, text) = PRESETS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
            Error::Mapping(format!(
                "unknown preset {name:?}; the presets are {}",
                names.join(", ")
            ))
        })?;
        serde_saphyr::from_str(text).map_err(|e| Error::Mapping(format!("preset {name}: {e}")))
    }

    /// This spec laid over `base`: its keys replace the base's, its `event_types` and
    /// `fields` are added to the base's entry by entry.
    fn over(self, mut base: Self) -> Self {
        base.event_types.extend(self.event_types);
        base.fields.extend(self.fields);
        Self {
            preset: self.preset,
            event_name: self.event_name.or(base.event_name),
            event_types: base.event_types,
            timestamp: self.timestamp.or(base.timestamp),
            fields: base.fields,
            anonymous_id: self.anonymous_id.or(base.anonymous_id),
            event_id_hash: self.event_id_hash.or(base.event_id_hash),
            items: self.items.or(base.items),
        }
    }
}

/// A path split at its dots.
pub(crate) type Path = Vec<String>;

fn path(p: &str) -> Result<Path> {
    let segments: Path = p.split('.').map(str::to_owned).collect();
    if segments.iter().any(String::is_empty) {
        return Err(Error::Mapping(format!("{p:?} is not a path (a.b.c)")));
    }
    Ok(segments)
}

fn paths(ps: &Paths) -> Result<Vec<Path>> {
    ps.list().into_iter().map(path).collect()
}

/// Index of `column` in [`EVENTS_HEADER`].
pub(crate) fn column_index(column: &str) -> Option<usize> {
    EVENTS_HEADER.iter().position(|c| *c == column)
}

pub(crate) const EVENT_TYPE: usize = 4;
pub(crate) const EVENT_ID: usize = 0;
pub(crate) const EVENT_TS: usize = 1;
pub(crate) const USER_ID: usize = 2;

/// The checked list expansion of a [`Mapping`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Items {
    pub(crate) path: Path,
    pub(crate) events: BTreeSet<String>,
    pub(crate) fields: Vec<(usize, Vec<Path>)>,
}

/// A checked mapping from JSON objects to the contract's event columns: build it with
/// [`Mapping::contract`], [`Mapping::preset`] or [`Mapping::from_spec`], hand it to a load
/// in [`LoadOptions::mapping`](crate::LoadOptions::mapping). Only JSON Lines files use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    name: String,
    pub(crate) event_name: Vec<Path>,
    pub(crate) event_types: BTreeMap<String, String>,
    pub(crate) timestamp: TimeFormat,
    /// Per contract column (by index), its paths; empty for `event_type`.
    pub(crate) fields: Vec<Vec<Path>>,
    pub(crate) anonymous_id: Vec<Path>,
    pub(crate) event_id_hash: Vec<Path>,
    pub(crate) items: Option<Items>,
}

impl Default for Mapping {
    fn default() -> Self {
        Self::contract()
    }
}

impl Mapping {
    /// The identity mapping: each object holds the contract's columns under their own names
    /// (`event_id`, `event_ts`, …), `event_ts` in RFC 3339.
    pub fn contract() -> Self {
        let fields = EVENTS_HEADER
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == EVENT_TYPE {
                    Vec::new()
                } else {
                    vec![vec![(*c).to_owned()]]
                }
            })
            .collect();
        Self {
            name: "contract".into(),
            event_name: vec![vec!["event_type".into()]],
            event_types: BTreeMap::new(),
            timestamp: TimeFormat::Rfc3339,
            fields,
            anonymous_id: Vec::new(),
            event_id_hash: Vec::new(),
            items: None,
        }
    }

    /// A shipped preset as it is: `segment` or `ga4`.
    pub fn preset(name: &str) -> Result<Self> {
        Self::from_spec(&MappingSpec {
            preset: Some(name.to_owned()),
            ..MappingSpec::default()
        })
    }

    /// Checks `spec` (its preset, if any, with its overrides laid over it) and builds the
    /// mapping. Refuses an unknown preset, a column that is not the contract's (or is
    /// `event_type`, which comes from `event_name` and `event_types`), a target that is not
    /// a canonical event type, and an empty path.
    pub fn from_spec(spec: &MappingSpec) -> Result<Self> {
        let (name, merged) = match &spec.preset {
            Some(p) => {
                let overridden = spec.event_name.is_some()
                    || !spec.event_types.is_empty()
                    || spec.timestamp.is_some()
                    || !spec.fields.is_empty()
                    || spec.anonymous_id.is_some()
                    || spec.event_id_hash.is_some()
                    || spec.items.is_some();
                let name = if overridden {
                    format!("{p} (with overrides)")
                } else {
                    p.clone()
                };
                (name, spec.clone().over(MappingSpec::preset(p)?))
            }
            None if *spec == MappingSpec::default() => return Ok(Self::contract()),
            None => ("contract (with overrides)".to_owned(), spec.clone()),
        };
        let mut mapping = if spec.preset.is_some() {
            Self {
                fields: vec![Vec::new(); EVENTS_HEADER.len()],
                event_name: Vec::new(),
                ..Self::contract()
            }
        } else {
            Self::contract()
        };
        mapping.name = name;
        if let Some(ps) = &merged.event_name {
            mapping.event_name = paths(ps)?;
        }
        for (source, target) in &merged.event_types {
            canonical(target)?;
            mapping.event_types.insert(source.clone(), target.clone());
        }
        mapping.timestamp = merged.timestamp.unwrap_or_default();
        for (column, ps) in &merged.fields {
            mapping.fields[mapped_column(column)?] = paths(ps)?;
        }
        if let Some(ps) = &merged.anonymous_id {
            mapping.anonymous_id = paths(ps)?;
        }
        if let Some(ps) = &merged.event_id_hash {
            mapping.event_id_hash = ps.iter().map(|p| path(p)).collect::<Result<_>>()?;
        }
        if let Some(items) = &merged.items {
            let mut fields = Vec::new();
            for (column, ps) in &items.fields {
                let i = mapped_column(column)?;
                if i == EVENT_ID {
                    return Err(Error::Mapping(
                        "items: event_id is derived (`<event id>:<index>`), it cannot be mapped"
                            .into(),
                    ));
                }
                fields.push((i, paths(ps)?));
            }
            let mut events = BTreeSet::new();
            for e in &items.events {
                canonical(e)?;
                events.insert(e.clone());
            }
            mapping.items = Some(Items {
                path: path(&items.path)?,
                events,
                fields,
            });
        }
        if mapping.event_name.is_empty() {
            return Err(Error::Mapping("event_name: no path given".into()));
        }
        Ok(mapping)
    }

    /// What the mapping is: `contract`, a preset's name, or either `(with overrides)`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

fn canonical(name: &str) -> Result<()> {
    name.parse::<EventType>().map(|_| ()).map_err(|_| {
        let all: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
        Error::Mapping(format!(
            "{name:?} is not a canonical event type ({})",
            all.join(", ")
        ))
    })
}

fn mapped_column(column: &str) -> Result<usize> {
    match column_index(column) {
        Some(EVENT_TYPE) => Err(Error::Mapping(
            "fields: event_type comes from event_name and event_types".into(),
        )),
        Some(i) => Ok(i),
        None => Err(Error::Mapping(format!(
            "fields: {column:?} is not a column of events ({})",
            EVENTS_HEADER.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests;
