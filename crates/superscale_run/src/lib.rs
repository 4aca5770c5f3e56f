//! superscale_run
