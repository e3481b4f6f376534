//! Numeric instructions (being written by the numeric helper).
