//! The CSV reader of `superscale fit` (`superscale_fit::Table`) on arbitrary bytes: reading,
//! then every column as text, numbers, positive numbers and groups, then (when the first two
//! columns are positive numbers) the default power-law fit and its information criteria, as
//! `superscale fit` would on such a file. `Ok` or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use superscale_fit::{fit_law, information_criteria, Form, LawOptions, Points, Table};

fuzz_target!(|data: &[u8]| {
    let Ok(table) = Table::from_bytes("fuzz.csv", data) else {
        return;
    };
    let headers = table.headers().to_vec();
    for column in &headers {
        if let Ok(cells) = table.text(column) {
            assert_eq!(cells.len(), table.len());
        }
        let _ = table.numbers(column);
        let _ = table.positive_numbers(column);
        if let Ok(groups) = table.groups(column) {
            assert!(groups.iter().all(|&g| g < table.len().max(1)));
        }
    }
    for row in 0..table.len() {
        assert!(table.line_of(row).is_some());
    }
    if let [x, y, ..] = headers.as_slice() {
        if let (Ok(x), Ok(y)) = (table.positive_numbers(x), table.positive_numbers(y)) {
            let points = Points::new(x, y);
            if let Ok(fit) = fit_law(Form::Power, &points, &LawOptions::default()) {
                let _ = information_criteria(&fit, &points);
            }
        }
    }
});
