//! `compile`: bytes through `weft::Module::from_binary`.
//!
//! Inputs are raw bytes, wasm-smith modules within weft's features, or such
//! modules with a few bytes corrupted (which reaches deeper into the
//! decoder than random bytes do). Checked: no panic (a panic is the
//! finding libFuzzer reports), weft accepts exactly what wasmparser
//! validates under the same features, and a rejection is an
//! `InvalidModule` error that says where.

use anyhow::bail;
use arbitrary::Unstructured;

use crate::{engines, smith};

/// Checks one input; see the module docs.
pub fn run(u: &mut Unstructured<'_>) -> anyhow::Result<()> {
    let Ok((threads, multi_memory, mode)) = header(u) else {
        return Ok(());
    };
    let bytes = match mode {
        0 => u.bytes(u.len()).unwrap_or_default().to_vec(),
        _ => {
            let Ok(config) = smith::compile_config(u, threads, multi_memory) else {
                return Ok(());
            };
            let Ok(generated) = smith::generate(config, u, None) else {
                return Ok(());
            };
            let mut bytes = generated?;
            if mode == 2 {
                corrupt(u, &mut bytes);
            }
            bytes
        }
    };
    check(&bytes, threads, multi_memory)
}

fn header(u: &mut Unstructured<'_>) -> arbitrary::Result<(bool, bool, u8)> {
    Ok((u.arbitrary()?, u.ratio(1, 4)?, u.int_in_range(0..=2)?))
}

/// Overwrites, inserts or deletes a few bytes.
fn corrupt(u: &mut Unstructured<'_>, bytes: &mut Vec<u8>) {
    let edits = u.int_in_range(1..=4).unwrap_or(1);
    for _ in 0..edits {
        if bytes.is_empty() {
            return;
        }
        let at = u.choose_index(bytes.len()).unwrap_or(0);
        match u.int_in_range(0..=2).unwrap_or(0) {
            0 => bytes[at] = u.arbitrary().unwrap_or(0xff),
            1 => bytes.insert(at, u.arbitrary().unwrap_or(0x80)),
            _ => {
                bytes.remove(at);
            }
        }
    }
}

/// Compiles `bytes` and checks weft's answer against wasmparser's.
pub fn check(bytes: &[u8], threads: bool, multi_memory: bool) -> anyhow::Result<()> {
    let engine = engines::engine(threads, multi_memory)?;
    let features = smith::weft_features(threads, multi_memory);
    let valid = wasmparser::Validator::new_with_features(features).validate_all(bytes);
    let compiled = weft::Module::from_binary(engine, bytes);
    match (valid, compiled) {
        (Ok(_), Ok(_)) => Ok(()),
        (Ok(_), Err(e)) => bail!(
            "weft rejects a module wasmparser validates (threads {threads}, \
             multi-memory {multi_memory}): {e}\nmodule: {}",
            hex(bytes)
        ),
        (Err(v), Ok(_)) => bail!(
            "weft accepts a module wasmparser rejects ({v}) (threads {threads}, \
             multi-memory {multi_memory})\nmodule: {}",
            hex(bytes)
        ),
        (Err(_), Err(e)) => match e.kind() {
            weft::ErrorKind::InvalidModule { .. } => Ok(()),
            other => bail!(
                "an invalid module is rejected as {other:?}, not as InvalidModule\nmodule: {}",
                hex(bytes)
            ),
        },
    }
}

/// Hex for a report; modules from the fuzzer are small.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds;

    #[test]
    fn seeded_inputs_compile_as_wasmparser_says() {
        seeds::for_each_input(300, 16..4096, |data| {
            if let Err(finding) = run(&mut Unstructured::new(data)) {
                panic!("{finding:#}");
            }
        });
    }

    #[test]
    fn a_valid_and_an_invalid_module_get_the_right_answers() {
        let valid = wat::parse_str("(module (func (export \"f\") (result i32) i32.const 1))")
            .expect("valid text");
        check(&valid, false, false).expect("compiles");
        let mut invalid = valid.clone();
        // Turn the body's `end` into another opcode: the body no longer ends.
        let end = invalid
            .iter()
            .rposition(|&b| b == 0x0b)
            .expect("has an end");
        invalid[end] = 0x01;
        check(&invalid, false, false).expect("rejected as invalid");
    }
}
