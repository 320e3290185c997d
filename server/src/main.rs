//! `playground`: serve the Kafka Playground, or run and check scenario files headless.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench;
mod cli;

#[derive(Parser)]
#[command(
    name = "playground",
    version,
    about = "See Apache Kafka work: a faithful simulated cluster, animated"
)]
struct Args {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the playground UI (the default).
    Serve {
        /// Port to listen on (0: any free port).
        #[arg(long, default_value_t = playground::serve::DEFAULT_PORT)]
        port: u16,
        /// Start the default room from this scenario file instead of the bundled demo.
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        /// Listen on every network interface so a classroom can connect (default: this machine
        /// only). Prints the students' URL and a presenter URL with a secret: only the presenter
        /// changes the presenter's rooms; students follow and may fork sandboxes.
        #[arg(long)]
        share: bool,
        /// Where rooms are saved, to come back after a restart (default:
        /// $XDG_DATA_HOME/kafka-playground or ~/.local/share/kafka-playground).
        #[arg(long, value_name = "DIR", conflicts_with = "no_save")]
        data_dir: Option<PathBuf>,
        /// Save nothing: every start is fresh.
        #[arg(long)]
        no_save: bool,
        /// WebSocket connections one network address may hold at once.
        #[arg(long, default_value_t = playground::access::DEFAULT_CONNECTIONS_PER_ADDRESS)]
        max_connections_per_address: usize,
        /// Kafka clients connect to the default room's brokers: broker N listens on this port
        /// + N - 1 (0: each broker on any free port).
        #[arg(long, value_name = "P", default_value_t = playground::kafka::DEFAULT_KAFKA_PORT)]
        kafka_port: u16,
        /// Do not listen for Kafka clients.
        #[arg(long)]
        no_kafka: bool,
        /// Benchmark only (`tests/bench-kafka`): Kafka clients' Produce requests are
        /// acknowledged by the protocol layer without reaching the simulation.
        #[arg(long, hide = true, conflicts_with = "no_kafka")]
        kafka_ack_only: bool,
    },
    /// Run scenario files headless; exit 1 if an expectation fails, 2 on a parse error.
    Run {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print every engine event as a JSON line.
        #[arg(long)]
        events: bool,
        /// At the end of each file, print the cluster's state as one JSON line (the WebSocket
        /// protocol's `state`), e.g. to compare an exported session with the live room.
        #[arg(long)]
        state: bool,
        /// At the end of each file, print every partition's records (its leader's log, as a
        /// consumer reads them: offsets, leader epochs, keys, values and headers in base64,
        /// CreateTime) and every group's committed offsets, one JSON line each, e.g. to compare
        /// a session exported with real Kafka clients with what they read from the live room.
        #[arg(long)]
        logs: bool,
    },
    /// Parse and validate scenario files without running them; exit 2 on an error.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print simulation throughput: the engine without Streams, then word count in Kafka
    /// Streams, side by side.
    Bench {
        /// Simulated seconds to run.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Records per simulated second across the two producers (at most the room's limit,
        /// `engine::limits::MAX_TOTAL_PRODUCER_RATE_PER_S`).
        #[arg(long, default_value_t = engine::limits::MAX_TOTAL_PRODUCER_RATE_PER_S)]
        rate: u64,
        /// Consumers in a group reading the topic from the start (0: none).
        #[arg(long, default_value_t = 4)]
        consumers: u32,
        /// Lines per simulated second into the Streams word count (not held to the room's
        /// producer limit: the benchmark measures how far past it the engine goes).
        #[arg(long, default_value_t = 100_000)]
        streams_rate: u64,
        /// Instead: a live room left running (`demo`: the demo plus 1,000 records/s at 20×;
        /// `big`: 6 brokers, 24 partitions rf 3 at 2,000 records/s at 20×), printing RSS and the
        /// achieved speed every 30 s.
        #[arg(long, value_name = "demo|big")]
        soak: Option<String>,
        /// How long the soak runs, in wall minutes.
        #[arg(long, default_value_t = 10)]
        minutes: u64,
    },
}

fn main() -> ExitCode {
    purge_freed_memory_at_once();
    let args = Args::parse();
    let serve_default = Cmd::Serve {
        port: playground::serve::DEFAULT_PORT,
        scenario: None,
        share: false,
        data_dir: None,
        no_save: false,
        max_connections_per_address: playground::access::DEFAULT_CONNECTIONS_PER_ADDRESS,
        kafka_port: playground::kafka::DEFAULT_KAFKA_PORT,
        no_kafka: false,
        kafka_ack_only: false,
    };
    match args.command.unwrap_or(serve_default) {
        Cmd::Serve {
            port,
            scenario,
            share,
            data_dir,
            no_save,
            max_connections_per_address,
            kafka_port,
            no_kafka,
            kafka_ack_only,
        } => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "warn".into()),
                )
                .with_writer(std::io::stderr)
                .init();
            let options = playground::serve::ServeOptions {
                port,
                share,
                data_dir: if no_save {
                    None
                } else {
                    Some(data_dir.unwrap_or_else(playground::saved::DataDir::default_path))
                },
                fresh_default: scenario.is_some(),
                connections_per_address: max_connections_per_address,
                kafka_port: (!no_kafka).then_some(kafka_port),
                kafka_ack_only,
            };
            cli::serve(options, scenario.as_deref())
        }
        Cmd::Run {
            files,
            events,
            state,
            logs,
        } => cli::run(&files, events, state, logs),
        Cmd::Check { files } => cli::check(&files),
        Cmd::Bench {
            soak: Some(which),
            minutes,
            ..
        } => cli::soak(&which, minutes),
        Cmd::Bench {
            seconds,
            rate,
            consumers,
            streams_rate,
            ..
        } => bench::bench(seconds, rate, consumers, streams_rate),
    }
}

/// mimalloc returns freed pages to the OS per segment; glibc's per-thread arenas kept a long-running
/// room's resident memory growing well past what the room held (measured with `bench --soak`).
/// Built with `no_thp`: mimalloc would otherwise ask for transparent huge pages on its arenas, and
/// a 2 MB page stays resident while any 4 KB of it is in use (the soak saw 25-49 MB of huge pages
/// in RSS; none without).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc v3's `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (libmimalloc-sys names no
/// constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Returns freed pages to the OS at once rather than after mimalloc's default 10 ms. A room frees
/// memory in bursts (rewind points thinned, old segments deleted) and reallocates soon after; with
/// the delay, a burst's pages were often still resident when the next one began. Measured side by
/// side with `bench --soak big`, both runs at once, after minute 3: RSS median 305 MB (295-327,
/// ±5.0%) with no delay against 369 MB (352-418, ±8.6%) with the default, at the same speed.
#[allow(unsafe_code)]
fn purge_freed_memory_at_once() {
    // SAFETY: plain calls into the allocator's option table, made before any other thread runs.
    unsafe {
        // The index above is v3's (libmimalloc-sys builds v3, versions 3xxxx); another major
        // version may number its options differently.
        assert_eq!(
            libmimalloc_sys::mi_version() / 10_000,
            3,
            "mimalloc v3 expected"
        );
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
}
