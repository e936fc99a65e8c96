//! `retention`: the pipeline's command line. Parses arguments, runs one step, prints its
//! JSON summary as the last line on stdout and exits with the documented code.

use std::process::ExitCode;

mod cli;
mod commands;
mod error;
mod logging;
mod render;

fn main() -> ExitCode {
    let args = match cli::parse() {
        Ok(args) => args,
        Err(code) => return code,
    };
    logging::init(args.global.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(commands::run(args))
}
