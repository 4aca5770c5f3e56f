//! Reading columns of numbers (and group labels) from a CSV file with a header row, with
//! errors that name the file, the line and the column.

use crate::error::{Error, Result};
use std::path::Path;

/// A CSV file held in memory.
#[derive(Debug, Clone)]
pub struct Table {
    path: String,
    headers: Vec<String>,
    /// (one-based line number, cells) per record
    records: Vec<(u64, Vec<String>)>,
}

impl Table {
    /// Read a whole CSV file whose first line names the columns.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path_text = path.as_ref().display().to_string();
        let file = std::fs::File::open(path.as_ref()).map_err(|e| Error::Table {
            path: path_text.clone(),
            row: None,
            column: None,
            message: e.to_string(),
        })?;
        Self::from_reader(path_text, file)
    }

    /// Read a CSV file already in memory, as [`Table::read`] reads a file; `path` is the
    /// name error messages give it. The entry point of the `fit_csv` fuzz target
    /// (`fuzz/`), which runs the reader without touching the file system.
    pub fn from_bytes(path: impl AsRef<Path>, bytes: &[u8]) -> Result<Self> {
        Self::from_reader(path.as_ref().display().to_string(), bytes)
    }

    fn from_reader(path_text: String, source: impl std::io::Read) -> Result<Self> {
        let problem = |row: Option<u64>, message: String| Error::Table {
            path: path_text.clone(),
            row,
            column: None,
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(source);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| problem(Some(1), e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect();
        // A column asked for by name must be one column: taking the first of two columns of
        // the same name would fit whichever the writer of the file put first, silently.
        for (second, name) in headers.iter().enumerate() {
            if let Some(first) = headers[..second].iter().position(|h| h == name) {
                return Err(Error::Table {
                    path: path_text.clone(),
                    row: Some(1),
                    column: Some(name.clone()),
                    message: format!(
                        "the header names two columns '{name}' (columns {} and {}); \
                         rename one so that a column name picks one column",
                        first + 1,
                        second + 1
                    ),
                });
            }
        }
        let mut records = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map(|p| p.line());
                problem(line, e.to_string())
            })?;
            let line = record.position().map_or(0, |p| p.line());
            records.push((line, record.iter().map(str::to_string).collect()));
        }
        Ok(Self {
            path: path_text,
            headers,
            records,
        })
    }

    /// The column names, in file order.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no data rows.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    fn index(&self, column: &str) -> Result<usize> {
        self.headers
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| Error::Table {
                path: self.path.clone(),
                row: Some(1),
                column: Some(column.to_string()),
                message: format!("no such column; the header has {:?}", self.headers),
            })
    }

    /// The cells of `column` as text.
    pub fn text(&self, column: &str) -> Result<Vec<String>> {
        let index = self.index(column)?;
        Ok(self
            .records
            .iter()
            .map(|(_, cells)| cells[index].clone())
            .collect())
    }

    /// The cells of `column` as finite numbers.
    pub fn numbers(&self, column: &str) -> Result<Vec<f64>> {
        let index = self.index(column)?;
        self.records
            .iter()
            .map(|(line, cells)| {
                let cell = &cells[index];
                match cell.parse::<f64>() {
                    Ok(value) if value.is_finite() => Ok(value),
                    _ => Err(Error::Table {
                        path: self.path.clone(),
                        row: Some(*line),
                        column: Some(column.to_string()),
                        message: format!("'{cell}' is not a finite number"),
                    }),
                }
            })
            .collect()
    }

    /// The cells of `column` as positive finite numbers (their logarithms will be taken).
    pub fn positive_numbers(&self, column: &str) -> Result<Vec<f64>> {
        let values = self.numbers(column)?;
        match values.iter().position(|&v| v <= 0.0) {
            None => Ok(values),
            Some(row) => Err(Error::Table {
                path: self.path.clone(),
                row: self.line_of(row),
                column: Some(column.to_string()),
                message: format!("{} must be positive (its logarithm is taken)", values[row]),
            }),
        }
    }

    /// Dense group labels 0, 1, … for the distinct texts of `column`, in order of appearance
    /// (for the grouped bootstrap).
    pub fn groups(&self, column: &str) -> Result<Vec<usize>> {
        let mut seen: Vec<String> = Vec::new();
        Ok(self
            .text(column)?
            .into_iter()
            .map(|label| match seen.iter().position(|s| *s == label) {
                Some(k) => k,
                None => {
                    seen.push(label);
                    seen.len() - 1
                }
            })
            .collect())
    }

    /// The line number in the file of data row `row` (zero-based), for error messages.
    pub fn line_of(&self, row: usize) -> Option<u64> {
        self.records.get(row).map(|(line, _)| *line)
    }

    /// The file this table was read from.
    pub fn path(&self) -> &str {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("superscale_fit_table_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn columns_and_groups_are_read() {
        let path = write("good.csv", "n, loss ,run\n1,2.5,a\n10,2.0,b\n100,1.5,a\n");
        let table = Table::read(&path).unwrap();
        assert_eq!(table.numbers("loss").unwrap(), vec![2.5, 2.0, 1.5]);
        assert_eq!(table.groups("run").unwrap(), vec![0, 1, 0]);
        assert_eq!(table.line_of(2), Some(4));
    }

    #[test]
    fn bytes_are_read_as_the_file_is() {
        let text = "n, loss ,run\n1,2.5,a\n10,2.0,b\n";
        let from_file = Table::read(write("same.csv", text)).unwrap();
        let from_bytes = Table::from_bytes("same.csv", text.as_bytes()).unwrap();
        assert_eq!(from_bytes.headers(), from_file.headers());
        assert_eq!(
            from_bytes.text("run").unwrap(),
            from_file.text("run").unwrap()
        );
        assert_eq!(from_bytes.line_of(1), from_file.line_of(1));
        let message = Table::from_bytes("mem.csv", b"n,loss\n1,2.5\n10\n")
            .unwrap_err()
            .to_string();
        assert!(message.contains("mem.csv, line 3"), "{message}");
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let path = write("bad.csv", "n,loss\n1,2.5\n10,oops\n");
        let table = Table::read(&path).unwrap();
        let message = table.numbers("loss").unwrap_err().to_string();
        assert!(
            message.contains("bad.csv") && message.contains("line 3"),
            "{message}"
        );
        assert!(
            message.contains("column 'loss'") && message.contains("oops"),
            "{message}"
        );
        let negative = write("negative.csv", "n,loss\n1,2.5\n-10,2\n");
        let message = Table::read(&negative)
            .unwrap()
            .positive_numbers("n")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("line 3, column 'n'") && message.contains("positive"),
            "{message}"
        );
        let missing = table.numbers("tokens").unwrap_err().to_string();
        assert!(
            missing.contains("no such column") && missing.contains("tokens"),
            "{missing}"
        );
        let ragged = write("ragged.csv", "n,loss\n1,2.5\n10\n");
        let message = Table::read(&ragged).unwrap_err().to_string();
        assert!(
            message.contains("ragged.csv") && message.contains("line 3"),
            "{message}"
        );
        let twice = write("twice.csv", "n,loss,run,loss\n1,2.5,a,3.0\n");
        let message = Table::read(&twice).unwrap_err().to_string();
        assert!(
            message.contains("twice.csv, line 1, column 'loss'")
                && message.contains("columns 2 and 4"),
            "{message}"
        );
        assert!(Table::read("/nonexistent/file.csv")
            .unwrap_err()
            .to_string()
            .contains("/nonexistent"));
    }
}
