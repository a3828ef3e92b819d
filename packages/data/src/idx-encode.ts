/**
 * Writes IDX bytes (the inverse of `parseIdx`), for saving arrays in the MNIST file format.
 */
import { IDX_TYPE_BYTES, IDX_TYPE_CODES, type IdxArray, type IdxDType } from './idx.js';

/**
 * Encodes an array as an uncompressed IDX file.
 * @throws Error when the shape is empty, has more than 255 dimensions, a size outside
 * uint32, or does not match the number of values.
 */
export function encodeIdx(array: IdxArray): Uint8Array {
  const { dtype, shape, data } = array;
  const code = IDX_TYPE_CODES[dtype as IdxDType];
  if (code === undefined) throw new Error(`encodeIdx: unknown dtype ${String(dtype)}`);
  if (shape.length === 0 || shape.length > 255) throw new Error(`encodeIdx: IDX needs 1 to 255 dimensions, got [${shape.join(', ')}]`);
  let count = 1;
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`encodeIdx: dimension sizes must be uint32, got [${shape.join(', ')}]`);
    count *= n;
  }
  if (count !== data.length) throw new Error(`encodeIdx: shape [${shape.join(', ')}] holds ${count} values, the data has ${data.length}`);
  const size = IDX_TYPE_BYTES[dtype];
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + count * size);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = shape.length;
  shape.forEach((n, d) => view.setUint32(4 + 4 * d, n, false));
  switch (dtype) {
    case 'uint8':
    case 'int8':
      out.set(new Uint8Array(data.buffer, data.byteOffset, count), header);
      break;
    case 'int16':
      for (let i = 0; i < count; i++) view.setInt16(header + 2 * i, data[i]!, false);
      break;
    case 'int32':
      for (let i = 0; i < count; i++) view.setInt32(header + 4 * i, data[i]!, false);
      break;
    case 'float32':
      for (let i = 0; i < count; i++) view.setFloat32(header + 4 * i, data[i]!, false);
      break;
    case 'float64':
      for (let i = 0; i < count; i++) view.setFloat64(header + 8 * i, data[i]!, false);
      break;
  }
  return out;
}
