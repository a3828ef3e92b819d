/**
 * Protobuf encoding of ONNX messages: protobufjs's wire-format Writer (varints, fixed-width
 * numbers, length-delimited fields) driven by the ONNX schema (`ONNX_SCHEMA`, generated from
 * onnx.proto), so every field number, type and packing comes from onnx.proto itself.
 *
 * Why not protobufjs's reflection (`Root.fromJSON(schema).lookupType(...).encode`)? Its light
 * build still carries the .proto file loader, whose `require("fs")` a browser bundler must
 * stub; the minimal build (Writer, Reader) has no such import, and the schema walk below is all
 * the reflection an encoder needs. The tests decode the bytes with protobufjs's reflection and
 * check the ONNX checker and onnxruntime accept them.
 */
import protobuf from 'protobufjs/minimal.js';
import { ONNX_SCHEMA } from './onnx-schema.js';

/** A message as a plain object: field names of onnx.proto (snake_case), values by field type. */
export type ProtoMessage = { [field: string]: ProtoValue | undefined };
/** A field's value: a number, string, bytes, nested message, or a repeated field's list. */
export type ProtoValue = number | string | boolean | Uint8Array | ProtoMessage | readonly (number | string | Uint8Array | ProtoMessage)[];

interface FieldDescriptor {
  readonly rule?: string;
  readonly type: string;
  readonly id: number;
  readonly options?: { readonly packed?: boolean };
}
interface TypeDescriptor {
  readonly fields?: Readonly<Record<string, FieldDescriptor>>;
  readonly values?: Readonly<Record<string, number>>;
  readonly nested?: Readonly<Record<string, TypeDescriptor>>;
}

/** Wire type of each scalar type (0 varint, 1 64-bit, 2 length-delimited, 5 32-bit). */
const WIRE: Record<string, number> = {
  int32: 0, int64: 0, uint32: 0, uint64: 0, sint32: 0, sint64: 0, bool: 0,
  fixed64: 1, sfixed64: 1, double: 1,
  string: 2, bytes: 2,
  fixed32: 5, sfixed32: 5, float: 5,
};

const root = ONNX_SCHEMA.nested.onnx as unknown as TypeDescriptor;

/** A named message or enum, looked up from `scope` (a path of nested names) outward. */
function resolve(name: string, scope: readonly string[]): { type: TypeDescriptor; path: string[] } {
  for (let depth = scope.length; depth >= 0; depth--) {
    let t: TypeDescriptor | undefined = root;
    const path = [...scope.slice(0, depth), ...name.split('.')];
    for (const part of path) t = t?.nested?.[part];
    if (t) return { type: t, path };
  }
  throw new Error(`onnx protobuf: unknown type ${name} (from ${scope.join('.') || 'onnx'})`);
}

type Writer = protobuf.Writer;

function writeScalar(w: Writer, type: string, v: number | string | boolean | Uint8Array): void {
  switch (type) {
    case 'int32': w.int32(v as number); break;
    case 'int64': w.int64(v as number); break;
    case 'uint32': w.uint32(v as number); break;
    case 'uint64': w.uint64(v as number); break;
    case 'sint32': w.sint32(v as number); break;
    case 'sint64': w.sint64(v as number); break;
    case 'bool': w.bool(v as boolean); break;
    case 'fixed64': w.fixed64(v as number); break;
    case 'sfixed64': w.sfixed64(v as number); break;
    case 'double': w.double(v as number); break;
    case 'fixed32': w.fixed32(v as number); break;
    case 'sfixed32': w.sfixed32(v as number); break;
    case 'float': w.float(v as number); break;
    case 'string': w.string(v as string); break;
    case 'bytes':
      if (typeof v === 'string') w.string(v);
      else w.bytes(v as Uint8Array);
      break;
    default: throw new Error(`onnx protobuf: unsupported scalar type ${type}`);
  }
}

function writeMessage(w: Writer, msg: ProtoMessage, type: TypeDescriptor, path: readonly string[]): void {
  const fields = type.fields ?? {};
  for (const key of Object.keys(msg)) {
    if (!(key in fields)) throw new Error(`onnx protobuf: ${path.join('.')} has no field ${key}`);
  }
  // Fields in field-number order, as protoc writes them.
  const ordered = Object.entries(fields).sort((a, b) => a[1].id - b[1].id);
  for (const [name, f] of ordered) {
    const value = msg[name];
    if (value === undefined) continue;
    const repeated = f.rule === 'repeated';
    const values = repeated ? (value as readonly (number | string | Uint8Array | ProtoMessage)[]) : [value];
    if (!repeated && Array.isArray(value)) throw new Error(`onnx protobuf: ${path.join('.')}.${name} is not repeated`);
    if (f.type in WIRE) {
      if (repeated && f.options?.packed && WIRE[f.type] !== 2) {
        if (values.length === 0) continue;
        w.uint32(((f.id << 3) | 2) >>> 0).fork();
        for (const v of values) writeScalar(w, f.type, v as number);
        w.ldelim();
      } else {
        for (const v of values) {
          w.uint32(((f.id << 3) | WIRE[f.type]!) >>> 0);
          writeScalar(w, f.type, v as number | string | Uint8Array);
        }
      }
      continue;
    }
    const { type: t, path: tPath } = resolve(f.type, path);
    if (t.values) {
      // An enum: its number, as an int32 varint.
      for (const v of values) {
        const n = typeof v === 'string' ? t.values[v] : (v as number);
        if (n === undefined) throw new Error(`onnx protobuf: ${f.type} has no value ${String(v)}`);
        w.uint32(((f.id << 3) | 0) >>> 0).int32(n);
      }
      continue;
    }
    for (const v of values) {
      w.uint32(((f.id << 3) | 2) >>> 0).fork();
      writeMessage(w, v as ProtoMessage, t, tPath);
      w.ldelim();
    }
  }
}

/** Encodes `msg` as the onnx.proto message `typeName` (say `'ModelProto'`). */
export function encodeMessage(typeName: string, msg: ProtoMessage): Uint8Array {
  const { type, path } = resolve(typeName, []);
  if (!type.fields) throw new Error(`onnx protobuf: ${typeName} is not a message`);
  // The plain Writer (not Node's BufferWriter): the same Uint8Array output in every runtime.
  const w = new protobuf.Writer();
  writeMessage(w, msg, type, path);
  return w.finish();
}
