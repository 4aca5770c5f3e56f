//! One palette for every figure: the eight colours of Okabe & Ito (2008), which stay
//! distinct under the common forms of colour blindness, in an order that puts the most
//! distinct pairs first. A colour means the same thing everywhere in one report (a group,
//! a regime), so figures take colours by index.

use plotters::style::RGBColor;

pub(crate) const OKABE_ITO: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(230, 159, 0),   // orange
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(240, 228, 66),  // yellow
    RGBColor(0, 0, 0),       // black
];

/// The colour of series `index` (cycling after eight).
pub fn color(index: usize) -> RGBColor {
    OKABE_ITO[index % OKABE_ITO.len()]
}

/// The grey of reference lines (chance levels, 1/m, nulls).
pub const REFERENCE: RGBColor = RGBColor(120, 120, 120);

/// The grey of grid lines.
pub const GRID: RGBColor = RGBColor(235, 235, 235);

/// `#rrggbb` of a colour, for figures drawn as SVG or HTML by hand.
pub fn hex(color: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", color.0, color.1, color.2)
}

/// A sequential shade from white (0) to dark blue (1), for heat maps: one hue, so its order
/// reads the same with any colour vision (the end of ColorBrewer's "Blues").
pub fn shade(fraction: f64) -> RGBColor {
    let t = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let blue = RGBColor(8, 48, 107);
    let mix = |c: u8| (255.0 + (f64::from(c) - 255.0) * t).round() as u8;
    RGBColor(mix(blue.0), mix(blue.1), mix(blue.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shade_runs_from_white_to_dark_blue_and_clamps() {
        assert_eq!(hex(shade(0.0)), "#ffffff");
        assert_eq!(hex(shade(1.0)), "#08306b");
        assert_eq!(hex(shade(2.0)), "#08306b");
        assert_eq!(hex(shade(f64::NAN)), "#ffffff");
    }
}
