//! The built `omsync` binary for the CLI cases: a clean environment (only `PATH`) plus what
//! the case sets, so nothing from the developer's shell leaks in.

use std::process::{Command, Output};

#[derive(Debug, Clone, Default)]
pub struct Omsync {
    env: Vec<(String, String)>,
}

impl Omsync {
    pub fn with_env(env: &[(String, String)]) -> Self {
        Omsync { env: env.to_vec() }
    }

    /// Over the database at `url`, without the admin port.
    pub fn at(url: &str) -> Self {
        Omsync::with_env(&[
            ("OMSYNC_DATABASE_URL".into(), url.into()),
            ("OMSYNC_ADMIN__ENABLED".into(), "false".into()),
        ])
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_omsync"));
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    pub fn output(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// Stdout of a run that must succeed.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.output(args);
        assert!(
            out.status.success(),
            "omsync {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}
