// Intentionally empty: this crate only pins upstream artifacts (see Cargo.toml).
