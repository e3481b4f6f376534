//! The printed table and the JSON lines.

use std::fmt::Write as _;

use crate::floors::Floor;
use crate::measure::{Stats, format_ns};

/// One runtime's column of one row.
pub enum Column {
    /// Per-operation times over the counted repetitions.
    Measured(Stats),
    /// Why there is no number (never a made-up one).
    NotAvailable(String),
}

impl Column {
    fn median(&self) -> Option<f64> {
        match self {
            Column::Measured(stats) => Some(stats.median),
            Column::NotAvailable(_) => None,
        }
    }

    /// "median" and "min–max" cells.
    fn cells(&self) -> (String, String) {
        match self {
            Column::Measured(s) => (
                format_ns(s.median),
                format!("{}–{}", format_ns(s.min), format_ns(s.max)),
            ),
            Column::NotAvailable(_) => ("n/a".to_owned(), String::new()),
        }
    }
}

/// One benchmark's outcome on both runtimes.
pub struct Row {
    /// The benchmark.
    pub name: &'static str,
    /// What one operation is.
    pub per: &'static str,
    /// weft's times.
    pub weft: Column,
    /// wasmtime's times.
    pub wasmtime: Column,
    /// The native reference for this benchmark and its times, if it has one.
    pub floor: Option<(&'static Floor, Column)>,
}

impl Row {
    /// weft's median over wasmtime's: below 1 means weft is faster.
    fn ratio(&self) -> Option<f64> {
        Some(self.weft.median()? / self.wasmtime.median()?)
    }
}

/// The rows so far.
pub struct Table {
    rows: Vec<Row>,
}

const HEADER: [&str; 7] = [
    "benchmark",
    "per",
    "weft",
    "weft min–max",
    "wasmtime",
    "wasmtime min–max",
    "weft/wasmtime",
];

fn line(cells: [&str; 7]) -> String {
    format!(
        "{:<21} {:<12} {:>10} {:<21} {:>10} {:<21} {:>13}",
        cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6]
    )
}

impl Table {
    /// An empty table.
    pub fn new() -> Table {
        Table { rows: Vec::new() }
    }

    /// Prints the column titles.
    pub fn print_header(&self) {
        println!("{}", line(HEADER));
    }

    /// Prints one row, and under it why a column has no number.
    pub fn print_row(&self, row: &Row) {
        let (weft, weft_range) = row.weft.cells();
        let (wasmtime, wasmtime_range) = row.wasmtime.cells();
        let ratio = row.ratio().map_or("n/a".to_owned(), |r| format!("{r:.2}x"));
        println!(
            "{}",
            line([
                row.name,
                row.per,
                &weft,
                &weft_range,
                &wasmtime,
                &wasmtime_range,
                &ratio
            ])
        );
        for (runtime, column) in [("weft", &row.weft), ("wasmtime", &row.wasmtime)] {
            if let Column::NotAvailable(reason) = column {
                println!("    {runtime} n/a: {reason}");
            }
        }
    }

    /// Keeps a printed row for the floors and the JSON output.
    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// Prints the reference rows of the benchmarks that had one, with how
    /// far each runtime's median is above the floor.
    pub fn print_floors(&self) {
        let with_floor: Vec<_> = self
            .rows
            .iter()
            .filter_map(|row| Some((row, row.floor.as_ref()?)))
            .collect();
        if with_floor.is_empty() {
            return;
        }
        println!(
            "\n{:<21} {:<12} {:>10} {:<21} {:>10} {:>14}",
            "reference (native)", "per", "median", "min–max", "weft/floor", "wasmtime/floor"
        );
        for (row, (floor, column)) in with_floor {
            let (median, range) = column.cells();
            let above = |runtime: &Column| match (runtime.median(), column.median()) {
                (Some(runtime), Some(floor)) => format!("{:.2}x", runtime / floor),
                _ => "n/a".to_owned(),
            };
            println!(
                "{:<21} {:<12} {:>10} {:<21} {:>10} {:>14}   (floor of {})",
                floor.name,
                floor.per,
                median,
                range,
                above(&row.weft),
                above(&row.wasmtime),
                row.name,
            );
            if let Column::NotAvailable(reason) = column {
                println!("    n/a: {reason}");
            }
        }
    }

    /// One JSON object per line with exactly `name`, `weft_ns`,
    /// `wasmtime_ns` and `ratio`; a missing number is `null`.
    pub fn json_lines(&self) -> String {
        let number = |value: Option<f64>| value.map_or("null".to_owned(), |v| format!("{v:.3}"));
        let mut out = String::new();
        for row in &self.rows {
            // Names are fixed identifiers ([a-z_]), so they need no escaping.
            let _ = writeln!(
                out,
                "{{\"name\":\"{}\",\"weft_ns\":{},\"wasmtime_ns\":{},\"ratio\":{}}}",
                row.name,
                number(row.weft.median()),
                number(row.wasmtime.median()),
                number(row.ratio().map(|r| (r * 1000.0).round() / 1000.0)),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_exactly_the_four_fields() {
        let mut table = Table::new();
        let stats = |median| Stats {
            median,
            min: median,
            max: median,
        };
        table.push(Row {
            name: "fib",
            per: "call",
            weft: Column::Measured(stats(150.0)),
            wasmtime: Column::Measured(stats(100.0)),
            floor: None,
        });
        table.push(Row {
            name: "sieve",
            per: "call",
            weft: Column::NotAvailable("not built".to_owned()),
            wasmtime: Column::Measured(stats(7.5)),
            floor: None,
        });
        assert_eq!(
            table.json_lines(),
            "{\"name\":\"fib\",\"weft_ns\":150.000,\"wasmtime_ns\":100.000,\"ratio\":1.500}\n\
             {\"name\":\"sieve\",\"weft_ns\":null,\"wasmtime_ns\":7.500,\"ratio\":null}\n"
        );
    }
}
