//! Running a benchmark's child process while watching its peak memory, shared by the benchmark
//! examples (each includes this file as a module).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Wall time, peak RSS (KiB) and stdout of a child process, or why it failed (with its stderr).
pub fn try_measure(cmd: &mut Command) -> Result<(Duration, u64, String), String> {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{cmd:?} did not start: {e}"))?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path)
            && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
        {
            peak = peak.max(
                line.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
            );
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = started.elapsed();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok((
        elapsed,
        peak,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}
