//! `superscale._superscale`: the native module behind the Python package `superscale`
//! (`python/superscale/`), a thin PyO3 layer over the Rust crates (`docs/science/conventions.md`
//! §11–12).
//!
//! Python inputs are extracted into Rust values while the GIL is held; training, fitting and
//! measuring then run with the GIL released. Docstrings (numpy style) are written here and
//! are what `help()` shows; `python/superscale/_superscale.pyi` mirrors them for type
//! checkers and a test keeps the two in step.

mod align;
mod errors;
mod fit;
mod fit_results;
mod measure;
mod runner;
mod spec;
mod study;
mod weights;
mod weights_family;

use pyo3::prelude::*;

/// Native core of superscale: toy models of superposition and neural scaling laws.
#[pymodule]
fn _superscale(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add("SCHEMA_VERSION", superscale_spec::SCHEMA_VERSION)?;
    // The reports' colours, so that `superscale.plot` draws in the same ones.
    let palette: Vec<String> = (0..8)
        .map(|index| superscale_report::palette::hex(superscale_report::palette::color(index)))
        .collect();
    module.add("PALETTE", palette)?;
    module.add(
        "REFERENCE_COLOR",
        superscale_report::palette::hex(superscale_report::palette::REFERENCE),
    )?;
    module.add(
        "GRID_COLOR",
        superscale_report::palette::hex(superscale_report::palette::GRID),
    )?;
    errors::register(module)?;
    module.add_class::<spec::PySpec>()?;
    module.add_class::<study::PyStudy>()?;
    module.add_function(wrap_pyfunction!(runner::run, module)?)?;
    module.add_class::<fit_results::PyLogLogFit>()?;
    module.add_class::<fit_results::PyFittedLaw>()?;
    module.add_class::<fit_results::PyBootstrap>()?;
    module.add_function(wrap_pyfunction!(fit::power_law, module)?)?;
    module.add_function(wrap_pyfunction!(fit::law, module)?)?;
    module.add_function(wrap_pyfunction!(measure::geometry, module)?)?;
    module.add_function(wrap_pyfunction!(measure::dimensionality, module)?)?;
    module.add_function(wrap_pyfunction!(measure::norms, module)?)?;
    module.add_function(wrap_pyfunction!(measure::overlap, module)?)?;
    module.add_function(wrap_pyfunction!(measure::per_feature, module)?)?;
    module.add_function(wrap_pyfunction!(measure::welch, module)?)?;
    module.add_function(wrap_pyfunction!(align::align_pair, module)?)?;
    module.add_function(wrap_pyfunction!(align::align_metrics, module)?)?;
    module.add_function(wrap_pyfunction!(weights::tensors, module)?)?;
    module.add_function(wrap_pyfunction!(weights::metadata, module)?)?;
    module.add_function(wrap_pyfunction!(weights::read, module)?)?;
    module.add_function(wrap_pyfunction!(weights::measure, module)?)?;
    module.add_function(wrap_pyfunction!(weights_family::family, module)?)?;
    Ok(())
}
