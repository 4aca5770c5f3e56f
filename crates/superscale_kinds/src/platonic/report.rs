//! The sections of a Platonic study's report: the protocol in one paragraph, alignment vs
//! the swept variable, the summary tables (raw and calibrated), and the
//! competence–alignment regression (the engine adds the spec and provenance).

use super::analysis::PlatonicAnalysis;
use super::figures::{regression_svg, study_svg};
use super::tables::{regression_csv, summary_markdown};
use crate::markdown::markdown_table;
use superscale_report::{Block, Result, Section, Table};

/// A table of a CSV table's rows (no quoted fields).
fn csv_table(csv: &str) -> Table {
    let cells = |line: &str| line.split(',').map(String::from).collect::<Vec<_>>();
    let mut lines = csv.lines();
    Table {
        header: lines.next().map(cells).unwrap_or_default(),
        rows: lines.map(cells).collect(),
    }
}

fn figure(id: &str, svg: String) -> Block {
    Block::Figure {
        id: id.to_string(),
        svg,
        caption: String::new(),
    }
}

/// The Platonic sections of a study's report.
pub fn sections(result: &PlatonicAnalysis) -> Result<Vec<Section>> {
    let settings = &result.settings;
    let variable = result.hypothesis.variable();
    let protocol = Section::new("Protocol").with(Block::Text(format!(
        "{} seeds per modality and cell; n = {} probe items, k = {}, {} permutations per pair; \
         intervals: 95 % percentile bootstrap over seeds ({} resamples). Reference network: \
         width {}, normalised test loss {:.4}.",
        result.seeds,
        result.probe,
        settings.k,
        settings.permutations,
        settings.bootstrap,
        result.reference_width,
        result.reference_normalised_loss
    )));
    let alignment = Section::new(format!("Alignment vs {variable}"))
        .with(figure("alignment", study_svg(result)?));
    let raw = Section::new("Mean over pairs [95 % CI over seeds]").with(Block::Table(
        markdown_table(&summary_markdown(result, false)),
    ));
    let calibrated = Section::new("Calibrated: (score − null mean)/(1 − null mean)").with(
        Block::Table(markdown_table(&summary_markdown(result, true))),
    );
    let regression = Section::new("Competence–alignment regression")
        .with(Block::Note(
            "Alignment of every modality-0 network to the reference network against its \
             competence 1 − normalised test loss (Huh et al. 2024, Fig. 3): OLS slope with a \
             95 % bootstrap interval over networks; `within_cell` removes each cell's means \
             first."
                .into(),
        ))
        .with(figure("competence-alignment", regression_svg(result)?))
        .with(Block::Table(csv_table(&regression_csv(result))));
    Ok(vec![protocol, alignment, raw, calibrated, regression])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_tables_keep_their_cells() {
        let table = csv_table("x,y\n1,\n");
        assert_eq!(table.header, ["x", "y"]);
        assert_eq!(table.rows, [["1", ""]]);
    }
}
