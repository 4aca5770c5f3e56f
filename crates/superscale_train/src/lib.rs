//! superscale_train
