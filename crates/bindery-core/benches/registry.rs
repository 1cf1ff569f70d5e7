//! How long indexing and checking the registry takes for a large program.

use bindery_core::{ColumnInfo, ForeignKey, Registry, SqlType, TableInfo};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

/// `n` tables of five columns over three binds, each after the first with a foreign key
/// to an earlier table of its bind: the shape of the bench workload, plus references.
fn generated_tables(n: usize) -> Vec<&'static TableInfo> {
    const BINDS: [Option<&str>; 3] = [None, Some("auth"), Some("shop")];
    (0..n)
        .map(|i| {
            let name: &'static str = format!("bench_t{i}").leak();
            let parent = (i >= 3).then(|| &*format!("bench_t{}", i - 3).leak());
            let columns = vec![
                ColumnInfo {
                    primary_key: true,
                    autoincrement: true,
                    ..ColumnInfo::new("id", SqlType::Integer)
                },
                ColumnInfo::new("name", SqlType::VarChar(64)),
                ColumnInfo {
                    references: parent.map(|table| ForeignKey {
                        table,
                        column: "id",
                    }),
                    ..ColumnInfo::new("qty", SqlType::Integer)
                },
                ColumnInfo::new("price", SqlType::Double),
                ColumnInfo {
                    nullable: true,
                    ..ColumnInfo::new("note", SqlType::VarChar(255))
                },
            ];
            &*Box::leak(Box::new(TableInfo {
                bind_key: BINDS[i % 3],
                columns: columns.leak(),
                ..TableInfo::new(name, format!("bench::Model{i}").leak())
            }))
        })
        .collect()
}

fn registry_index(c: &mut Criterion) {
    let tables = generated_tables(1_000);
    c.bench_function("registry index, 1000 models", |b| {
        b.iter(|| {
            let registry = Registry::from_tables(black_box(&tables).iter().copied());
            assert!(registry.problems().is_empty());
            registry
        })
    });
}

criterion_group!(benches, registry_index);
criterion_main!(benches);
