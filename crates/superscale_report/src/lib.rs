//! superscale_report
