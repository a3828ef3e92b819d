/**
 * A minimal WebAssembly binary assembler: just enough of the module format and instruction
 * set to emit the GEMM micro-kernels and the SIMD elementwise loops at run time, so no .wasm
 * file or build step is needed.
 * It writes bytes; it does not check types (WebAssembly.validate / compile does).
 */

/** Value types, by their binary codes. */
export const ValType = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValType = (typeof ValType)[keyof typeof ValType];

/** Appends an unsigned LEB128 integer. */
function pushU32(out: number[], n: number): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

/** Appends a signed LEB128 integer (32-bit range). */
function pushI32(out: number[], n: number): void {
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return;
  }
}

/** The prefix byte of the SIMD (v128) instructions; their opcodes follow as LEB128. */
const SIMD = 0xfd;

/**
 * An instruction sequence (a function body or expression). Methods append one instruction
 * each and return `this`, so code reads top to bottom like the wasm text format.
 */
export class Code {
  readonly bytes: number[] = [];

  private op(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }
  private simd(opcode: number): this {
    this.bytes.push(SIMD);
    pushU32(this.bytes, opcode);
    return this;
  }
  /** Memory immediate: alignment as log2 of bytes, then the constant byte offset. */
  private memarg(alignLog2: number, offset: number): this {
    pushU32(this.bytes, alignLog2);
    pushU32(this.bytes, offset);
    return this;
  }

  // Control. Blocks and loops here take no parameters and produce no results.
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  /** if (i32 on the stack nonzero) ... [else ...] end, without results. */
  if(): this { return this.op(0x04, 0x40); }
  else(): this { return this.op(0x05); }
  end(): this { return this.op(0x0b); }
  br(depth: number): this { this.op(0x0c); pushU32(this.bytes, depth); return this; }
  brIf(depth: number): this { this.op(0x0d); pushU32(this.bytes, depth); return this; }

  // Locals.
  localGet(i: number): this { this.op(0x20); pushU32(this.bytes, i); return this; }
  localSet(i: number): this { this.op(0x21); pushU32(this.bytes, i); return this; }
  localTee(i: number): this { this.op(0x22); pushU32(this.bytes, i); return this; }

  // i32 arithmetic.
  i32Const(n: number): this { this.op(0x41); pushI32(this.bytes, n); return this; }
  i32Eqz(): this { return this.op(0x45); }
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Mul(): this { return this.op(0x6c); }
  i32LtU(): this { return this.op(0x49); }
  i32GeU(): this { return this.op(0x4f); }

  // f32 scalars (the elementwise loops' tails).
  f32Const(x: number): this {
    this.op(0x43);
    const b = new Uint8Array(Float32Array.of(x).buffer);
    for (const v of b) this.bytes.push(v);
    return this;
  }
  /** A scalar f32 instruction by its opcode (abs 0x8b, neg 0x8c, sqrt 0x91, add 0x92 ... max 0x97). */
  f32Op(opcode: number): this { return this.op(opcode); }

  // f64 scalars and conversions (float64 arithmetic on float32 data).
  f64Const(x: number): this {
    this.op(0x44);
    const b = new Uint8Array(Float64Array.of(x).buffer);
    for (const v of b) this.bytes.push(v);
    return this;
  }
  /** A scalar f64 instruction by its opcode (sqrt 0x9f, add 0xa0, sub 0xa1, mul 0xa2, div 0xa3). */
  f64Op(opcode: number): this { return this.op(opcode); }
  f64PromoteF32(): this { return this.op(0xbb); }
  /** f32 comparisons (i32 result): ne 0x5c, gt 0x5e. */
  f32Cmp(opcode: 0x5b | 0x5c | 0x5d | 0x5e | 0x5f | 0x60): this { return this.op(opcode); }
  f32DemoteF64(): this { return this.op(0xb6); }

  // Memory: offsets are byte constants added to the address on the stack.
  i32Load(offset = 0): this { this.op(0x28); return this.memarg(2, offset); }
  i32Store(offset = 0): this { this.op(0x36); return this.memarg(2, offset); }
  f32Load(offset = 0): this { this.op(0x2a); return this.memarg(2, offset); }
  f64Load(offset = 0): this { this.op(0x2b); return this.memarg(3, offset); }
  f32Store(offset = 0): this { this.op(0x38); return this.memarg(2, offset); }
  f64Store(offset = 0): this { this.op(0x39); return this.memarg(3, offset); }
  v128Load(offset = 0): this { return this.simd(0x00).memarg(4, offset); }
  v128Store(offset = 0): this { return this.simd(0x0b).memarg(4, offset); }
  v128Load32Splat(offset = 0): this { return this.simd(0x09).memarg(2, offset); }
  v128Load64Splat(offset = 0): this { return this.simd(0x0a).memarg(3, offset); }
  /** Two float32 (64 bits) into the low half, zeros above. */
  v128Load64Zero(offset = 0): this { return this.simd(0x5d).memarg(3, offset); }
  /** Stores the low 64 bits (lane 0 of the i64x2 view): two float32. */
  v128Store64Lane0(offset = 0): this { this.simd(0x5b).memarg(3, offset); this.bytes.push(0); return this; }

  /** v128.const with all sixteen bytes zero. */
  v128Zero(): this {
    this.simd(0x0c);
    for (let i = 0; i < 16; i++) this.bytes.push(0);
    return this;
  }

