//! `random_get`: the host's entropy source, through cap-rand.

use cap_rand::TryRngCore;

use crate::errno::Errno;
use crate::fail::Fail;
use crate::guest::Guest;

pub(crate) fn random_get(mem: &mut Guest<'_>, buf: u32, len: u32) -> Result<(), Fail> {
    mem.check(buf, len as usize)?;
    let mut rng = cap_rand::rngs::OsRng::default(cap_rand::ambient_authority());
    let mut chunk = vec![0u8; (len as usize).min(64 << 10)];
    let mut done = 0u32;
    while done < len {
        let n = (len - done).min(chunk.len() as u32) as usize;
        rng.try_fill_bytes(&mut chunk[..n]).map_err(|_| Errno::IO)?;
        mem.write(buf + done, &chunk[..n])?;
        done += n as u32;
    }
    Ok(())
}
