//! Viewing a `v128` as lanes and back.
//!
//! The spec defines every vector instruction lane by lane over a *shape*
//! (`i8x16` .. `f64x2`): the 128 bits are split into equal lanes, lane 0
//! holding the lowest-addressed (least significant) bytes. [`Shape`] is
//! that split for each lane type, as a Rust array; every operation views
//! its operands through one, computes an array, and packs it back.

/// A lane array that 128 bits split into exactly.
pub(crate) trait Shape: Copy {
    /// Splits `v` into lanes, lane 0 from the low bits.
    fn split(v: u128) -> Self;
    /// Joins lanes back into 128 bits.
    fn join(self) -> u128;
}

macro_rules! int_shape {
    ($($t:ty, $n:literal, $w:literal;)*) => {$(
        impl Shape for [$t; $n] {
            fn split(v: u128) -> Self {
                let bytes = v.to_le_bytes();
                std::array::from_fn(|i| {
                    let mut lane = [0u8; $w];
                    lane.copy_from_slice(&bytes[i * $w..(i + 1) * $w]);
                    <$t>::from_le_bytes(lane)
                })
            }
            fn join(self) -> u128 {
                let mut bytes = [0u8; 16];
                for (i, lane) in self.iter().enumerate() {
                    bytes[i * $w..(i + 1) * $w].copy_from_slice(&lane.to_le_bytes());
                }
                u128::from_le_bytes(bytes)
            }
        }
    )*};
}

int_shape! {
    i8, 16, 1; u8, 16, 1;
    i16, 8, 2; u16, 8, 2;
    i32, 4, 4; u32, 4, 4;
    i64, 2, 8; u64, 2, 8;
}

// Float lanes go through their bits; `from_bits`/`to_bits` keep every
// NaN payload, so moving a lane never changes it.

impl Shape for [f32; 4] {
    fn split(v: u128) -> Self {
        <[u32; 4]>::split(v).map(f32::from_bits)
    }
    fn join(self) -> u128 {
        self.map(f32::to_bits).join()
    }
}

impl Shape for [f64; 2] {
    fn split(v: u128) -> Self {
        <[u64; 2]>::split(v).map(f64::from_bits)
    }
    fn join(self) -> u128 {
        self.map(f64::to_bits).join()
    }
}

/// The shape of a lane access with an immediate lane index
/// (`extract_lane`, `replace_lane`, `load*_lane`, `store*_lane`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LaneType {
    I8,
    I16,
    I32,
    I64,
    F32,
    F64,
}

impl LaneType {
    /// Bits per lane.
    pub(crate) fn bits(self) -> u32 {
        match self {
            LaneType::I8 => 8,
            LaneType::I16 => 16,
            LaneType::I32 | LaneType::F32 => 32,
            LaneType::I64 | LaneType::F64 => 64,
        }
    }
}

/// Lane `lane` of `v`, `bits` wide, zero-extended.
pub(crate) fn get(v: u128, bits: u32, lane: u8) -> u64 {
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    };
    (v >> (u32::from(lane) * bits)) as u64 & mask
}

/// `v` with lane `lane` (`bits` wide) replaced by the low bits of `x`.
pub(crate) fn set(v: u128, bits: u32, lane: u8, x: u64) -> u128 {
    let mask: u128 = if bits == 64 {
        u128::from(u64::MAX)
    } else {
        (1 << bits) - 1
    };
    let shift = u32::from(lane) * bits;
    (v & !(mask << shift)) | ((u128::from(x) & mask) << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_zero_is_the_low_byte_in_every_shape() {
        let v = u128::from_le_bytes(std::array::from_fn(|i| i as u8));
        assert_eq!(<[u8; 16]>::split(v)[0], 0);
        assert_eq!(<[u8; 16]>::split(v)[15], 15);
        assert_eq!(<[u16; 8]>::split(v)[1], 0x0302);
        assert_eq!(<[u32; 4]>::split(v)[3], 0x0f0e_0d0c);
        assert_eq!(<[u64; 2]>::split(v)[0], 0x0706_0504_0302_0100);
        assert_eq!(<[i8; 16]>::split(v).join(), v);
        assert_eq!(<[i16; 8]>::split(v).join(), v);
        assert_eq!(<[i32; 4]>::split(v).join(), v);
        assert_eq!(<[i64; 2]>::split(v).join(), v);
    }

    #[test]
    fn float_lanes_keep_nan_payloads() {
        let v = 0x7fa0_0001_ffc0_1234_7f80_0001_0000_0000u128;
        assert_eq!(<[f32; 4]>::split(v).join(), v);
        let v = 0x7ff0_0000_0000_0001_fff8_dead_beef_0000u128;
        assert_eq!(<[f64; 2]>::split(v).join(), v);
    }

    #[test]
    fn get_and_set_touch_one_lane() {
        let v = u128::MAX;
        assert_eq!(get(v, 8, 15), 0xff);
        assert_eq!(set(v, 8, 15, 0), u128::MAX >> 8);
        assert_eq!(set(0, 16, 1, 0x1_ffff), 0xffff << 16);
        assert_eq!(set(0, 64, 1, u64::MAX), u128::from(u64::MAX) << 64);
        assert_eq!(get(0xabcd << 64, 64, 1), 0xabcd);
    }
}
