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
        /// Port on 127.0.0.1.
        #[arg(long, default_value_t = 7878)]
        port: u16,
    },
    /// Run scenario files headless; exit 1 if an expectation fails, 2 on a parse error.
    Run {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print every engine event as a JSON line.
        #[arg(long)]
        events: bool,
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
        /// Records per simulated second across the producers.
        #[arg(long, default_value_t = 100_000)]
        rate: u64,
        /// Consumers in a group reading the topic from the start (0: none).
        #[arg(long, default_value_t = 4)]
        consumers: u32,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    match args.command.unwrap_or(Cmd::Serve { port: 7878 }) {
        Cmd::Serve { port } => cli::serve(port),
        Cmd::Run { files, events } => cli::run(&files, events),
        Cmd::Check { files } => cli::check(&files),
        Cmd::Bench {
            seconds,
            rate,
            consumers,
        } => cli::bench(seconds, rate, consumers),
    }
}
