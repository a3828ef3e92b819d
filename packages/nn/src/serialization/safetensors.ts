/**
 * The safetensors format (https://github.com/huggingface/safetensors), in memory: an 8-byte
 * little-endian header length N, N bytes of UTF-8 JSON describing each tensor (dtype, shape,
 * byte offsets into the data buffer) plus optional string metadata, then the data buffer.
 *
 * Browser-safe: no file system here (see `@dynconv/nn/node` for files).
 */
import { notATensorError, fromTypedArray, Tensor, type DType, type TypedArray } from '@dynconv/core';
import { bytesOf, copyElements } from './byte-order.js';
import { bf16BitsToF32Bits, f16BitsToF32Bits } from './half.js';
import { type JsonObject, type JsonValue, parseJsonStrict } from './json.js';

/** What {@link decodeSafetensors} returns; both records have a null prototype. */
export interface DecodedSafetensors {
  /** The tensors by name. */
  tensors: Record<string, Tensor>;
  /** The header's `__metadata__` strings (empty when there are none). */
  metadata: Record<string, string>;
}

/** The reference implementation refuses larger headers; so do we, before decoding any text. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';
/** Name segments that reach prototypes when a consumer walks dotted names into objects. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

type Reader = (src: Uint8Array, numel: number, name: string) => TypedArray;

interface FileDType {
  size: number;
  read: Reader;
}

/** Reads `numel` elements of a dtype that maps bit for bit onto a typed array. */
function direct(size: number, alloc: (n: number) => TypedArray): Reader {
  return (src, numel) => {
    const out = alloc(numel);
    copyElements(src, size, bytesOf(out), 0);
    return out;
  };
}

/** Reads 16-bit floats, widened exactly to float32. */
function half(widen: (bits: number) => number): Reader {
  return (src, numel) => {
    const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    const bits = new Uint32Array(numel);
    for (let i = 0; i < numel; i++) bits[i] = widen(view.getUint16(2 * i, true));
    return new Float32Array(bits.buffer);
  };
}

/** Reads integers of any width into int32; `get` returns null for a value int32 cannot hold. */
function integer(size: number, fileDType: string, get: (view: DataView, at: number) => number | bigint): Reader {
  return (src, numel, name) => {
    const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    const out = new Int32Array(numel);
    for (let i = 0; i < numel; i++) {
      const v = get(view, i * size);
      if (typeof v === 'bigint' || v > 0x7fffffff || v < -0x80000000) {
        throw new Error(
          `decodeSafetensors: tensor ${JSON.stringify(name)} (${fileDType}) has value ${v} at element ${i}, outside the int32 range [-2147483648, 2147483647]; dynconv stores integers as int32`,
        );
      }
      out[i] = v;
    }
    return out;
  };
}

/** An int64/uint64 as a number when it fits int32, else as a bigint (for the error message). */
function int64At(signed: boolean): (view: DataView, at: number) => number | bigint {
  return (view, at) => {
    const lo = view.getUint32(at, true);
    const hi = view.getUint32(at + 4, true);
    if (hi === 0 && lo <= 0x7fffffff) return lo;
    if (signed && hi === 0xffffffff && lo >= 0x80000000) return lo | 0;
    return signed ? view.getBigInt64(at, true) : view.getBigUint64(at, true);
  };
}

const readBool: Reader = (src, numel, name) => {
  for (let i = 0; i < numel; i++) {
    if (src[i]! > 1) {
      throw new Error(`decodeSafetensors: tensor ${JSON.stringify(name)} (BOOL) has byte ${src[i]} at element ${i}; BOOL bytes must be 0 or 1`);
    }
  }
  return src.slice();
};

