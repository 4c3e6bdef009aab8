//! [`Progress`]: how a run reports that it is moving. A bar on a terminal, nothing otherwise.

/// Called after every simulated day.
pub trait Progress {
    fn day(&mut self, done: u32, total: u32, requests: u64);
}

/// Says nothing (tests, pipes, `--json`).
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn day(&mut self, _done: u32, _total: u32, _requests: u64) {}
}

/// A progress bar on standard error.
#[derive(Debug)]
pub struct Bar(indicatif::ProgressBar);

impl Bar {
    pub fn new(days: u32) -> Bar {
        let bar =
            indicatif::ProgressBar::with_draw_target(Some(u64::from(days)), indicatif::ProgressDrawTarget::stderr());
        let style = indicatif::ProgressStyle::with_template("simulating {bar:40} day {pos}/{len} {msg} [{elapsed}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        Bar(bar)
    }
}

impl Progress for Bar {
    fn day(&mut self, done: u32, _total: u32, requests: u64) {
        self.0.set_position(u64::from(done));
        self.0.set_message(format!("{requests} requests"));
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
