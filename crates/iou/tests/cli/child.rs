//! What the tests that start `iou serve` share: its stdout as lines arriving on a channel.

use std::io::{BufRead, BufReader};
use std::process::Child;
use std::sync::mpsc;

/// The child's stdout, line by line, read on a thread of its own: a test waits for a line with a
/// timeout and is never blocked by a server that prints nothing more (a restarted store prints
/// no token line, a killed one nothing at all).
pub fn stdout_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    received
}

/// What follows `prefix` on the first line `iou serve` prints (its address), waiting up to a
/// minute for it.
pub fn first_line_after(received: &mpsc::Receiver<String>, prefix: &str) -> String {
    let first = received
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("iou serve prints its address");
    first
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned()
}

/// The key file text (`IOU_KEYS`) every `iou serve` of this test process runs with: generated
/// once, so a restart opens what an earlier start sealed.
pub fn keys_json() -> &'static str {
    static KEYS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| vault::Keyring::generate().unwrap().to_json())
}
