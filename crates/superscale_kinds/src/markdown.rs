//! The markdown tables a kind writes beside its report (`summary.md`), shown on the report
//! page as the same rows.

use superscale_report::Table;

/// A table of the rows of a markdown table (`| a | b |`, the rule line skipped).
pub fn markdown_table(markdown: &str) -> Table {
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .trim_matches('|')
            .split('|')
            .map(|cell| cell.trim().to_string())
            .collect()
    };
    let mut lines = markdown.lines().filter(|line| !line.trim().is_empty());
    let header = lines.next().map(cells).unwrap_or_default();
    Table {
        header,
        rows: lines.skip(1).map(cells).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_their_cells_and_the_rule_is_skipped() {
        let table = markdown_table("| a | b |\n|---|---|\n| 1 | 2 [0, 3] |\n");
        assert_eq!(table.header, ["a", "b"]);
        assert_eq!(table.rows, [["1", "2 [0, 3]"]]);
    }
}
