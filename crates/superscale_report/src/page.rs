//! The report page: sections of text, figures and tables, rendered as one self-contained
//! HTML file (inline SVG and CSS, no scripts, no network) that opens offline.

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A table: a header row and rows of cells, all plain text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// column titles
    pub header: Vec<String>,
    /// rows, each as long as the header
    pub rows: Vec<Vec<String>>,
}

/// A piece of a section.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// a paragraph of plain text (escaped when rendered)
    Text(String),
    /// a note in smaller print (escaped)
    Note(String),
    /// markup made by this crate's builders or a kind's own figure code (not escaped:
    /// never pass user text here unescaped)
    Markup(String),
    /// an SVG figure (from [`crate::chart`]) with a caption (escaped)
    Figure {
        /// the figure's name among the study's figures (`loss-vs-width`), its anchor
        /// (`fig-loss-vs-width`) and the name a study declares it by (empty: none)
        id: String,
        /// the SVG text
        svg: String,
        /// what it shows
        caption: String,
    },
    /// the names of the figures the study's design calls for (worked out from its
    /// experiment, before looking at the results), written into the page unseen so a
    /// test can check that each is drawn
    Declares(Vec<String>),
    /// a table
    Table(Table),
    /// preformatted text, such as the experiment file (escaped)
    Code(String),
}

/// A titled section of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// the heading
    pub title: String,
    /// the anchor, for links from other sections and hover text
    pub id: String,
    /// its content in order
    pub blocks: Vec<Block>,
}

impl Section {
    /// An empty section; the anchor is derived from the title.
    pub fn new(title: impl Into<String>) -> Self {
        let title = title.into();
        let id = file_name(&title);
        Self {
            title,
            id,
            blocks: Vec::new(),
        }
    }

    /// Adds a block.
    pub fn with(mut self, block: Block) -> Self {
        self.blocks.push(block);
        self
    }

    /// Adds a figure named `id` (see [`Block::Figure`]) without a caption.
    pub fn figure(&mut self, id: &str, svg: String) {
        self.blocks.push(Block::Figure {
            id: id.to_string(),
            svg,
            caption: String::new(),
        });
    }

    /// Adds a block in place.
    pub fn push(&mut self, block: Block) {
        self.blocks.push(block);
    }
}

/// A whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// the title (the study's name)
    pub title: String,
    /// the study's description
    pub description: String,
    /// its sections in order
    pub sections: Vec<Section>,
    /// the closing line (version, files beside the page)
    pub footer: String,
}

/// A figure of a page as a file of its own would hold it (see [`Page::figures`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// its name: the figure's id in the report where it has one (`loss-vs-width`), made
    /// unique on the page and safe as a file name (lower-case letters, digits, `-`)
    pub id: String,
    /// what it shows: its caption, else the title of its section
    pub title: String,
    /// the SVG text, as inlined in the page
    pub svg: String,
}

impl Page {
    /// Every figure of the page in order, for writing each one as a file of its own
    /// ([`crate::export`]): the blocks that hold an SVG, whatever kind of study drew them
    /// (a builder that found nothing to draw leaves a sentence, which is not a figure).
    /// A figure without an id is named after its section (`universality-figure`); a name
    /// met twice gets `-2`, `-3`, … in page order, so names are stable for a given study.
    pub fn figures(&self) -> Vec<Figure> {
        let mut figures: Vec<Figure> = Vec::new();
        for section in &self.sections {
            for block in &section.blocks {
                let Block::Figure { id, svg, caption } = block else {
                    continue;
                };
                if !svg.trim_start().starts_with("<svg") {
                    continue;
                }
                let base = match file_name(id) {
                    name if name.is_empty() => match file_name(&section.id) {
                        section if section.is_empty() => "figure".to_string(),
                        section => format!("{section}-figure"),
                    },
                    name => name,
                };
                let mut name = base.clone();
                let mut count = 1;
                while figures.iter().any(|f| f.id == name) {
                    count += 1;
                    name = format!("{base}-{count}");
                }
                figures.push(Figure {
                    id: name,
                    title: if caption.is_empty() {
                        section.title.clone()
                    } else {
                        caption.clone()
                    },
                    svg: svg.clone(),
                });
            }
        }
        figures
    }
}

