//! A grid of sweep cells drawn as SVG: one square per (x, y) point of a two-axis sweep,
//! the axes being the sorted distinct values (so unevenly spaced sweeps get even columns),
//! each cell with its own colour and hover text, and a key beside the grid: a colour scale
//! for a measured quantity or a list of categories. The toy kind's phase diagrams draw with
//! it; [`crate::chart::heat_map`] is for continuous axes instead.

use crate::chart::number;
use crate::escape;
use crate::palette::{hex, shade};
use plotters::style::RGBColor;
use std::fmt::Write;

/// One point of the sweep.
#[derive(Debug, Clone)]
pub struct Cell {
    /// its value on the horizontal axis
    pub x: f64,
    /// its value on the vertical axis (larger values higher up)
    pub y: f64,
    /// its colour
    pub fill: RGBColor,
    /// its hover text (an SVG `<title>`; escaped here)
    pub hover: String,
}

/// What the key beside the grid shows.
#[derive(Debug, Clone)]
pub enum Key {
    /// the [`shade`] scale from 0 (white) at the bottom to `top` (dark) at the top, the top
    /// labelled `top` followed by `unit`
    Scale {
        /// the value of the darkest shade
        top: f64,
        /// what `top` is, such as "(n/m)"
        unit: String,
    },
    /// one swatch per category, in order
    Categories(Vec<(RGBColor, String)>),
}

/// A titled grid of cells with named axes and a key.
#[derive(Debug, Clone)]
pub struct CellGrid {
    /// the caption, above the grid
    pub title: String,
    /// the horizontal axis's name
    pub x_name: String,
    /// the vertical axis's name
    pub y_name: String,
    /// the cells; points with the same (x, y) overlap
    pub cells: Vec<Cell>,
    /// the key beside the grid
    pub key: Key,
}

/// The margins around the grid, in SVG pixels: room for the title above and the rotated
/// tick labels and axis name below.
const LEFT: f64 = 90.0;
const TOP: f64 = 40.0;
const BELOW: f64 = 90.0;

/// The distinct values of `values`, sorted.
fn distinct(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut out: Vec<f64> = values.collect();
    out.sort_by(f64::total_cmp);
    out.dedup();
    out
}

