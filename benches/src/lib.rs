//! The benchmark beside raw baselines lives in `benches/ratios`; run it with
//! `cargo bench -p monotable-benches`. This library is empty.
