//! The scenario language (docs/scenario-language.md, contract v1): one parser shared by scenario files, the
//! browser console and the headless runner.

pub mod ast;
pub mod diagnostic;
pub mod expect;
pub mod lexer;
pub mod parser;

pub use ast::*;
pub use diagnostic::Diagnostic;
pub use parser::{parse, parse_line};
