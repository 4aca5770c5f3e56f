//! What a figure exported by `--figures` must be: an SVG file that parses (resvg's parser)
//! and is the report's own figure, and a PNG that decodes at the SVG's size times the
//! scale, records its resolution, and is not blank.

use std::path::{Path, PathBuf};

/// The names of the figures drawn in `report.html` (`data-figure="…"`), in page order.
pub fn drawn_figures(report: &Path) -> Vec<String> {
    let html = std::fs::read_to_string(report).unwrap();
    html.split("<figure")
        .skip(1)
        .filter(|figure| figure.trim_start().starts_with("id=") && figure.contains("<svg"))
        .filter_map(|figure| {
            let start = figure.find("data-figure=\"")? + "data-figure=\"".len();
            let end = start + figure[start..].find('"')?;
            Some(figure[start..end].to_string())
        })
        .collect()
}

/// The SVG file `path`: parses, is the figure drawn in `report` (the same text, bar the
/// XML declaration and the namespace a file needs), and has this size in SVG pixels.
pub fn check_svg(path: &Path, report: &Path) -> (f32, f32) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg"),
        "{}",
        path.display()
    );
    let tree = resvg::usvg::Tree::from_str(&text, &resvg::usvg::Options::default())
        .unwrap_or_else(|err| panic!("{} does not parse: {err}", path.display()));
    let body = text.split_once('\n').unwrap().1.trim_end();
    let html = std::fs::read_to_string(report).unwrap();
    let bare = body.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
    assert!(
        html.contains(body) || html.contains(&bare),
        "{} is not a figure of {}",
        path.display(),
        report.display()
    );
    (tree.size().width(), tree.size().height())
}

/// What a PNG holds.
pub struct Png {
    /// width and height in pixels
    pub size: (u32, u32),
    /// pixels per metre, as recorded
    pub per_metre: u32,
    /// the variance of the grey level (0 for a blank image)
    pub variance: f64,
    /// the fraction of pixels that are not white
    pub inked: f64,
}

/// Decodes the PNG `path` (8-bit RGB) and measures it.
pub fn read_png(path: &Path) -> Png {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut reader = png::Decoder::new(file).read_info().unwrap();
    let dims = reader.info().pixel_dims.expect("a pHYs chunk");
    assert_eq!(dims.unit, png::Unit::Meter);
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    let grey: Vec<f64> = pixels[..info.buffer_size()]
        .chunks_exact(3)
        .map(|p| (f64::from(p[0]) + f64::from(p[1]) + f64::from(p[2])) / 3.0)
        .collect();
    let mean = grey.iter().sum::<f64>() / grey.len() as f64;
    let variance = grey.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / grey.len() as f64;
    let inked = grey.iter().filter(|&&g| g < 250.0).count() as f64 / grey.len() as f64;
    Png {
        size: (info.width, info.height),
        per_metre: dims.xppu,
        variance,
        inked,
    }
}

/// Checks the figures exported into `dir` at `scale` against `report`: every figure the
/// report draws is there as SVG and PNG and nothing else is; returns the files.
pub fn check_exported(dir: &Path, report: &Path, scale: f32) -> Vec<PathBuf> {
    let drawn = drawn_figures(report);
    assert!(!drawn.is_empty(), "{} draws no figure", report.display());
    let mut expected: Vec<String> = Vec::new();
    for name in &drawn {
        // A name met twice is exported as name-2, name-3, … (Page::figures).
        let mut file = name.clone();
        let mut count = 1;
        while expected.contains(&format!("{file}.svg")) {
            count += 1;
            file = format!("{name}-{count}");
        }
        expected.push(format!("{file}.svg"));
        expected.push(format!("{file}.png"));
    }
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(found, sorted, "the files in {}", dir.display());
    for pair in expected.chunks(2) {
        let (width, height) = check_svg(&dir.join(&pair[0]), report);
        let png = read_png(&dir.join(&pair[1]));
        assert_eq!(
            png.size,
            (
                (width * scale).ceil() as u32,
                (height * scale).ceil() as u32
            ),
            "{}",
            pair[1]
        );
        // 96·scale pixels per inch, 0.0254 m to the inch.
        assert_eq!(png.per_metre, (96.0 * scale / 0.0254).round() as u32);
        assert!(
            png.variance > 100.0 && png.inked > 0.01,
            "{} looks blank: grey variance {}, {} of its pixels inked",
            pair[1],
            png.variance,
            png.inked
        );
    }
    expected.iter().map(|name| dir.join(name)).collect()
}
