//! Publication figures: each figure of a report written as a file of its own, as SVG (the
//! report's own text, made a standalone document) and as PNG (that SVG rasterised by
//! `resvg`), in the report's style, for papers and slides.
//!
//! Size and resolution: a figure is drawn at its own size in SVG pixels (560 px wide for
//! the common charts, [`crate::chart::SIZE`]), which is CSS's 96 pixels per inch, so at 1×
//! it is 5.83 inches (14.8 cm) wide. The PNG is that drawing at `scale` pixels per SVG
//! pixel (2× by default, 1120 px wide), and it says so in its `pHYs` chunk: 96·scale
//! pixels per inch, so a program that honours it places the PNG at the SVG's size.
//!
//! Text: the SVGs name the generic family `sans-serif`, which a browser or editor resolves
//! to a font of its machine. The PNG is shaped with one font bundled into the program,
//! DejaVu Sans (the `dejavu` crate; Bitstream Vera licence, free to embed and
//! redistribute), and no system font is read: the same figure gives the same pixels on any
//! machine, with fonts installed or none (a cluster node, a slim container, CI), and its
//! symbols (γ, α, φ½, −, ·, ‖) are all in that one font.

use crate::error::{Error, Result};
use crate::files::write_atomic;
use crate::page::Figure;
use resvg::{tiny_skia, usvg};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// A file format of an exported figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// the report's SVG as a standalone document
    Svg,
    /// the SVG rasterised at [`ExportOptions::scale`]
    Png,
}

impl Format {
    /// The file extension (`svg`, `png`).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
        }
    }

    /// The format named `name` (`svg` or `png`, any case).
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "svg" => Some(Format::Svg),
            "png" => Some(Format::Png),
            _ => None,
        }
    }
}

/// What [`write_figures`] writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportOptions {
    /// the formats, each figure written once in each
    pub formats: Vec<Format>,
    /// PNG pixels per SVG pixel (2: twice the figure's size, 192 pixels per inch)
    pub scale: f32,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            formats: vec![Format::Svg, Format::Png],
            scale: DEFAULT_SCALE,
        }
    }
}

/// The PNG scale used unless another is asked for: 2× (192 pixels per inch), sharp on a
/// slide or a printed page at the figure's own size.
pub const DEFAULT_SCALE: f32 = 2.0;

/// The largest accepted scale: 8× makes a 560 × 420 figure 4480 × 3360 pixels (60 MB of
/// pixels in memory); larger is refused before anything is drawn.
pub const MAX_SCALE: f32 = 8.0;

/// Pixels per inch of an SVG pixel (CSS's reference pixel).
const CSS_DPI: f32 = 96.0;

/// The name of the bundled font (the family every generic family maps to).
pub const FONT_FAMILY: &str = "DejaVu Sans";

/// A figure rasterised: its size in pixels and the PNG file's bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Raster {
    /// width in pixels
    pub width: u32,
    /// height in pixels
    pub height: u32,
    /// the PNG file
    pub png: Vec<u8>,
}

/// `svg` as a standalone SVG file: an XML declaration, and the SVG namespace on the root
/// element where the inline form left it out (HTML does not need it, a file does).
pub fn standalone_svg(svg: &str) -> String {
    let svg = svg.trim();
    let root_end = svg.find('>').unwrap_or(svg.len());
    let body = if svg[..root_end].contains("xmlns=") {
        svg.to_string()
    } else {
        svg.replacen("<svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"", 1)
    };
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}\n")
}

/// The options resvg parses with: the bundled font, standing in for every generic family.
fn parse_options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut fonts = usvg::fontdb::Database::new();
        fonts.load_font_data(dejavu::sans::regular().to_vec());
        fonts.set_sans_serif_family(FONT_FAMILY);
        fonts.set_serif_family(FONT_FAMILY);
        fonts.set_monospace_family(FONT_FAMILY);
        usvg::Options {
            font_family: FONT_FAMILY.to_string(),
            fontdb: Arc::new(fonts),
            ..usvg::Options::default()
        }
    })
}

/// Rasterises the figure `id`'s SVG at `scale` pixels per SVG pixel onto white (a figure's
/// own background is white; transparent corners would show a slide's colour through), as
/// an RGB PNG that records its resolution, 96·scale pixels per inch.
pub fn rasterise(id: &str, svg: &str, scale: f32) -> Result<Raster> {
    let failure = |message: String| Error::Figure {
        id: id.to_string(),
        message,
    };
    if !(scale.is_finite() && scale > 0.0 && scale <= MAX_SCALE) {
        return Err(failure(format!(
            "the scale {scale} is outside (0, {MAX_SCALE}]"
        )));
    }
    let tree = usvg::Tree::from_str(&standalone_svg(svg), parse_options())
        .map_err(|err| failure(format!("its SVG does not parse: {err}")))?;
    let size = tree.size();
    let width = (size.width() * scale).ceil() as u32;
    let height = (size.height() * scale).ceil() as u32;
    let mut pixmap = tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| failure(format!("it has no area ({width} × {height} pixels)")))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    // Every pixel is opaque (drawn over white), so the premultiplied RGBA that tiny-skia
    // holds is the plain RGB colour and the alpha channel can be dropped.
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|pixel| [pixel[0], pixel[1], pixel[2]])
        .collect();
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        // pHYs is in pixels per metre: 96·scale per inch, 0.0254 m to the inch.
        let per_metre = (CSS_DPI * scale / 0.0254).round() as u32;
        encoder.set_pixel_dims(Some(png::PixelDimensions {
            xppu: per_metre,
            yppu: per_metre,
            unit: png::Unit::Meter,
        }));
        let mut writer = encoder
            .write_header()
            .map_err(|err| failure(format!("PNG header: {err}")))?;
        writer
            .write_image_data(&rgb)
            .map_err(|err| failure(format!("PNG data: {err}")))?;
        writer
            .finish()
            .map_err(|err| failure(format!("PNG end: {err}")))?;
    }
    Ok(Raster { width, height, png })
}

