//! What the store keeps of a Platonic network: its losses, its representation of the probe
//! items (every bit: the analysis of a resumed study reads it back from the store), and its
//! parameters for `--save-weights`.

use super::spec::Network;
use super::train::Trained;
use superscale_store::{
    Array, ArrayColumn, ArrayData, End, RunOutput, Scalar, ScalarColumn, ScalarType, Schema,
    Tensors,
};

/// The scalar columns, in order.
const SCALARS: [&str; 3] = ["test_loss", "normalised_loss", "competence"];

/// What a Platonic network records: its test loss (MSE averaged over tasks), the normalised
/// loss (mean over tasks of MSE_t / Var_t), competence (1 − normalised loss), and its last
/// hidden layer after the ReLU on the probe items (probe × width).
pub fn schema() -> Schema {
    Schema {
        kind: "platonic".into(),
        scalars: SCALARS
            .iter()
            .map(|&name| ScalarColumn {
                name: name.into(),
                kind: ScalarType::Float,
            })
            .collect(),
        curves: Vec::new(),
        arrays: vec![ArrayColumn {
            name: "representation".into(),
            axes: vec!["item".into(), "unit".into()],
            value: "activation".into(),
        }],
        headline: Some("normalised_loss".into()),
    }
}

/// The store's form of a trained network.
pub fn to_output(network: &Network, trained: &Trained, seconds: f64) -> RunOutput {
    let mut tensors = Vec::new();
    let sizes = &trained.layer_sizes;
    let mut offset = 0;
    for (layer, pair) in sizes.windows(2).enumerate() {
        let (input, output) = (pair[0], pair[1]);
        for (name, shape) in [
            (format!("W{layer}"), vec![input, output]),
            (format!("b{layer}"), vec![output]),
        ] {
            let count: usize = shape.iter().product();
            tensors.push((
                name,
                Array {
                    shape,
                    data: ArrayData::F32(trained.parameters[offset..offset + count].to_vec()),
                },
            ));
            offset += count;
        }
    }
    let layers: Vec<String> = sizes.iter().map(usize::to_string).collect();
    RunOutput {
        end: End::Done,
        scalars: vec![
            Scalar::Float(trained.test_loss),
            Scalar::Float(trained.normalised_loss),
            Scalar::Float(trained.competence()),
        ],
        curves: Vec::new(),
        arrays: vec![Array {
            shape: vec![network.probe, network.width],
            data: ArrayData::F64(trained.representation.clone()),
        }],
        weights: Tensors {
            tensors,
            metadata: vec![
                ("cell".into(), network.cell.clone()),
                ("modality".into(), network.modality.to_string()),
                ("layer_sizes".into(), layers.join(",")),
                ("test_loss".into(), trained.test_loss.to_string()),
                (
                    "normalised_loss".into(),
                    trained.normalised_loss.to_string(),
                ),
            ],
        },
        seconds,
    }
}

/// What the analysis reads of a network.
#[derive(Debug, Clone, PartialEq)]
pub struct Readout {
    /// test MSE averaged over tasks
    pub test_loss: f64,
    /// mean of MSE_t / Var_t
    pub normalised_loss: f64,
    /// the probe items' representation, probe × width row-major
    pub representation: Vec<f64>,
}

/// The readout a network's output holds, or why the output is not that network's.
pub fn from_output(network: &Network, output: &RunOutput) -> Result<Readout, String> {
    if output.scalars.len() != SCALARS.len() || output.arrays.len() != 1 {
        return Err(format!(
            "{} scalars and {} arrays where a Platonic network has {} and 1",
            output.scalars.len(),
            output.arrays.len(),
            SCALARS.len()
        ));
    }
    let float = |i: usize| match &output.scalars[i] {
        Scalar::Float(v) => Ok(*v),
        Scalar::Missing => Ok(f64::NAN),
        other => Err(format!("{} holds {other:?}", SCALARS[i])),
    };
    let array = &output.arrays[0];
    let representation = match &array.data {
        ArrayData::F64(values)
            if array.shape == [network.probe, network.width]
                && values.len() == network.probe * network.width =>
        {
            values.clone()
        }
        _ => {
            return Err(format!(
                "the representation is not {} × {} doubles",
                network.probe, network.width
            ))
        }
    };
    Ok(Readout {
        test_loss: float(0)?,
        normalised_loss: float(1)?,
        representation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platonic::WorldSpec;

    #[test]
    fn a_network_round_trips_bit_for_bit() {
        let network = Network {
            cell: "multitask/tasks=2".into(),
            modality: 1,
            world: WorldSpec::default(),
            tasks: 2,
            control: false,
            width: 3,
            depth: 1,
            steps: 1,
            batch_size: 1,
            lr: 1e-3,
            weight_decay: 0.0,
            probe: 2,
            test: 2,
        };
        let sizes = vec![network.world.input_dim, 3, 2];
        let count = sizes.windows(2).map(|p| (p[0] + 1) * p[1]).sum();
        assert_eq!(count, network.parameters());
        let trained = Trained {
            // f32 values widened to f64, as the trunk's ReLU outputs are
            representation: [0.1f32, 0.0, 3.5, 1e-30, 7.25, 0.3]
                .iter()
                .map(|&v| f64::from(v))
                .collect(),
            test_loss: 0.123_456_789_012_345_67,
            normalised_loss: f64::MIN_POSITIVE,
            layer_sizes: sizes,
            parameters: (0..count).map(|i| i as f32 / 7.0).collect(),
        };
        let output = to_output(&network, &trained, 1.5);
        let readout = from_output(&network, &output).unwrap();
        assert_eq!(readout.representation, trained.representation);
        assert_eq!(readout.test_loss.to_bits(), trained.test_loss.to_bits());
        assert_eq!(
            readout.normalised_loss.to_bits(),
            trained.normalised_loss.to_bits()
        );
        // W0, b0, W1, b1 cover the parameters in order.
        let shapes: Vec<_> = output
            .weights
            .tensors
            .iter()
            .map(|(name, array)| (name.as_str(), array.shape.clone()))
            .collect();
        assert_eq!(
            shapes,
            [
                ("W0", vec![32, 3]),
                ("b0", vec![3]),
                ("W1", vec![3, 2]),
                ("b1", vec![2])
            ]
        );
        // Another network's shape is refused, not misread.
        let wider = Network {
            width: 4,
            ..network
        };
        assert!(from_output(&wider, &output).is_err());
    }
}
