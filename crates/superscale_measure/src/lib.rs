//! superscale_measure
