//! CSV imports: every import reads its file the same way (UTF-8, optional BOM, a header in
//! any order and case, quoted fields) and reports every bad line with its number; callers
//! write nothing unless every line is good.

use std::collections::HashSet;

use serde::Serialize;

use super::StoreError;

/// One bad line of a CSV import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1 is the header.
    pub line: u64,
    pub message: String,
}

/// A refused CSV import: nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Every bad line, in file order.
    #[error("{} bad line(s) in the CSV; nothing was imported", .0.len())]
    Rows(Vec<RowError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Store(e.into())
    }
}

/// One data line: its cells in the caller's column order ("" for a column the file lacks),
/// trimmed.
#[derive(Debug)]
pub(crate) struct CsvRow {
    pub(crate) line: u64,
    pub(crate) cells: Vec<String>,
}

impl CsvRow {
    pub(crate) fn error(&self, message: String) -> RowError {
        RowError {
            line: self.line,
            message,
        }
    }
}

/// Reads a CSV file with a header naming some of `columns` (case-insensitive, any order, all
/// of `required`). UTF-8, with or without a BOM; quoted fields. A header that does not fit
/// fails at once; bad data lines come back beside the good ones.
pub(crate) fn read_csv(
    bytes: &[u8],
    columns: &[&str],
    required: &[&str],
) -> Result<(Vec<CsvRow>, Vec<RowError>), ImportError> {
    let fail = |line: u64, message: String| ImportError::Rows(vec![RowError { line, message }]);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            return Err(fail(line as u64, "the file is not UTF-8 text".into()));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = match reader.headers() {
        Ok(h) if h.iter().any(|c| !c.is_empty()) => h.clone(),
        Ok(_) => {
            return Err(fail(
                1,
                format!("a header line is required: {}", columns.join(",")),
            ))
        }
        Err(e) => return Err(fail(1, format!("unreadable header: {e}"))),
    };
    // For each column of the file, its index in `columns`.
    let mut positions: Vec<usize> = Vec::with_capacity(header.len());
    let mut present: HashSet<usize> = HashSet::new();
    let mut problems: Vec<String> = Vec::new();
    for name in header.iter() {
        let name = name.to_lowercase();
        match columns.iter().position(|c| *c == name) {
            Some(i) if !present.insert(i) => problems.push(format!("column {name} appears twice")),
            Some(i) => positions.push(i),
            None => problems.push(format!(
                "unknown column `{name}` (the columns are {})",
                columns.join(", ")
            )),
        }
    }
    for r in required {
        if let Some(i) = columns.iter().position(|c| c == r) {
            if !present.contains(&i) {
                problems.push(format!("the header lacks the required column {r}"));
            }
        }
    }
    if !problems.is_empty() {
        return Err(fail(1, problems.join("; ")));
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(text, p));
                errors.push(RowError {
                    line,
                    message: format!("unreadable line: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(text, p));
        if record.len() != positions.len() {
            errors.push(RowError {
                line,
                message: format!(
                    "expected {} fields as in the header, found {}",
                    positions.len(),
                    record.len()
                ),
            });
            continue;
        }
        let mut cells = vec![String::new(); columns.len()];
        for (value, i) in record.iter().zip(&positions) {
            value.clone_into(&mut cells[*i]);
        }
        rows.push(CsvRow { line, cells });
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(fail(1, "the file has no rows after the header".into()));
    }
    Ok((rows, errors))
}

/// The line a record starts on, counted in the text itself: the reader's own count skips
/// blank lines, and its position may point at the blank lines before the record.
fn line_at(text: &str, at: &csv::Position) -> u64 {
    let bytes = text.as_bytes();
    let mut start = usize::try_from(at.byte())
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
        start += 1;
    }
    1 + bytes[..start].iter().filter(|b| **b == b'\n').count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_header_is_free_in_order_and_case_and_a_bom_is_skipped() {
        let text = "\u{feff}Quantity, PLATFORM_SKU ,system_sku\n2,\"A,1\",MUG\n\n 3 ,B, LID\n";
        let (rows, errors) = read_csv(
            text.as_bytes(),
            &["platform_sku", "system_sku", "quantity"],
            &["platform_sku"],
        )
        .unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].cells, ["A,1", "MUG", "2"]);
        assert_eq!(rows[1].line, 4);
        assert_eq!(rows[1].cells, ["B", "LID", "3"]);
    }

    #[test]
    fn csv_header_problems_are_line_one() {
        let err = read_csv(b"sku,colour\n", &["sku", "name"], &["sku", "name"]).unwrap_err();
        let ImportError::Rows(rows) = err else {
            panic!("{err}")
        };
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 1);
        assert!(
            rows[0].message.contains("unknown column `colour`"),
            "{}",
            rows[0].message
        );
        assert!(
            rows[0].message.contains("required column name"),
            "{}",
            rows[0].message
        );
        let err = read_csv(b"sku,name\nA,\xff\n", &["sku", "name"], &["sku"]).unwrap_err();
        assert!(
            matches!(&err, ImportError::Rows(r) if r[0].line == 2),
            "{err:?}"
        );
    }
}
