"""National standards and reference data the whole platform shares; pure functions and data, no I/O."""
