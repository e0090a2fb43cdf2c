//! A moto AWS emulator for tests.
//!
//! [`moto()`] gives every test in a process the same server, started once;
//! [`start_private`] starts one owned by the caller. Started servers are tied
//! to the test process with `PR_SET_PDEATHSIG`, so a crashed or interrupted
//! test run never leaves a moto behind.
//!
//! Everything here is blocking std code (threads, `std::net`), so it works the
//! same from plain `#[test]`s and from inside a `#[tokio::test]`.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::HarnessError;
use crate::paths::venv_bin;

/// Set to reuse an already running moto (e.g. `http://127.0.0.1:5000`)
/// instead of starting one.
pub const ENDPOINT_ENV: &str = "WARDEN_MOTO_ENDPOINT";

/// How long a freshly started moto may take to answer; Python imports make
/// its start-up take a few seconds on a loaded machine.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A moto server: either reused (not owned) or started by the harness.
#[derive(Debug)]
pub struct Moto {
    endpoint: String,
    log_file: Option<PathBuf>,
    /// The server process when this value owns it; killed on drop.
    child: Option<Child>,
}

impl Moto {
    /// The server's base URL, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Where a started server writes its output (None for a reused server).
    pub fn log_file(&self) -> Option<&Path> {
        self.log_file.as_deref()
    }

    /// Forgets every resource in the emulator (`POST /moto-api/reset`).
    ///
    /// Note the shared server is used by all tests of the process at once, so
    /// only reset it in a test binary whose tests do not run concurrently.
    ///
    /// # Panics
    /// If moto does not answer; see [`Moto::try_reset`].
    pub fn reset(&self) {
        if let Err(err) = self.try_reset() {
            panic!("{err}");
        }
    }

    /// [`Moto::reset`], returning the failure instead of panicking.
    pub fn try_reset(&self) -> Result<(), HarnessError> {
        expect_ok(&self.endpoint, "POST", "/moto-api/reset", "")
    }

    /// From the next request on, moto checks every call against the
    /// caller's IAM policies (`POST /moto-api/reset-auth` with no calls left
    /// unchecked), so a function with restricted credentials meets real
    /// denials after the test has set everything up freely. Only for a
    /// server this test owns: it changes the whole server.
    pub fn enforce_iam(&self) -> Result<(), HarnessError> {
        expect_ok(&self.endpoint, "POST", "/moto-api/reset-auth", "0")
    }

