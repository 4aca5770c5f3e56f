//! `--figures DIR` of the commands that write a report (`run`, `merge`, `report`): each
//! figure of the report written as a file of its own, SVG and PNG, for papers and slides
//! (`superscale_report::export`, which says how big and how sharp they are).

use crate::output::UserError;
use anyhow::Result;
use std::path::PathBuf;
use superscale_report::export::{self, ExportOptions, Format, DEFAULT_SCALE, MAX_SCALE};
use superscale_report::Figure;

/// A file format of `--figure-formats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FigureFormat {
    /// the report's SVG as a standalone file
    Svg,
    /// the SVG rasterised at --figure-scale
    Png,
}

/// The publication-figure options.
#[derive(clap::Args, Debug, Clone)]
pub struct FigureArgs {
    /// Also write each figure of the report into DIR (created if needed) as
    /// <figure id>.svg and <figure id>.png (loss-vs-width.svg, loss-vs-width.png, …): the
    /// report's SVG at its own size in SVG pixels (96 per inch) and a PNG of it at
    /// --figure-scale, in the report's style.
    #[arg(long, value_name = "DIR")]
    pub figures: Option<PathBuf>,
    /// PNG pixels per SVG pixel: 2 (the default) makes a 560 × 420 figure 1120 × 840
    /// pixels at 192 pixels per inch; at most 8.
    #[arg(long, value_name = "X", default_value_t = DEFAULT_SCALE, requires = "figures")]
    pub figure_scale: f32,
    /// The formats written, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_values_t = [FigureFormat::Svg, FigureFormat::Png],
        requires = "figures"
    )]
    pub figure_formats: Vec<FigureFormat>,
}

impl FigureArgs {
    /// Refuses a scale out of range before any work is done (exit 2).
    pub fn check(&self) -> Result<()> {
        let scale = self.figure_scale;
        if !(scale.is_finite() && scale > 0.0 && scale <= MAX_SCALE) {
            return Err(UserError(format!(
                "--figure-scale {scale}: expected a number above 0 and at most {MAX_SCALE}"
            ))
            .into());
        }
        Ok(())
    }

    /// Writes `figures` when `--figures` was given; returns the line to print
    /// (`figures: DIR (4 figures as svg, png; PNG at 2×, 192 pixels per inch)`).
    pub fn write(&self, figures: &[Figure]) -> Result<Option<String>> {
        let Some(dir) = &self.figures else {
            return Ok(None);
        };
        let formats: Vec<Format> = self
            .figure_formats
            .iter()
            .map(|f| match f {
                FigureFormat::Svg => Format::Svg,
                FigureFormat::Png => Format::Png,
            })
            .collect();
        let options = ExportOptions {
            formats: formats.clone(),
            scale: self.figure_scale,
        };
        export::write_figures(figures, dir, &options)?;
        let names: Vec<&str> = formats.iter().map(|f| f.extension()).collect();
        let mut line = format!(
            "figures: {} ({} figure{} as {}",
            dir.display(),
            figures.len(),
            if figures.len() == 1 { "" } else { "s" },
            names.join(", ")
        );
        if formats.contains(&Format::Png) {
            line += &format!(
                "; PNG at {}×, {} pixels per inch",
                self.figure_scale,
                96.0 * self.figure_scale
            );
        }
        Ok(Some(line + ")\n"))
    }
}