/** Every dtype the decoder reads, by its name in the file, with the dynconv dtype it becomes. */
const FILE_DTYPES: ReadonlyMap<string, FileDType & { target: DType }> = new Map([
  ['F64', { size: 8, target: 'float64', read: direct(8, (n) => new Float64Array(n)) }],
  ['F32', { size: 4, target: 'float32', read: direct(4, (n) => new Float32Array(n)) }],
  ['F16', { size: 2, target: 'float32', read: half(f16BitsToF32Bits) }],
  ['BF16', { size: 2, target: 'float32', read: half(bf16BitsToF32Bits) }],
  ['I64', { size: 8, target: 'int32', read: integer(8, 'I64', int64At(true)) }],
  ['U64', { size: 8, target: 'int32', read: integer(8, 'U64', int64At(false)) }],
  ['I32', { size: 4, target: 'int32', read: direct(4, (n) => new Int32Array(n)) }],
  ['U32', { size: 4, target: 'int32', read: integer(4, 'U32', (v, at) => v.getUint32(at, true)) }],
  ['I16', { size: 2, target: 'int32', read: integer(2, 'I16', (v, at) => v.getInt16(at, true)) }],
  ['U16', { size: 2, target: 'int32', read: integer(2, 'U16', (v, at) => v.getUint16(at, true)) }],
  ['I8', { size: 1, target: 'int32', read: integer(1, 'I8', (v, at) => v.getInt8(at)) }],
  ['U8', { size: 1, target: 'int32', read: integer(1, 'U8', (v, at) => v.getUint8(at)) }],
  ['BOOL', { size: 1, target: 'bool', read: readBool }],
] as const);

/**
 * The file dtype each dynconv dtype is written as. `rank` orders the data buffer like the
 * reference writer (by its dtype order, descending, then by name), which also keeps every
 * tensor aligned to its element size.
 */
const WRITE_DTYPES: Record<DType, { name: string; size: number; rank: number }> = {
  float64: { name: 'F64', size: 8, rank: 3 },
  float32: { name: 'F32', size: 4, rank: 2 },
  int32: { name: 'I32', size: 4, rank: 1 },
  bool: { name: 'BOOL', size: 1, rank: 0 },
};

/** Refuses names a consumer could turn into prototype pollution (whole or as a dotted segment). */
function checkName(op: string, kind: 'tensor name' | 'metadata key', name: string): void {
  for (const segment of name.split('.')) {
    if (FORBIDDEN_SEGMENTS.has(segment)) {
      throw new Error(
        `${op}: ${kind} ${JSON.stringify(name)} is refused: ${JSON.stringify(segment)} could reach an object's prototype in code that walks names (refused: __proto__, constructor, prototype)`,
      );
    }
  }
}