/// Writes every figure into `dir` (created if needed) as `<id>.svg` and `<id>.png`, in the
/// formats of `options`, each file atomically; returns the paths in figure order.
pub fn write_figures(
    figures: &[Figure],
    dir: &Path,
    options: &ExportOptions,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths = Vec::new();
    for figure in figures {
        for format in &options.formats {
            let path = dir.join(format!("{}.{}", figure.id, format.extension()));
            match format {
                Format::Svg => write_atomic(&path, standalone_svg(&figure.svg))?,
                Format::Png => write_atomic(
                    &path,
                    rasterise(&figure.id, &figure.svg, options.scale)?.png,
                )?,
            }
            paths.push(path);
        }
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: &str = "<svg width=\"40\" height=\"30\"><rect x=\"10\" y=\"5\" width=\"20\" height=\"20\" fill=\"#0072b2\"/></svg>";

    fn decode(png: &[u8]) -> (png::OutputInfo, Vec<u8>, Option<png::PixelDimensions>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .unwrap();
        let dims = reader.info().pixel_dims;
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        pixels.truncate(info.buffer_size());
        (info, pixels, dims)
    }

    #[test]
    fn a_standalone_svg_gets_its_namespace_once() {
        let file = standalone_svg(SQUARE);
        assert!(file.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns="));
        assert_eq!(standalone_svg(&file[39..]).matches("xmlns=").count(), 1);
    }

    #[test]
    fn a_png_is_the_figure_at_scale_with_its_resolution() {
        let raster = rasterise("square", SQUARE, 2.0).unwrap();
        assert_eq!((raster.width, raster.height), (80, 60));
        let (info, pixels, dims) = decode(&raster.png);
        assert_eq!((info.width, info.height), (80, 60));
        assert_eq!(info.color_type, png::ColorType::Rgb);
        // 192 pixels per inch = 7559.055… per metre.
        let dims = dims.unwrap();
        assert_eq!(
            (dims.xppu, dims.yppu, dims.unit),
            (7559, 7559, png::Unit::Meter)
        );
        let at = |x: usize, y: usize| &pixels[(y * 80 + x) * 3..(y * 80 + x) * 3 + 3];
        // The square covers SVG pixels 10–30 × 5–25, PNG pixels 20–60 × 10–50; outside it
        // the background is white.
        assert_eq!(at(40, 30), [0, 114, 178]);
        assert_eq!(at(5, 5), [255, 255, 255]);
        assert_eq!(at(70, 55), [255, 255, 255]);
    }

    #[test]
    fn text_is_drawn_with_the_bundled_font() {
        let text = "<svg width=\"120\" height=\"40\"><text x=\"5\" y=\"30\" font-family=\"sans-serif\" font-size=\"24\">γ = −0.5</text></svg>";
        let (_, pixels, _) = decode(&rasterise("text", text, 1.0).unwrap().png);
        let dark = pixels.chunks_exact(3).filter(|p| p[0] < 128).count();
        // Glyphs cover a few hundred of the 4800 pixels; with no font, none would be dark.
        assert!(dark > 100 && dark < 2400, "{dark} dark pixels");
    }

    #[test]
    fn broken_svg_and_bad_scales_are_errors_naming_the_figure() {
        let err = rasterise("broken", "<svg width=\"10\" height=\"10\"><g></svg>", 1.0)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("broken") && err.contains("does not parse"),
            "{err}"
        );
        for scale in [0.0, -1.0, f32::NAN, MAX_SCALE * 2.0] {
            let err = rasterise("square", SQUARE, scale).unwrap_err().to_string();
            assert!(err.contains("scale"), "{err}");
        }
    }

    #[test]
    fn figures_are_written_under_their_names_in_each_format() {
        let dir = std::env::temp_dir().join(format!("superscale-export-{}", std::process::id()));
        let figures = vec![
            Figure {
                id: "first".into(),
                title: "a".into(),
                svg: SQUARE.into(),
            },
            Figure {
                id: "second".into(),
                title: "b".into(),
                svg: SQUARE.into(),
            },
        ];
        let paths = write_figures(&figures, &dir, &ExportOptions::default()).unwrap();
        let names: Vec<String> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["first.svg", "first.png", "second.svg", "second.png"]
        );
        let svg = std::fs::read_to_string(&paths[0]).unwrap();
        assert_eq!(svg, standalone_svg(SQUARE));
        let (info, _, _) = decode(&std::fs::read(&paths[1]).unwrap());
        assert_eq!((info.width, info.height), (80, 60));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