  // Lane-wise float arithmetic.
  /** A lane-wise f32x4 instruction by its SIMD opcode (abs 0xe0, neg 0xe1, sqrt 0xe3, add 0xe4 ... max 0xe9). */
  f32x4Op(opcode: number): this { return this.simd(opcode); }
  /** Any lane-wise v128 instruction by its SIMD opcode (f64x2: sqrt 0xef, add 0xf0, sub 0xf1, mul 0xf2, div 0xf3). */
  v128Op(opcode: number): this { return this.simd(opcode); }
  f32x4Splat(): this { return this.simd(0x13); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Mul(): this { return this.simd(0xe6); }
  f64x2Add(): this { return this.simd(0xf0); }
  f64x2Mul(): this { return this.simd(0xf2); }
  f64x2Sub(): this { return this.simd(0xf1); }
  f64x2Splat(): this { return this.simd(0x14); }
  f64x2ExtractLane(lane: 0 | 1): this { this.simd(0x21); this.bytes.push(lane); return this; }
  /** The two low float32 lanes widened to float64. */
  f64x2PromoteLowF32x4(): this { return this.simd(0x5f); }
  /** Two float64 lanes narrowed into the low float32 lanes (upper lanes zero). */
  f32x4DemoteF64x2Zero(): this { return this.simd(0x5e); }
  /** a * b + c, fused where the hardware has FMA (relaxed SIMD; engines without it refuse the module). */
  f32x4RelaxedMadd(): this { return this.simd(0x105); }
  f64x2RelaxedMadd(): this { return this.simd(0x107); }
}

/** One function of a module. */
export interface WasmFunction {
  params: readonly ValType[];
  results: readonly ValType[];
  /** Locals beyond the parameters, numbered after them. */
  locals: readonly ValType[];
  /** The body, without the final `end` (added here). */
  body: Code;
  /** Exported under this name when given. */
  exportName?: string;
}

export interface WasmModuleSpec {
  functions: readonly WasmFunction[];
  /** A module-defined memory, exported under `exportName`. */
  memory?: { initialPages: number; exportName: string };
  /**
   * A memory imported as `module`.`name` instead (so several instances, in several threads,
   * can share one): `shared` needs `maximumPages`, which bounds its growth.
   */
  importedMemory?: { module: string; name: string; initialPages: number; maximumPages?: number; shared: boolean };
}

/** Appends a section: id, byte length, contents. */
function pushSection(out: number[], id: number, contents: number[]): void {
  out.push(id);
  pushU32(out, contents.length);
  for (const b of contents) out.push(b);
}

/** Export names here are ASCII, whose UTF-8 bytes are their char codes. */
function pushName(out: number[], name: string): void {
  if (!/^[\x20-\x7e]*$/.test(name)) throw new Error(`wasm assembler: non-ASCII name '${name}'`);
  pushU32(out, name.length);
  for (let i = 0; i < name.length; i++) out.push(name.charCodeAt(i));
}

/** Locals are declared as runs of (count, type). */
function pushLocals(out: number[], locals: readonly ValType[]): void {
  const runs: [number, ValType][] = [];
  for (const t of locals) {
    const last = runs[runs.length - 1];
    if (last && last[1] === t) last[0]++;
    else runs.push([1, t]);
  }
  pushU32(out, runs.length);
  for (const [n, t] of runs) {
    pushU32(out, n);
    out.push(t);
  }
}

/** Encodes a module: one type per function, optional memory, exports, code. */
export function assembleModule(spec: WasmModuleSpec): Uint8Array {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const fns = spec.functions;

  const types: number[] = [];
  pushU32(types, fns.length);
  for (const f of fns) {
    types.push(0x60);
    pushU32(types, f.params.length);
    types.push(...f.params);
    pushU32(types, f.results.length);
    types.push(...f.results);
  }
  pushSection(out, 1, types);

  const im = spec.importedMemory;
  if (im) {
    if (spec.memory) throw new Error('wasm assembler: a module has either its own memory or an imported one');
    if (im.shared && im.maximumPages === undefined) throw new Error('wasm assembler: a shared memory needs maximumPages');
    const imports: number[] = [1];
    pushName(imports, im.module);
    pushName(imports, im.name);
    imports.push(0x02); // kind: memory
    // Limits flags: bit 0 = has a maximum, bit 1 = shared (the threads proposal).
    imports.push((im.maximumPages !== undefined ? 1 : 0) | (im.shared ? 2 : 0));
    pushU32(imports, im.initialPages);
    if (im.maximumPages !== undefined) pushU32(imports, im.maximumPages);
    pushSection(out, 2, imports);
  }

  const funcs: number[] = [];
  pushU32(funcs, fns.length);
  fns.forEach((_, i) => pushU32(funcs, i));
  pushSection(out, 3, funcs);

  if (spec.memory) {
    const mem: number[] = [1, 0x00]; // one memory, limits without a maximum
    pushU32(mem, spec.memory.initialPages);
    pushSection(out, 5, mem);
  }

  const exps: number[] = [];
  const exported = fns.map((f, i) => [f.exportName, i] as const).filter((e): e is readonly [string, number] => e[0] !== undefined);
  pushU32(exps, exported.length + (spec.memory ? 1 : 0));
  for (const [name, i] of exported) {
    pushName(exps, name);
    exps.push(0x00);
    pushU32(exps, i);
  }
  if (spec.memory) {
    pushName(exps, spec.memory.exportName);
    exps.push(0x02);
    pushU32(exps, 0);
  }
  pushSection(out, 7, exps);

  const code: number[] = [];
  pushU32(code, fns.length);
  for (const f of fns) {
    const body: number[] = [];
    pushLocals(body, f.locals);
    for (const b of f.body.bytes) body.push(b);
    body.push(0x0b);
    pushU32(code, body.length);
    for (const b of body) code.push(b);
  }
  pushSection(out, 10, code);

  return Uint8Array.from(out);
}