/** Orders strings by Unicode code point, as the reference writer (Rust, UTF-8 bytes) does. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // UTF-16 order differs from code-point order only between surrogates and U+E000..U+FFFF.
    if (ca >= 0xd800 && cb >= 0xd800) {
      ca = ca >= 0xe000 ? ca - 0x800 : ca + 0x2000;
      cb = cb >= 0xe000 ? cb - 0x800 : cb + 0x2000;
    }
    return ca - cb;
  }
  return a.length - b.length;
}

const LONE_SURROGATE = /\p{Cs}/u;

function checkWellFormed(op: string, kind: string, s: string): void {
  if (LONE_SURROGATE.test(s)) throw new Error(`${op}: ${kind} ${JSON.stringify(s)} contains a lone surrogate, which UTF-8 cannot encode`);
}

/**
 * Serializes tensors (and optional string metadata) to safetensors bytes.
 *
 * float32, float64, int32 and bool tensors are written as F32, F64, I32 and BOOL. The output is
 * deterministic and byte-identical to the reference writer: tensors are ordered by dtype
 * (F64, F32, I32, BOOL) then by name (code point order), in the header and in the data buffer
 * alike; metadata keys are sorted; the header is compact JSON padded with spaces to a multiple
 * of 8 bytes so that every tensor's data is aligned. Metadata is omitted when empty.
 *
 * @throws Error for a value that is not a Tensor, a name that is `__metadata__`, a name or key
 *   with a `__proto__`/`constructor`/`prototype` segment or a lone surrogate, or a metadata
 *   value that is not a string.
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const op = 'encodeSafetensors';
  if (tensors === null || typeof tensors !== 'object') throw new Error(`${op}: tensors must be an object mapping names to tensors, got ${tensors === null ? 'null' : typeof tensors}`);
  const items = Object.keys(tensors).map((name) => {
    if (name === METADATA_KEY) throw new Error(`${op}: ${JSON.stringify(METADATA_KEY)} is reserved for metadata and cannot name a tensor`);
    checkName(op, 'tensor name', name);
    checkWellFormed(op, 'tensor name', name);
    const t: unknown = tensors[name];
    if (!(t instanceof Tensor)) throw notATensorError(op, `value of ${JSON.stringify(name)}`, t, t === null ? 'null' : typeof t);
    const info = WRITE_DTYPES[t.dtype];
    let data = bytesOf(t.dataSync());
    if (t.dtype === 'bool') data = data.map((x) => (x !== 0 ? 1 : 0)); // normalize to what readers accept
    return { name, shape: t.shape, info, data };
  });
  items.sort((a, b) => b.info.rank - a.info.rank || compareCodePoints(a.name, b.name));

  const parts: string[] = [];
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object') throw new Error(`${op}: metadata must be an object of strings, got ${metadata === null ? 'null' : typeof metadata}`);
    const keys = Object.keys(metadata).sort(compareCodePoints);
    const entries = keys.map((key) => {
      checkName(op, 'metadata key', key);
      checkWellFormed(op, 'metadata key', key);
      const value: unknown = metadata[key];
      if (typeof value !== 'string') throw new Error(`${op}: metadata value of ${JSON.stringify(key)} must be a string, got ${value === null ? 'null' : typeof value}`);
      checkWellFormed(op, `metadata value of ${JSON.stringify(key)}`, value);
      return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
    });
    if (entries.length > 0) parts.push(`${JSON.stringify(METADATA_KEY)}:{${entries.join(',')}}`);
  }
  let offset = 0;
  for (const { name, shape, info, data } of items) {
    // Field order and compact form as the reference writer emits them.
    parts.push(`${JSON.stringify(name)}:{"dtype":"${info.name}","shape":[${shape.join(',')}],"data_offsets":[${offset},${offset + data.length}]}`);
    offset += data.length;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > MAX_HEADER_BYTES) throw new Error(`${op}: header of ${headerLength} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit readers enforce`);

  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const { info, data } of items) {
    copyElements(data, info.size, out, at);
    at += data.length;
  }
  return out;
}

// ---- decoding ------------------------------------------------------------------------------

interface Entry {
  name: string;
  fileDType: string;
  type: FileDType & { target: DType };
  shape: number[];
  numel: number;
  begin: number;
  end: number;
}

function fail(what: string): never {
  throw new Error(`decodeSafetensors: ${what}`);
}

function describe(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Map) return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Reads the header length and text, checking them against the file size. */
function readHeaderText(bytes: Uint8Array): { text: string; dataStart: number } {
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes long, shorter than the 8-byte header length prefix`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLength = Number(n);
  if (8 + headerLength > bytes.length) {
    fail(`header length ${headerLength} runs past the end of the file (${bytes.length} bytes, so at most ${bytes.length - 8} header bytes)`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    fail(`header (bytes 8 to ${8 + headerLength}) is not valid UTF-8`);
  }
  return { text, dataStart: 8 + headerLength };
}

function readMetadata(value: JsonValue): Record<string, string> {
  if (!(value instanceof Map)) fail(`${JSON.stringify(METADATA_KEY)} must be an object of strings, got ${describe(value)}`);
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, v] of value) {
    checkName('decodeSafetensors', 'metadata key', key);
    if (typeof v !== 'string') fail(`metadata value of ${JSON.stringify(key)} must be a string, got ${describe(v)}`);
    out[key] = v;
  }
  return out;
}

function isNonNegativeSafeInteger(v: JsonValue): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Checks one tensor's header entry on its own (layout against the others comes later). */
function readEntry(name: string, value: JsonValue, bufferLength: number): Entry {
  const where = `tensor ${JSON.stringify(name)}`;
  checkName('decodeSafetensors', 'tensor name', name);
  if (!(value instanceof Map)) fail(`${where}: entry must be an object with dtype, shape and data_offsets, got ${describe(value)}`);
  const entry: JsonObject = value;
  for (const field of ['dtype', 'shape', 'data_offsets']) {
    if (!entry.has(field)) fail(`${where}: entry is missing the field ${JSON.stringify(field)}`);
  }
  const fileDType = entry.get('dtype')!;
  if (typeof fileDType !== 'string') fail(`${where}: dtype must be a string, got ${describe(fileDType)}`);
  const type = FILE_DTYPES.get(fileDType);
  if (!type) fail(`${where}: unknown or unsupported dtype ${JSON.stringify(fileDType)} (supported: ${[...FILE_DTYPES.keys()].join(', ')})`);

  const shapeValue = entry.get('shape')!;
  if (!Array.isArray(shapeValue) || !shapeValue.every(isNonNegativeSafeInteger)) {
    fail(`${where}: shape must be a list of non-negative integers, got ${JSON.stringify(toPlain(shapeValue))}`);
  }
  const shape = shapeValue as number[];
  let numel = 1;
  for (const d of shape) numel *= d;
  // A product past 2^53 is no longer exact, but then it is also far past any buffer.
  const nbytes = numel * type.size;

  const offsets = entry.get('data_offsets')!;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeSafeInteger)) {
    fail(`${where}: data_offsets must be a list of two non-negative integers [begin, end], got ${JSON.stringify(toPlain(offsets))}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`${where}: data_offsets [${begin}, ${end}] begin after they end`);
  if (end > bufferLength) fail(`${where}: data_offsets [${begin}, ${end}] run past the end of the data buffer (${bufferLength} bytes)`);
  if (end - begin !== nbytes) {
    fail(`${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but shape [${shape.join(', ')}] of ${fileDType} needs ${numel} x ${type.size} = ${nbytes} bytes`);
  }
  return { name, fileDType, type, shape: [...shape], numel, begin, end };
}