/// `text` as a file name of lower-case ASCII letters, digits and single `-`.
fn file_name(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1180px;margin:2em auto;color:#222}\
figure{display:inline-block;margin:0.5em;vertical-align:top}figcaption{font-size:13px;color:#555;max-width:560px}\
table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}\
th{background:#f3f3f3}pre{background:#f7f7f7;padding:1em;overflow:auto}.note{color:#555;font-size:14px}\
nav a{margin-right:1em}";

fn render_table(table: &Table) -> String {
    let mut html = String::from("<table><tr>");
    for cell in &table.header {
        html += &format!("<th>{}</th>", escape(cell));
    }
    html += "</tr>\n";
    for row in &table.rows {
        html += "<tr>";
        for cell in row {
            html += &format!("<td>{}</td>", escape(cell));
        }
        html += "</tr>\n";
    }
    html + "</table>"
}

fn render_block(block: &Block) -> String {
    match block {
        Block::Text(text) => format!("<p>{}</p>", escape(text)),
        Block::Note(text) => format!("<p class=note>{}</p>", escape(text)),
        Block::Markup(markup) => markup.clone(),
        // A figure builder that found nothing to draw returns a sentence instead of an
        // SVG: it is shown as that sentence, not as a figure.
        Block::Figure { svg, .. } if !svg.trim_start().starts_with("<svg") => svg.clone(),
        Block::Figure { id, svg, caption } => {
            let anchor = if id.is_empty() {
                String::new()
            } else {
                format!(" id=\"fig-{0}\" data-figure=\"{0}\"", escape(id))
            };
            if caption.is_empty() {
                format!("<figure{anchor}>{svg}</figure>")
            } else {
                format!(
                    "<figure{anchor}>{svg}<figcaption>{}</figcaption></figure>",
                    escape(caption)
                )
            }
        }
        Block::Declares(names) => format!(
            "<div hidden class=\"declared-figures\" data-figures=\"{}\"></div>",
            escape(&names.join(" "))
        ),
        Block::Table(table) => render_table(table),
        Block::Code(text) => format!("<pre>{}</pre>", escape(text)),
    }
}

/// The page as one self-contained HTML document.
pub fn render(page: &Page) -> String {
    let mut html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>superscale: {title}</title><style>{STYLE}</style></head><body>\n\
         <h1>superscale report: {title}</h1>\n",
        title = escape(&page.title)
    );
    if !page.description.is_empty() {
        html += &format!("<p>{}</p>\n", escape(&page.description));
    }
    if page.sections.len() > 2 {
        html += "<nav>";
        for section in &page.sections {
            html += &format!("<a href=\"#{}\">{}</a>", section.id, escape(&section.title));
        }
        html += "</nav>\n";
    }
    for section in &page.sections {
        html += &format!(
            "<h2 id=\"{}\">{}</h2>\n",
            section.id,
            escape(&section.title)
        );
        for block in &section.blocks {
            html += &render_block(block);
            html.push('\n');
        }
    }
    if !page.footer.is_empty() {
        html += &format!("<p class=note>{}</p>\n", escape(&page.footer));
    }
    html + "</body></html>\n"
}

/// A short HTML view of a page for a notebook cell (Jupyter's `_repr_html_`): the title,
/// `status` (plain text, such as the runs done and failed), the key table (the first table
/// outside the sections named in `skip`, at most `max_rows` rows) and the main figure (the
/// first figure). Self-contained like the page: inline SVG, no scripts.
pub fn preview(page: &Page, status: &str, skip: &[&str], max_rows: usize) -> String {
    let mut html = format!(
        "<div class=\"superscale-study\"><p><b>{}</b> — {}</p>\n",
        escape(&page.title),
        escape(status)
    );
    let blocks = || {
        page.sections
            .iter()
            .filter(|s| !skip.contains(&s.title.as_str()))
            .flat_map(|s| s.blocks.iter())
    };
    if let Some(table) = blocks().find_map(|b| match b {
        Block::Table(table) => Some(table),
        _ => None,
    }) {
        let shown = Table {
            header: table.header.clone(),
            rows: table.rows.iter().take(max_rows).cloned().collect(),
        };
        html += &render_table(&shown);
        if table.rows.len() > max_rows {
            html += &format!("<p><em>{} of {} rows</em></p>", max_rows, table.rows.len());
        }
        html.push('\n');
    }
    if let Some(figure) = blocks().find(|b| matches!(b, Block::Figure { .. })) {
        html += &render_block(figure);
        html.push('\n');
    }
    html + "</div>"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped_and_anchors_are_plain() {
        let page = Page {
            title: "a<b".into(),
            description: "x & \"y\"".into(),
            sections: vec![Section::new("Runs & <fits>").with(Block::Text("<script>".into()))],
            footer: String::new(),
        };
        let html = render(&page);
        assert!(html.contains("a&lt;b") && html.contains("x &amp; &quot;y&quot;"));
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
        assert!(html.contains("id=\"runs-fits\""), "{html}");
    }

    #[test]
    fn figures_are_listed_with_unique_file_names_and_sentences_left_out() {
        let mut first = Section::new("Loss & width");
        first.figure("loss-vs-width", "<svg>a</svg>".into());
        first.figure("", "<svg>b</svg>".into());
        first.push(Block::Figure {
            id: "loss-vs-width".into(),
            svg: "<svg>c</svg>".into(),
            caption: "the same name again".into(),
        });
        first.figure("row-norms", "No run kept its weights.".into());
        let mut second = Section::new("Feature vectors (W_i)");
        second.figure("Phase Diagram/γ", " <svg>d</svg>".into());
        second.figure("", "<svg>e</svg>".into());
        let page = Page {
            title: "t".into(),
            description: String::new(),
            sections: vec![
                first,
                Section::new("Runs").with(Block::Text("x".into())),
                second,
            ],
            footer: String::new(),
        };
        let figures = page.figures();
        let names: Vec<&str> = figures.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            names,
            [
                "loss-vs-width",
                "loss-width-figure",
                "loss-vs-width-2",
                "phase-diagram",
                "feature-vectors-w-i-figure"
            ]
        );
        let titles: Vec<&str> = figures.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Loss & width",
                "Loss & width",
                "the same name again",
                "Feature vectors (W_i)",
                "Feature vectors (W_i)"
            ]
        );
        assert_eq!(figures[3].svg, " <svg>d</svg>");
    }

    #[test]
    fn a_preview_shows_the_key_table_and_the_main_figure() {
        let table = |rows: usize| Table {
            header: vec!["γ".into()],
            rows: (0..rows).map(|k| vec![k.to_string()]).collect(),
        };
        let mut figures = Section::new("Figures");
        figures.figure("loss-vs-width", "<svg>main</svg>".into());
        figures.figure("loss-curves", "<svg>second</svg>".into());
        let page = Page {
            title: "flag<ship>".into(),
            description: String::new(),
            sections: vec![
                Section::new("Runs").with(Block::Table(table(3))),
                Section::new("Model exponents").with(Block::Table(table(30))),
                figures,
            ],
            footer: String::new(),
        };
        let html = preview(&page, "12 of 12 runs done", &["Runs"], 5);
        assert!(html.contains("flag&lt;ship&gt;") && html.contains("12 of 12 runs done"));
        assert!(
            html.contains("<td>4</td>") && !html.contains("<td>5</td>"),
            "{html}"
        );
        assert!(html.contains("5 of 30 rows"));
        assert!(html.contains("<svg>main</svg>") && !html.contains("second"));
    }
}
