//! `instantiate`: a wasm-smith module (threads on, imports of every kind)
//! instantiated with generated imports, which runs its segment
//! initializers and start function.
//!
//! Imports are made to fit the declared types most of the time (functions
//! that return zeros or fail with a host error, globals with generated
//! values, tables and memories of the declared limits, shared memories for
//! shared imports); now and then one is of the wrong kind or limits, which
//! must be a link error. Checked: no crash or panic; a wrong import is
//! refused; and when every import fits, a failure can only be a trap (from
//! a segment or the start function) or a host error, never a link error.

use anyhow::bail;
use arbitrary::Unstructured;
use weft::{Extern, ExternType, Func, Global, Memory, SharedMemory, Store, Table, Val, ValType};

use crate::{compile::hex, engines, smith};

/// Checks one input; see the module docs.
pub fn run(u: &mut Unstructured<'_>) -> anyhow::Result<()> {
    let Ok(config) = smith::instantiate_config(u) else {
        return Ok(());
    };
    let Ok(generated) = smith::generate(config, u, Some(smith::DIFF_FUEL)) else {
        return Ok(());
    };
    let bytes = generated?;
    let engine = engines::engine(true, false)?;
    let module = match weft::Module::from_binary(engine, &bytes) {
        Ok(m) => m,
        Err(e) => bail!(
            "weft rejects a generated module: {e}\nmodule: {}",
            hex(&bytes)
        ),
    };
    let mut store = Store::new(engine, ());
    let mut imports = Vec::new();
    let mut all_fit = true;
    let declared = module
        .imports()
        .map(|(m, n, ty)| (format!("{m}::{n}"), ty))
        .collect::<Vec<_>>();
    for (_, ty) in &declared {
        let wrong = u.ratio(1, 20).unwrap_or(false);
        all_fit &= !wrong;
        imports.push(import(u, &mut store, engine, ty, wrong)?);
    }
    match weft::Instance::new(&mut store, &module, &imports) {
        Ok(_) if !all_fit => bail!(
            "instantiation succeeded with a mismatched import\nimports: {declared:?}\nmodule: {}",
            hex(&bytes)
        ),
        Ok(_) => Ok(()),
        Err(e) => judge(e.kind(), all_fit).map_err(|why| {
            anyhow::anyhow!("{why}: {e}\nimports: {declared:?}\nmodule: {}", hex(&bytes))
        }),
    }
}

/// Whether a failed instantiation failed the right way: with a mismatched
/// import, only as a link error (imports are checked before anything runs,
/// so a trap or a host error means the mismatch went unseen); with fitting
/// imports, only as a trap (a segment or the start function) or a host
/// error (a generated import that fails), never as a link error.
fn judge(kind: &weft::ErrorKind, all_fit: bool) -> Result<(), &'static str> {
    match (kind, all_fit) {
        (weft::ErrorKind::Link(_), false) => Ok(()),
        (_, false) => Err("a mismatched import was not refused as a link error"),
        (weft::ErrorKind::Link(_), true) => Err("fitting imports refused"),
        (weft::ErrorKind::Trap(_) | weft::ErrorKind::Host(_), true) => Ok(()),
        (_, true) => Err("instantiation failed unexpectedly"),
    }
}

/// Makes an import for `ty`; with `wrong`, one that cannot match it.
fn import(
    u: &mut Unstructured<'_>,
    store: &mut Store<()>,
    engine: &weft::Engine,
    ty: &ExternType,
    wrong: bool,
) -> anyhow::Result<Extern> {
    if wrong {
        // Another kind of extern altogether: always a mismatch.
        return Ok(match ty {
            ExternType::Global(_) => {
                Memory::new(&mut *store, weft::MemoryType::new(0, None))?.into()
            }
            _ => Global::new(
                &mut *store,
                weft::GlobalType::new(ValType::I32, false),
                Val::I32(0),
            )?
            .into(),
        });
    }
    Ok(match ty {
        ExternType::Func(f) => {
            let results = f.results().to_vec();
            let fail = u.ratio(1, 8).unwrap_or(false);
            Func::new(&mut *store, f.clone(), move |_, _, out| {
                if fail {
                    return Err(weft::ErrorKind::Host("generated import fails".into()).into());
                }
                for (slot, t) in out.iter_mut().zip(&results) {
                    *slot = Val::default_for(*t);
                }
                Ok(())
            })
            .into()
        }
        ExternType::Global(g) => Global::new(&mut *store, *g, value(u, g.content))?.into(),
        ExternType::Table(t) => Table::new(&mut *store, *t, Val::default_for(t.element))?.into(),
        ExternType::Memory(m) if m.shared => {
            let maximum = m.maximum.unwrap_or(m.minimum);
            let ty = weft::MemoryType::shared(to_u32(m.minimum)?, to_u32(maximum)?);
            SharedMemory::new(engine, ty)?.into()
        }
        ExternType::Memory(m) => {
            let maximum = m.maximum.map(to_u32).transpose()?;
            Memory::new(
                &mut *store,
                weft::MemoryType::new(to_u32(m.minimum)?, maximum),
            )?
            .into()
        }
    })
}

fn to_u32(pages: u64) -> anyhow::Result<u32> {
    u32::try_from(pages).map_err(|_| anyhow::anyhow!("a 32-bit memory declares {pages} pages"))
}

fn value(u: &mut Unstructured<'_>, ty: ValType) -> Val {
    match ty {
        ValType::I32 => Val::I32(u.arbitrary().unwrap_or(0)),
        ValType::I64 => Val::I64(u.arbitrary().unwrap_or(0)),
        ValType::F32 => Val::F32(u.arbitrary().unwrap_or(0)),
        ValType::F64 => Val::F64(u.arbitrary().unwrap_or(0)),
        ValType::V128 => Val::V128(u.arbitrary::<u128>().unwrap_or(0).into()),
        ValType::FuncRef => Val::FuncRef(None),
        ValType::ExternRef => Val::ExternRef(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds;

    #[test]
    fn only_a_link_error_answers_a_mismatched_import() {
        let trap = weft::ErrorKind::Trap(weft::Trap::new(weft::TrapCode::Unreachable));
        let link = weft::ErrorKind::Link("wrong kind".into());
        let host = weft::ErrorKind::Host("failed".into());
        assert_eq!(judge(&link, false), Ok(()));
        assert!(judge(&trap, false).is_err());
        assert!(judge(&host, false).is_err());
        assert!(judge(&link, true).is_err());
        assert_eq!(judge(&trap, true), Ok(()));
        assert_eq!(judge(&host, true), Ok(()));
    }

    /// A module whose start function traps, given a wrong import: weft
    /// must refuse the import before the start function can run.
    #[test]
    fn a_mismatched_import_is_refused_before_the_start_function() {
        let engine = engines::engine(true, false).expect("engine");
        let module = weft::Module::new(
            engine,
            r#"(module (import "m" "g" (global i32))
                 (func unreachable) (start 0))"#,
        )
        .expect("valid");
        let mut store = Store::new(engine, ());
        let wrong: Extern = Memory::new(&mut store, weft::MemoryType::new(0, None))
            .expect("memory")
            .into();
        let e = weft::Instance::new(&mut store, &module, &[wrong]).expect_err("mismatch");
        assert_eq!(judge(e.kind(), false), Ok(()), "{e}");
    }

    #[test]
    fn seeded_inputs_instantiate_without_crashing() {
        seeds::for_each_input(300, 64..4096, |data| {
            if let Err(finding) = run(&mut Unstructured::new(data)) {
                panic!("{finding:#}");
            }
        });
    }
}