    /// Stops checking calls against IAM policies again (after
    /// [`Moto::enforce_iam`]), so a test can read back freely.
    pub fn reset_auth(&self) -> Result<(), HarnessError> {
        expect_ok(&self.endpoint, "POST", "/moto-api/reset-auth", "inf")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The moto server shared by all tests of this process.
///
/// Reuses `$WARDEN_MOTO_ENDPOINT` if set (after checking it answers), else
/// starts `moto_server` from the virtualenv on a free port. The server lives
/// until the test process exits.
///
/// # Panics
/// If no server can be reached or started; the message says how to fix it.
pub fn moto() -> &'static Moto {
    static SHARED: OnceLock<Result<Moto, String>> = OnceLock::new();
    let shared = SHARED.get_or_init(|| {
        let moto = match std::env::var(ENDPOINT_ENV) {
            Ok(endpoint) if !endpoint.trim().is_empty() => connect(&endpoint),
            _ => start_private(),
        };
        moto.map_err(|err| err.to_string())
    });
    match shared {
        Ok(moto) => moto,
        Err(message) => panic!("{message}"),
    }
}

/// Uses an already running moto at `endpoint` without owning it.
pub fn connect(endpoint: &str) -> Result<Moto, HarnessError> {
    let endpoint = endpoint.trim().trim_end_matches('/').to_string();
    expect_ok(&endpoint, "GET", "/moto-api/", "")?;
    Ok(Moto {
        endpoint,
        log_file: None,
        child: None,
    })
}

/// Starts a moto server owned by the caller: it is killed when the returned
/// value is dropped (and, like every server started here, when the process
/// exits). Its output goes to `<tmp>/warden-moto-<port>.log`.
pub fn start_private() -> Result<Moto, HarnessError> {
    start_private_with_env(&[])
}

/// [`start_private`] with extra environment for the server, for settings
/// that would disturb other tests on a shared one (such as
/// `INITIAL_NO_AUTH_ACTION_COUNT`, which makes moto enforce IAM policies).
pub fn start_private_with_env(env: &[(&str, &str)]) -> Result<Moto, HarnessError> {
    start_private_at("127.0.0.1", env)
}

/// A private moto listening on `address` instead of loopback: for clients
/// outside this network namespace, such as a function in a Docker container
/// reaching the host through the bridge's gateway address
/// ([`crate::sam_local::SamLocal::host_address`]). The endpoint names that
/// address, so the host's SDK and the container use the same URL.
pub fn start_private_on(address: &str) -> Result<Moto, HarnessError> {
    start_private_at(address, &[])
}

fn start_private_at(address: &str, env: &[(&str, &str)]) -> Result<Moto, HarnessError> {
    let program = venv_bin("moto_server");
    if !program.is_file() {
        return Err(HarnessError::MotoMissing { path: program });
    }
    let port = free_port(address)?;
    let endpoint = format!("http://{address}:{port}");
    let log_path = std::env::temp_dir().join(format!("warden-moto-{port}.log"));
    let log = File::create(&log_path)
        .map_err(|e| HarnessError::io(format!("creating {}", log_path.display()), e))?;
    let log_err = log
        .try_clone()
        .map_err(|e| HarnessError::io("duplicating the moto log handle", e))?;

    let mut command = Command::new(&program);
    command
        .args(["-H", address, "-p", &port.to_string()])
        .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err);
    let child = spawn_tied_to_process(command)
        .map_err(|e| HarnessError::io(format!("starting {}", program.display()), e))?;
    let mut moto = Moto {
        endpoint,
        log_file: Some(log_path),
        child: Some(child),
    };
    moto.wait_until_ready()?;
    Ok(moto)
}

