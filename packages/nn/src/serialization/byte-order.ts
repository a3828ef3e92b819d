/**
 * Little-endian byte copies between files and typed arrays. Safetensors data is little-endian;
 * typed arrays use the host's byte order. Copying bytes (rather than reading numbers through a
 * DataView) keeps every bit, NaN payloads included, and a fresh destination buffer is always
 * aligned whatever the offset in the file.
 */

/** Whether this host stores multi-byte numbers little-endian (every mainstream one does). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Copies `src` (elements of `elemSize` bytes in one byte order) into `dst` at `dstOffset`,
 * reversing each element's bytes when `swap` is set (host and file disagree on byte order).
 */
export function copyElements(src: Uint8Array, elemSize: number, dst: Uint8Array, dstOffset: number, swap = !HOST_LITTLE_ENDIAN): void {
  if (!swap || elemSize === 1) {
    dst.set(src, dstOffset);
    return;
  }
  for (let e = 0; e < src.length; e += elemSize) {
    for (let b = 0; b < elemSize; b++) dst[dstOffset + e + b] = src[e + elemSize - 1 - b]!;
  }
}

/** The bytes of a typed array, without copying. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
