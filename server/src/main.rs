//! `playground`: serve the Kafka Playground, or run and check scenario files headless.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
        /// Listen on every network interface so a classroom can connect (default: this machine only).
        #[arg(long)]
        share: bool,
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
    },
    /// Parse and validate scenario files without running them; exit 2 on an error.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print simulation throughput for the standard benchmark cluster.
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
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let serve_default = Cmd::Serve {
        port: playground::serve::DEFAULT_PORT,
        scenario: None,
        share: false,
    };
    match args.command.unwrap_or(serve_default) {
        Cmd::Serve {
            port,
            scenario,
            share,
        } => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "warn".into()),
                )
                .with_writer(std::io::stderr)
                .init();
            cli::serve(port, share, scenario.as_deref())
        }
        Cmd::Run {
            files,
            events,
            state,
        } => cli::run(&files, events, state),
        Cmd::Check { files } => cli::check(&files),
        Cmd::Bench {
            seconds,
            rate,
            consumers,
        } => cli::bench(seconds, rate, consumers),
    }
}
