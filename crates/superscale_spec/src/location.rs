//! Byte offsets to lines, and dotted field paths to the line that sets them.

/// 1-based (line, column) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |newline| before.len() - newline - 1)
        + 1;
    (line, column)
}

/// The line of the key at `dotted` (e.g. "model.n_hidden"), or of its nearest enclosing
/// table when the key itself is absent (a default value), or line 1. Public so that other
/// spec formats (`superscale quanta`, `superscale platonic`) name lines the same way.
pub fn line_of(text: &str, dotted: &str) -> usize {
    let parts: Vec<&str> = dotted.split('.').collect();
    line_of_parts(text, &parts)
}

/// The line of the key at `parts` (keys that may themselves contain dots, such as the
/// quoted `"model.n_hidden"` of a `[sweep]` table), with the same fallbacks as [`line_of`].
pub(crate) fn line_of_parts(text: &str, parts: &[&str]) -> usize {
    let Ok(document) = toml_edit::ImDocument::parse(text.to_string()) else {
        return 1;
    };
    let mut table: &dyn toml_edit::TableLike = document.as_table();
    let mut line = 1;
    for part in parts {
        let Some((key, item)) = table.get_key_value(part) else {
            break;
        };
        if let Some(span) = key.span().or_else(|| item.span()) {
            line = line_column(text, span.start).0;
        }
        match item.as_table_like() {
            Some(inner) => table = inner,
            None => break,
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_keys_and_tables() {
        let text = "name = \"x\"\n\n[model]\nvariant = \"a\"\nn_hidden = 5\n[sweep]\n\"model.n_hidden\" = [1, 2]\n";
        assert_eq!(line_of(text, "model.n_hidden"), 5);
        assert_eq!(line_of(text, "model.alpha"), 3);
        assert_eq!(line_of_parts(text, &["sweep", "model.n_hidden"]), 7);
        assert_eq!(line_of(text, "nothing"), 1);
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 12), (3, 1));
    }
}
