//! The presentation layer of every study: a report [`page`] of sections (self-contained
//! HTML, inline SVG, opens offline), the figure builders of [`chart`] in one style and one
//! colour-blind-safe [`palette`], HTML escaping, atomic file writes, and the
//! publication figures of [`export`] (each figure as SVG and PNG). It knows nothing
//! about runs: each kind of experiment turns its analysis into sections with these tools
//! (`docs/architecture.md`).
#![deny(missing_docs)]

pub mod cell_grid;
pub mod chart;
mod error;
pub mod export;
mod files;
pub mod fit_chart;
pub mod page;
pub mod palette;
pub mod weights_chart;

pub use error::{Error, Result};
pub use files::{write_atomic, write_files};
pub use page::{escape, preview, render, Block, Figure, Page, Section, Table};
