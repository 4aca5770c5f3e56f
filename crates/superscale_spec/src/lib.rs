//! superscale_spec
