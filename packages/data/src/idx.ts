/**
 * The IDX file format (the one MNIST ships in): two zero bytes, a type code byte, a
 * number-of-dimensions byte, one big-endian uint32 per dimension, then the values in
 * big-endian, row-major order. This module only parses bytes, so it runs in a browser too;
 * reading files and gunzipping them lives in `@dynconv/data/node`.
 */

/** Element types IDX files can hold, named after the typed arrays they decode into. */
export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The typed array each {@link IdxDType} decodes into. */
export interface IdxArrayTypes {
  /** IDX type code 0x08. */
  uint8: Uint8Array;
  /** IDX type code 0x09. */
  int8: Int8Array;
  /** IDX type code 0x0B. */
  int16: Int16Array;
  /** IDX type code 0x0C. */
  int32: Int32Array;
  /** IDX type code 0x0D. */
  float32: Float32Array;
  /** IDX type code 0x0E. */
  float64: Float64Array;
}

/** A decoded IDX file: its element type, its dimension sizes and its values (row-major). */
export interface IdxArray<D extends IdxDType = IdxDType> {
  /** Element type. */
  readonly dtype: D;
  /** Size of each dimension. */
  readonly shape: readonly number[];
  /** The values, row-major. */
  readonly data: IdxArrayTypes[D];
}

interface TypeInfo {
  readonly code: number;
  readonly dtype: IdxDType;
  readonly bytes: number;
}

const TYPES: readonly TypeInfo[] = [
  { code: 0x08, dtype: 'uint8', bytes: 1 },
  { code: 0x09, dtype: 'int8', bytes: 1 },
  { code: 0x0b, dtype: 'int16', bytes: 2 },
  { code: 0x0c, dtype: 'int32', bytes: 4 },
  { code: 0x0d, dtype: 'float32', bytes: 4 },
  { code: 0x0e, dtype: 'float64', bytes: 8 },
];

/** The IDX type code byte of each element type (0x08 ubyte ... 0x0E double). */
export const IDX_TYPE_CODES: Readonly<Record<IdxDType, number>> = Object.freeze(
  Object.fromEntries(TYPES.map((t) => [t.dtype, t.code])) as Record<IdxDType, number>,
);

/** Bytes per element of each IDX element type. */
export const IDX_TYPE_BYTES: Readonly<Record<IdxDType, number>> = Object.freeze(
  Object.fromEntries(TYPES.map((t) => [t.dtype, t.bytes])) as Record<IdxDType, number>,
);

/** A malformed data file; `file` names it (a path, or the name the caller gave the bytes). */
export class DataFormatError extends Error {
  /** The file at fault: a path, or the name the caller gave the bytes. */
  readonly file: string;
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'DataFormatError';
    this.file = file;
  }
}

/** True when the bytes start with the gzip magic number 1f 8b (IDX files start with 00 00). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decodes the bytes of an uncompressed IDX file, checking everything it reads: the two zero
 * magic bytes, the type code, at least one dimension, a complete header, exactly as many
 * data bytes as the dimensions call for (a short file is truncated; extra bytes are
 * rejected too, since they mean the header and the data disagree).
 *
 * @param bytes - the file's contents; never modified.
 * @param file - a name for error messages (the path, usually).
 * @param opts - `view: true` lets 1-byte data be a view into `bytes` instead of a copy,
 *   for callers that own a freshly read buffer (a copy of the 47 MB of MNIST's images is a
 *   noticeable share of a load).
 * @throws {@link DataFormatError} naming `file` when anything is off.
 */
export function parseIdx(bytes: Uint8Array, file = '<IDX bytes>', opts: { view?: boolean } = {}): IdxArray {
  const fail: (message: string) => never = (message) => {
    throw new DataFormatError(file, `invalid IDX file: ${message}`);
  };
  if (isGzip(bytes)) fail('the bytes are gzip-compressed; decompress them first (readIdxFile in @dynconv/data/node does)');
  if (bytes.length < 4) fail(`truncated header: ${bytes.length} bytes, the magic number alone needs 4`);
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(`bad magic number: the first two bytes must be 00 00, got ${hex(bytes[0]!)} ${hex(bytes[1]!)}`);
  const info = TYPES.find((t) => t.code === bytes[2]);
  if (!info) fail(`unknown type code ${hex(bytes[2]!)} (known: ${TYPES.map((t) => `${hex(t.code)} ${t.dtype}`).join(', ')})`);
  const { dtype, bytes: size } = info;
  const ndims = bytes[3]!;
  if (ndims === 0) fail('zero dimensions: the header must declare at least one');
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) fail(`truncated header: ${ndims} dimensions need ${headerBytes} header bytes, the file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < ndims; d++) {
    const n = view.getUint32(4 + 4 * d, false);
    shape.push(n);
    count *= n;
  }
  // Compare against the bytes present before allocating, so a corrupt header asking for
  // terabytes fails cleanly instead of exhausting memory.
  const dataBytes = bytes.length - headerBytes;
  const expected = count * size;
  if (expected > dataBytes) {
    fail(`truncated data: shape [${shape.join(', ')}] of ${dtype} needs ${expected} data bytes after the ${headerBytes}-byte header, the file has ${dataBytes}`);
  }
  if (expected < dataBytes) {
    fail(`${dataBytes - expected} unexpected bytes after the data: shape [${shape.join(', ')}] of ${dtype} needs ${expected} data bytes, the file has ${dataBytes}`);
  }
  return { dtype, shape, data: decode(view, headerBytes, count, dtype, opts.view ?? false) };
}

function decode(view: DataView, offset: number, count: number, dtype: IdxDType, asView: boolean): IdxArrayTypes[IdxDType] {
  switch (dtype) {
    case 'uint8': {
      const a = new Uint8Array(view.buffer, view.byteOffset + offset, count);
      return asView ? a : a.slice();
    }
    case 'int8': {
      const a = new Int8Array(view.buffer, view.byteOffset + offset, count);
      return asView ? a : a.slice();
    }
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}
