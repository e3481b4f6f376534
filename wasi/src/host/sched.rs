//! `sched_yield`.

use crate::fail::Fail;

pub(crate) fn sched_yield() -> Result<(), Fail> {
    std::thread::yield_now();
    Ok(())
}