impl Moto {
    /// Polls until the server answers; on failure the server is dropped
    /// (killed) by the caller and the error carries the end of its log.
    fn wait_until_ready(&mut self) -> Result<(), HarnessError> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let last = match expect_ok(&self.endpoint, "GET", "/moto-api/", "") {
                Ok(()) => return Ok(()),
                Err(err) => err,
            };
            let exited = match self.child.as_mut().map(Child::try_wait) {
                Some(Ok(Some(status))) => Some(status),
                _ => None,
            };
            if exited.is_some() || Instant::now() >= deadline {
                let what = match exited {
                    Some(status) => format!("moto_server exited ({status}) before answering"),
                    None => format!("no answer within {START_TIMEOUT:?} (last: {last})"),
                };
                return Err(HarnessError::Moto {
                    endpoint: self.endpoint.clone(),
                    detail: format!("{what}; end of its log:\n{}", self.log_tail()),
                });
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_tail(&self) -> String {
        let Some(path) = &self.log_file else {
            return String::new();
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// A port that was free a moment ago. The small window before moto binds it
/// is acceptable for tests: a clash shows up as "exited before answering".
pub(crate) fn free_port(address: &str) -> Result<u16, HarnessError> {
    TcpListener::bind((address, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| HarnessError::io(format!("finding a free port on {address}"), e))
}

/// A listener on a free loopback port and its address, for the harness's
/// own servers; `what` names the server in an error.
pub(crate) async fn bind_loopback(
    what: &str,
) -> Result<(tokio::net::TcpListener, std::net::SocketAddr), HarnessError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| HarnessError::io(format!("binding {what}"), e))?;
    let address = listener
        .local_addr()
        .map_err(|e| HarnessError::io(format!("reading {what}'s address"), e))?;
    Ok((listener, address))
}

/// Sends `method path` with `body` to moto and requires a 200 answer.
fn expect_ok(endpoint: &str, method: &str, path: &str, body: &str) -> Result<(), HarnessError> {
    match http_status(endpoint, method, path, body) {
        Ok(200) => Ok(()),
        Ok(status) => Err(format!("{method} {path} answered HTTP {status}")),
        Err(err) => Err(format!("{method} {path} failed: {err}")),
    }
    .map_err(|detail| HarnessError::Moto {
        endpoint: endpoint.to_string(),
        detail,
    })
}

/// A minimal blocking HTTP/1.0 request returning the status code; enough for
/// moto's control API and free of any async runtime.
fn http_status(endpoint: &str, method: &str, path: &str, body: &str) -> Result<u16, String> {
    let authority = endpoint
        .strip_prefix("http://")
        .ok_or("the endpoint must be an http:// URL")?
        .trim_end_matches('/');
    let addr = authority
        .to_socket_addrs()
        .map_err(|e| format!("resolving {authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("{authority} resolves to no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| format!("connecting: {e}"))?;
    let io_timeout = Some(Duration::from_secs(30));
    stream
        .set_read_timeout(io_timeout)
        .and_then(|()| stream.set_write_timeout(io_timeout))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {authority}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| format!("sending: {e}"))?;
    let mut status_line = String::new();
    BufReader::new(stream)
        .read_line(&mut status_line)
        .map_err(|e| format!("reading the answer: {e}"))?;
    parse_status_line(&status_line).ok_or_else(|| format!("not an HTTP answer: {status_line:?}"))
}

fn parse_status_line(line: &str) -> Option<u16> {
    let mut parts = line.split_whitespace();
    parts.next().filter(|v| v.starts_with("HTTP/"))?;
    parts.next()?.parse().ok()
}

/// Spawns `command` so that it is SIGKILLed when this process dies.
///
/// `PR_SET_PDEATHSIG` fires when the *thread* that forked the child exits,
/// not the process. Test threads come and go, so every spawn is done by one
/// dedicated thread that lives as long as the process.
pub(crate) fn spawn_tied_to_process(command: Command) -> std::io::Result<Child> {
    type Request = (Command, mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: OnceLock<std::io::Result<mpsc::Sender<Request>>> = OnceLock::new();

    let spawner = SPAWNER.get_or_init(|| {
        let (requests, incoming) = mpsc::channel::<Request>();
        thread::Builder::new()
            .name("warden-spawner".into())
            .spawn(move || {
                // The sender lives in a static, so this loop never ends; the
                // park loop is a belt-and-braces guarantee the thread stays.
                for (mut command, reply) in incoming.iter() {
                    let _ = reply.send(spawn_with_pdeathsig(&mut command));
                }
                loop {
                    thread::park();
                }
            })
            .map(|_| requests)
    });
    let spawner = spawner
        .as_ref()
        .map_err(|e| std::io::Error::new(e.kind(), format!("starting the spawner thread: {e}")))?;
    let (reply, answer) = mpsc::channel();
    spawner
        .send((command, reply))
        .map_err(|_| std::io::Error::other("the spawner thread is gone"))?;
    answer
        .recv()
        .map_err(|_| std::io::Error::other("the spawner thread did not answer"))?
}

// The one `unsafe` in Warden: a child process tied to the test process.
#[allow(unsafe_code)]
fn spawn_with_pdeathsig(command: &mut Command) -> std::io::Result<Child> {
    let parent = std::process::id();
    // SAFETY: the closure runs between fork and exec, so it only makes
    // async-signal-safe calls (prctl, getppid) and does not allocate.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect.
            if libc::getppid() as u32 != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
    command.spawn()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_parsed() {
        assert_eq!(parse_status_line("HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(parse_status_line("HTTP/1.0 404 NOT FOUND"), Some(404));
        assert_eq!(parse_status_line("SSH-2.0-OpenSSH"), None);
        assert_eq!(parse_status_line(""), None);
    }

    #[test]
    fn unreachable_endpoint_is_a_clear_error() {
        let port = free_port("127.0.0.1").expect("a free port");
        let err = connect(&format!("http://127.0.0.1:{port}/")).expect_err("nothing listens");
        let text = err.to_string();
        assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
        assert!(text.contains("/moto-api/"), "{text}");
    }

    #[test]
    fn non_http_endpoint_is_rejected() {
        let err = connect("https://example.invalid").expect_err("https is not supported");
        assert!(err.to_string().contains("http://"), "{err}");
    }

    #[test]
    fn spawned_children_run() {
        let mut command = Command::new("true");
        command.stdin(Stdio::null());
        let status = spawn_tied_to_process(command)
            .and_then(|mut child| child.wait())
            .expect("`true` runs");
        assert!(status.success());
    }
}
