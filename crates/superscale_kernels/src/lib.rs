//! superscale_kernels
