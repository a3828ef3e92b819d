/**
 * Widening of 16-bit floats to float32 bit patterns. Both conversions are exact (every half
 * and bfloat16 value is a float32 value), and working on bits keeps NaN payloads.
 */

/** float32 bits of an IEEE 754 binary16 value given by its bits. */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // Inf, NaN (payload kept)
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0; // rebias 15 -> 127
  if (mant === 0) return sign >>> 0; // +-0
  // Subnormal: mant * 2^-24. Shift the leading 1 up to the implicit-bit place (bit 10);
  // each shift lowers the exponent by one from that of 2^-14 (the smallest normal).
  let e = 113; // float32 biased exponent of 2^-14
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** float32 bits of a bfloat16 value given by its bits: bfloat16 is float32's upper half. */
export function bf16BitsToF32Bits(h: number): number {
  return (h << 16) >>> 0;
}
