//! The capability tables: every feature at every width, every feature's profile over the
//! widths, and every width's counts (`capability_*.csv`).

use super::{Regime, CAPABLE_BELOW};

fn show(value: Option<usize>) -> String {
    value.map_or(String::new(), |v| v.to_string())
}

/// `capability_features.csv`, `capability_widths.csv` and `capability_profiles.csv`.
pub(crate) fn tables(regimes: &[Regime]) -> Vec<(String, String)> {
    let mut features = String::from("regime,width,feature,frequency,active_error,active_energy,relative_error,inactive_error,capable\n");
    let mut widths = String::from("regime,width,n_capable,n_represented,mean_relative_error,loss_heldout_n_mse,loss_from_features_n_mse\n");
    let mut profiles =
        String::from("regime,feature,frequency,capable_width,last_chance_width,single_drop\n");
    for regime in regimes {
        let quoted = format!("\"{}\"", regime.label);
        for (k, model) in regime.models.iter().enumerate() {
            let e = &model.errors;
            let relative = e.relative_error();
            for (i, &p) in regime.frequencies.iter().enumerate() {
                features += &format!(
                    "{quoted},{},{i},{p},{},{},{},{},{}\n",
                    model.width,
                    e.active_error[i],
                    e.active_energy[i],
                    relative[i],
                    e.inactive_error[i],
                    relative[i] < CAPABLE_BELOW
                );
            }
            widths += &format!(
                "{quoted},{},{},{},{},{},{}\n",
                model.width,
                regime.sweep.n_capable[k],
                model.represented,
                regime.sweep.mean_relative_error[k],
                model.loss_heldout,
                e.loss(&regime.frequencies)
            );
        }
        for f in &regime.sweep.features {
            profiles += &format!(
                "{quoted},{},{},{},{},{}\n",
                f.feature,
                f.frequency,
                show(f.capable_width),
                show(f.last_chance_width),
                f.single_drop
            );
        }
    }
    [
        ("capability_features.csv", features),
        ("capability_widths.csv", widths),
        ("capability_profiles.csv", profiles),
    ]
    .into_iter()
    .map(|(name, contents)| (name.to_string(), contents))
    .collect()
}
