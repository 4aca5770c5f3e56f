//! The report of a toy-model study: its sections (built from the analysis with the
//! presentation layer of `superscale_report`).

pub(crate) mod llc;
pub(crate) mod notation;
mod plan;
mod sections;
mod sweep_map;
mod tms;

pub(crate) use sections::sections;
