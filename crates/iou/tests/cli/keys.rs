//! `iou keys` and the key file end to end: `init` writes a 0600 file and never overwrites one;
//! `serve` refuses to start without keys (and says how to make them); a store served with a
//! key file, rotated with `iou keys rotate`, serves again with the rotated file, its sealed
//! values now under the new key.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

const ADMIN: &str = "keys-test-admin-token-0123456789";

fn iou(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iou"))
        .args(args)
        .env_remove("IOU_KEYS")
        .env_remove("IOU_KEY_FILE")
        .env("RUST_LOG", "off")
        .output()
        .expect("iou runs")
}

fn serve(data: &Path, key_file: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iou"))
        .args(["serve", "--listen", "127.0.0.1:0", "--partitions", "2", "--data"])
        .arg(data)
        .arg("--key-file")
        .arg(key_file)
        .env_remove("IOU_KEYS")
        .env("IOU_ADMIN_TOKEN", ADMIN)
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("iou serve starts");
    let received = crate::child::stdout_lines(&mut child);
    let addr = crate::child::first_line_after(&received, "listening on http://");
    (child, addr)
}

fn stop(mut child: Child) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    assert!(child.wait().expect("iou serve exits").success());
}

fn register_merchant(addr: &str) -> String {
    let body = r#"{"name": "Corner Shop"}"#;
    let request = format!(
        "POST /v1/merchants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN}\r\nIdempotency-Key: m-1\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    response
}

fn bytes_of(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            all.extend(std::fs::read(path).unwrap());
        }
    }
    all
}

#[test]
fn serve_refuses_to_start_without_keys_and_says_how_to_make_them() {
    let data = tempfile::tempdir().unwrap();
    let out = iou(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data",
        &data.path().display().to_string(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no key provider") && stderr.contains("iou keys init"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn init_writes_a_private_key_file_and_rotate_rewraps_a_served_store() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("iou.keys");
    let data = dir.path().join("data");
    let path = key_file.display().to_string();
    assert!(iou(&["keys", "init", "--out", &path]).status.success());
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let again = iou(&["keys", "init", "--out", &path]);
    assert!(!again.status.success(), "an existing key file is never overwritten");

    let (child, addr) = serve(&data, &key_file);
    let answer = register_merchant(&addr);
    stop(child);
    let secret = answer.split("\"secret\":\"").nth(1).unwrap().split('"').next().unwrap();
    assert!(!crate::keys::contains(&bytes_of(&data), secret.as_bytes()));

    let out = iou(&[
        "keys",
        "rotate",
        "--key-file",
        &path,
        "--data",
        &data.display().to_string(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("new current key k2"), "{stdout}");
    assert!(
        stdout.contains("re-wrapped 2 sealed values"),
        "the key check and the merchant: {stdout}"
    );
    assert!(crate::keys::contains(&bytes_of(&data), b"iouv1.k2."));
    let (child, addr) = serve(&data, &key_file);
    assert!(!addr.is_empty());
    stop(child);

    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = iou(&["serve", "--data", &data.display().to_string(), "--key-file", &path]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
