//! Parquet files of export tables, through the `parquet` crate's low-level writer (no
//! arrow: it is all a flat table needs and builds in a fraction of the time). Every column
//! is OPTIONAL; seeds are INT64 annotated as unsigned, text is UTF-8 BYTE_ARRAY.

use crate::error::{io, Error, Result};
use crate::export::{Column, Table, Values};
use parquet::basic::{LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::FileReader;
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use parquet::schema::types::Type;
use std::path::Path;
use std::sync::Arc;

/// Present values and the definition levels (1 present, 0 null) of an optional column.
fn levels<T: Clone>(values: &[Option<T>]) -> (Vec<T>, Vec<i16>) {
    (
        values.iter().flatten().cloned().collect(),
        values.iter().map(|v| i16::from(v.is_some())).collect(),
    )
}

/// Writes `table` to `path`.
pub(crate) fn write(path: &Path, table: &Table) -> Result<()> {
    let encode = |err: parquet::errors::ParquetError| Error::Encode {
        path: path.to_path_buf(),
        message: err.to_string(),
    };
    let fields = table
        .columns
        .iter()
        .map(|column| {
            let (physical, logical) = match column.values {
                Values::Int(_) => (PhysicalType::INT64, None),
                Values::UInt(_) => (
                    PhysicalType::INT64,
                    Some(LogicalType::Integer {
                        bit_width: 64,
                        is_signed: false,
                    }),
                ),
                Values::Float(_) => (PhysicalType::DOUBLE, None),
                Values::Text(_) => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
            };
            Type::primitive_type_builder(&column.name, physical)
                .with_repetition(Repetition::OPTIONAL)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        })
        .collect::<parquet::errors::Result<Vec<_>>>()
        .map_err(encode)?;
    let schema = Arc::new(
        Type::group_type_builder(&table.name)
            .with_fields(fields)
            .build()
            .map_err(encode)?,
    );
    let file = std::fs::File::create(path).map_err(io(path))?;
    let mut writer =
        SerializedFileWriter::new(file, schema, Arc::new(WriterProperties::builder().build()))
            .map_err(encode)?;
    let mut group = writer.next_row_group().map_err(encode)?;
    for column in &table.columns {
        let mut out = group
            .next_column()
            .map_err(encode)?
            .expect("one schema field per column");
        match &column.values {
            Values::Int(v) => {
                let (values, defs) = levels(v);
                out.typed::<Int64Type>()
                    .write_batch(&values, Some(&defs), None)
            }
            Values::UInt(v) => {
                // Stored as the same 64 bits; the logical type tells readers to see u64.
                let (values, defs) = levels(v);
                let values: Vec<i64> = values.into_iter().map(|x| x as i64).collect();
                out.typed::<Int64Type>()
                    .write_batch(&values, Some(&defs), None)
            }
            Values::Float(v) => {
                let v: Vec<Option<f64>> = v.iter().map(|x| x.filter(|x| !x.is_nan())).collect();
                let (values, defs) = levels(&v);
                out.typed::<DoubleType>()
                    .write_batch(&values, Some(&defs), None)
            }
            Values::Text(v) => {
                let (values, defs) = levels(v);
                let values: Vec<ByteArray> = values
                    .into_iter()
                    .map(|s| ByteArray::from(s.into_bytes()))
                    .collect();
                out.typed::<ByteArrayType>()
                    .write_batch(&values, Some(&defs), None)
            }
        }
        .map_err(encode)?;
        out.close().map_err(encode)?;
    }
    group.close().map_err(encode)?;
    writer.close().map_err(encode)?;
    Ok(())
}

/// Reads a Parquet file written by [`crate::export()`] back into a [`Table`] (for tests
/// and round-trip checks).
pub fn read_parquet(path: &Path) -> Result<Table> {
    let invalid = |err: parquet::errors::ParquetError| Error::Corrupt {
        path: path.to_path_buf(),
        message: err.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io(path))?;
    let reader = SerializedFileReader::new(file).map_err(invalid)?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let mut columns: Vec<Column> = schema
        .columns()
        .iter()
        .map(|c| {
            let values = match (c.physical_type(), c.logical_type_ref()) {
                (
                    PhysicalType::INT64,
                    Some(LogicalType::Integer {
                        is_signed: false, ..
                    }),
                ) => Values::UInt(Vec::new()),
                (PhysicalType::INT64, _) => Values::Int(Vec::new()),
                (PhysicalType::DOUBLE, _) => Values::Float(Vec::new()),
                _ => Values::Text(Vec::new()),
            };
            Column {
                name: c.name().to_string(),
                values,
            }
        })
        .collect();
    for row in reader.get_row_iter(None).map_err(invalid)? {
        let row = row.map_err(invalid)?;
        for (column, (_, field)) in columns.iter_mut().zip(row.get_column_iter()) {
            match (&mut column.values, field) {
                (Values::Int(v), Field::Long(x)) => v.push(Some(*x)),
                (Values::UInt(v), Field::ULong(x)) => v.push(Some(*x)),
                (Values::Float(v), Field::Double(x)) => v.push(Some(*x)),
                (Values::Text(v), Field::Str(x)) => v.push(Some(x.clone())),
                (Values::Int(v), _) => v.push(None),
                (Values::UInt(v), _) => v.push(None),
                (Values::Float(v), _) => v.push(None),
                (Values::Text(v), _) => v.push(None),
            }
        }
    }
    Ok(Table {
        name: schema.name().to_string(),
        columns,
    })
}