/** A JSON value with Maps turned back into plain objects, for error messages. */
function toPlain(v: JsonValue): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, toPlain(x)]));
  if (Array.isArray(v)) return v.map(toPlain);
  return v;
}

/** The tensors must tile the data buffer exactly: no overlaps, no holes, nothing after. */
function checkLayout(entries: Entry[], bufferLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let owner: Entry | null = null;
  const range = (e: Entry) => `${JSON.stringify(e.name)} (data_offsets [${e.begin}, ${e.end}])`;
  for (const e of sorted) {
    if (e.begin < pos) fail(`tensor ${range(e)} overlaps tensor ${range(owner!)}`);
    if (e.begin > pos) fail(`bytes [${pos}, ${e.begin}) of the data buffer belong to no tensor (a hole before tensor ${range(e)})`);
    pos = e.end;
    owner = e;
  }
  if (pos !== bufferLength) fail(`bytes [${pos}, ${bufferLength}) at the end of the data buffer belong to no tensor (the buffer is ${bufferLength} bytes)`);
}

/**
 * Parses safetensors bytes into tensors and metadata.
 *
 * Reads F32, F64, I32 and BOOL as themselves; F16 and BF16 widened exactly to float32; I64,
 * U64, U32, I16, U16, I8 and U8 into int32 (an error names the first value int32 cannot hold).
 * Data is read as little-endian whatever the host's byte order, and copied, so the result does
 * not alias `bytes`.
 *
 * All or nothing: the whole header, the layout and every value are checked before any tensor
 * is created, and any problem throws an Error that says what is wrong and where (file offsets,
 * tensor name, sizes). Refused: a file shorter than 8 bytes, a header past the end of the file
 * or over 100 MB, a header that is not UTF-8 JSON or not an object, duplicate keys, malformed
 * entries, unknown dtypes, bad shapes or offsets, byte sizes that disagree with shape x dtype,
 * tensors that overlap or leave holes in the data buffer, metadata values that are not
 * strings, and names with a `__proto__`/`constructor`/`prototype` segment. Unknown fields
 * within an entry are ignored, as the reference reader does.
 */
export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  if (!(bytes instanceof Uint8Array)) fail(`expected a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  const { text, dataStart } = readHeaderText(bytes);
  const bufferLength = bytes.length - dataStart;
  let header: JsonValue;
  try {
    header = parseJsonStrict(text);
  } catch (e) {
    fail(`header is not valid JSON: ${(e as Error).message} of the header text`);
  }
  if (!(header instanceof Map)) fail(`header must be a JSON object, got ${describe(header)}`);

  let metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const entries: Entry[] = [];
  for (const [key, value] of header) {
    if (key === METADATA_KEY) metadata = readMetadata(value);
    else entries.push(readEntry(key, value, bufferLength));
  }
  checkLayout(entries, bufferLength);

  const arrays = entries.map((e) => {
    const src = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    try {
      return e.type.read(src, e.numel, e.name);
    } catch (err) {
      // Allocation failures surface as RangeError; keep the promise of plain, explained Errors.
      if (err instanceof RangeError) fail(`tensor ${JSON.stringify(e.name)}: could not allocate ${e.numel} elements (${err.message})`);
      throw err;
    }
  });
  const tensors: Record<string, Tensor> = Object.create(null) as Record<string, Tensor>;
  entries.forEach((e, i) => {
    tensors[e.name] = fromTypedArray(arrays[i]!, e.shape, e.type.target);
  });
  return { tensors, metadata };
}