impl CellGrid {
    /// The SVG text of the grid (an empty string when it has no cells).
    pub fn svg(&self) -> String {
        if self.cells.is_empty() {
            return String::new();
        }
        let xs = distinct(self.cells.iter().map(|c| c.x));
        let ys = distinct(self.cells.iter().map(|c| c.y));
        // Cells shrink to keep about 560 px of grid, but stay large enough to hover.
        let cell = (560.0 / xs.len().max(ys.len()) as f64).clamp(12.0, 40.0);
        let (plot_width, plot_height) = (cell * xs.len() as f64, cell * ys.len() as f64);
        let key_width = match &self.key {
            Key::Scale { .. } => 150.0,
            // About 6.5 px per character of the longest label at font size 11.
            Key::Categories(entries) => {
                let longest = entries.iter().map(|(_, label)| label.chars().count()).max();
                40.0 + 6.5 * longest.unwrap_or(0) as f64
            }
        };
        let key_height = match &self.key {
            Key::Scale { .. } => 0.0,
            Key::Categories(entries) => 20.0 * entries.len() as f64,
        };
        let width = LEFT + plot_width + key_width;
        let height = TOP + plot_height.max(key_height) + BELOW;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.1}\" height=\"{height:.1}\" \
             font-family=\"sans-serif\" font-size=\"11\">\
             <text x=\"{LEFT}\" y=\"20\" font-size=\"15\">{}</text>",
            escape(&self.title)
        );
        for c in &self.cells {
            let column = xs.iter().position(|v| *v == c.x).unwrap_or(0) as f64;
            let row = (ys.len() - 1 - ys.iter().position(|v| *v == c.y).unwrap_or(0)) as f64;
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{cell:.1}\" height=\"{cell:.1}\" \
                 fill=\"{}\" stroke=\"white\" stroke-width=\"0.5\"><title>{}</title></rect>",
                LEFT + column * cell,
                TOP + row * cell,
                hex(c.fill),
                escape(&c.hover)
            );
        }
        // At most about ten labels per axis, the first and the last always among them.
        let labelled =
            |k: usize, count: usize| k.is_multiple_of(count.div_ceil(10).max(1)) || k + 1 == count;
        for (k, x) in xs
            .iter()
            .enumerate()
            .filter(|(k, _)| labelled(*k, xs.len()))
        {
            let (px, py) = (LEFT + (k as f64 + 0.3) * cell, TOP + plot_height + 12.0);
            let _ = write!(
                svg,
                "<text x=\"{px:.1}\" y=\"{py:.1}\" transform=\"rotate(45 {px:.1} {py:.1})\">{}</text>",
                number(*x)
            );
        }
        for (k, y) in ys
            .iter()
            .rev()
            .enumerate()
            .filter(|(k, _)| labelled(*k, ys.len()))
        {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                LEFT - 6.0,
                TOP + (k as f64 + 0.6) * cell,
                number(*y)
            );
        }
        let middle = TOP + plot_height / 2.0;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text x=\"14\" y=\"{middle:.1}\" text-anchor=\"middle\" \
             transform=\"rotate(-90 14 {middle:.1})\">{}</text>",
            LEFT + plot_width / 2.0,
            TOP + plot_height + BELOW - 10.0,
            escape(&self.x_name),
            escape(&self.y_name)
        );
        let key_x = LEFT + plot_width + 24.0;
        match &self.key {
            Key::Scale { top, unit } => {
                for step in 0..=20 {
                    let fraction = f64::from(step) / 20.0;
                    let _ = write!(
                        svg,
                        "<rect x=\"{key_x:.1}\" y=\"{:.1}\" width=\"16\" height=\"{:.1}\" fill=\"{}\"/>",
                        TOP + (1.0 - fraction) * plot_height * 20.0 / 21.0,
                        plot_height / 21.0 + 0.5,
                        hex(shade(fraction))
                    );
                }
                let _ = write!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\">{} {}</text>\
                     <text x=\"{0:.1}\" y=\"{:.1}\">0</text>",
                    key_x + 22.0,
                    TOP + 10.0,
                    number(*top),
                    escape(unit),
                    TOP + plot_height
                );
            }
            Key::Categories(entries) => {
                svg += "<g class=\"legend\">";
                for (k, (fill, label)) in entries.iter().enumerate() {
                    let y = TOP + 20.0 * k as f64;
                    let _ = write!(
                        svg,
                        "<g class=\"entry\"><rect x=\"{key_x:.1}\" y=\"{y:.1}\" width=\"14\" \
                         height=\"14\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
                        hex(*fill),
                        key_x + 20.0,
                        y + 11.0,
                        escape(label)
                    );
                }
                svg += "</g>";
            }
        }
        svg + "</svg>"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(key: Key) -> CellGrid {
        let cells = [
            (1.0, 10.0),
            (2.0, 10.0),
            (1.0, 20.0),
            (2.0, 20.0),
            (5.0, 20.0),
        ]
        .iter()
        .enumerate()
        .map(|(k, &(x, y))| Cell {
            x,
            y,
            fill: RGBColor(k as u8, 0, 0),
            hover: format!("cell {k} <{x}>"),
        })
        .collect();
        CellGrid {
            title: "A & B".into(),
            x_name: "x".into(),
            y_name: "y".into(),
            cells,
            key,
        }
    }

    #[test]
    fn every_cell_is_drawn_in_its_place_with_escaped_hover_text() {
        let svg = grid(Key::Categories(vec![(RGBColor(9, 9, 9), "nine".into())])).svg();
        // Three columns (1, 2, 5) of 40 px from x = 90; two rows, y = 20 on top.
        assert!(
            svg.contains(
                "<rect x=\"170.0\" y=\"40.0\" width=\"40.0\" height=\"40.0\" fill=\"#040000\""
            ),
            "{svg}"
        );
        assert!(
            svg.contains(
                "<rect x=\"90.0\" y=\"80.0\" width=\"40.0\" height=\"40.0\" fill=\"#000000\""
            ),
            "{svg}"
        );
        assert!(svg.contains("<title>cell 4 &lt;5&gt;</title>") && svg.contains("A &amp; B"));
        assert_eq!(svg.matches("class=\"entry\"").count(), 1);
        assert!(CellGrid {
            cells: Vec::new(),
            ..grid(Key::Categories(Vec::new()))
        }
        .svg()
        .is_empty());
    }

    #[test]
    fn a_scale_key_runs_from_white_to_its_top_value() {
        let svg = grid(Key::Scale {
            top: 2.5,
            unit: "(n/m)".into(),
        })
        .svg();
        assert!(svg.contains("fill=\"#ffffff\"") && svg.contains("fill=\"#08306b\""));
        assert!(svg.contains(">2.5 (n/m)</text>"));
    }

    #[test]
    fn long_axes_label_about_ten_values_and_always_the_ends() {
        let cells = (0..35)
            .map(|k| Cell {
                x: f64::from(k),
                y: 0.0,
                fill: RGBColor(0, 0, 0),
                hover: String::new(),
            })
            .collect();
        let svg = CellGrid {
            cells,
            ..grid(Key::Categories(Vec::new()))
        }
        .svg();
        let labels = svg.matches("rotate(45").count();
        assert!((9..=13).contains(&labels), "{labels} labels");
        assert!(svg.contains(">34</text>") && svg.contains(">0</text>"));
    }
}
