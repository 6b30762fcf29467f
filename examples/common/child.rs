//! Running a benchmark's child process while watching its peak memory and CPU time, and the machine
//! line each benchmark prints first; shared by the benchmark examples (each includes this file as a
//! module).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Wall time, peak RSS (KiB) and stdout of a child process, or why it failed (with its stderr).
#[allow(dead_code)] // Each example includes this file and uses one of the two.
pub fn try_measure(cmd: &mut Command) -> Result<(Duration, u64, String), String> {
    try_measure_cpu(cmd).map(|(wall, peak, _, out)| (wall, peak, out))
}

/// [`try_measure`] with the child's CPU time (user + system, read from `/proc` every 10 ms while it
/// runs, so the last 10 ms may be missed).
pub fn try_measure_cpu(cmd: &mut Command) -> Result<(Duration, u64, Duration, String), String> {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{cmd:?} did not start: {e}"))?;
    let status_path = format!("/proc/{}/status", child.id());
    let stat_path = format!("/proc/{}/stat", child.id());
    let (mut peak, mut cpu) = (0u64, Duration::ZERO);
    loop {
        if let Some(t) = cpu_of_stat(&stat_path) {
            cpu = cpu.max(t);
        }
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
        cpu,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

/// User + system CPU time of this process so far.
#[allow(dead_code)]
pub fn own_cpu() -> Duration {
    cpu_of_stat("/proc/self/stat").unwrap_or_default()
}

/// User + system time from a `/proc/PID/stat` file (fields 14 and 15, in clock ticks of 10 ms).
fn cpu_of_stat(path: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11);
    let ticks: u64 = fields.next()?.parse::<u64>().ok()? + fields.next()?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Prints the core count and CPU model (`machine: 2 cores, AMD EPYC ...`).
#[allow(dead_code)]
pub fn print_machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    println!(
        "machine: {} cores, {cpu}",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
}
