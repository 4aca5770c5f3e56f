//! superscale_models
