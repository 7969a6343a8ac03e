//! Fixture replay on wiremock and the conformance suite, written once and run by every
//! connector crate against its own fixtures (`tests/conformance.rs`:
//! `connector_testkit::conformance_suite!(MyFactory);`).

pub mod conformance;
pub mod logs;
pub mod replay;

pub use replay::{
    fixtures_root, mount, mount_for_serving, mount_for_serving_slowly, mount_loaded, Expect,
    LoadedScenario, ReplayError,
};
