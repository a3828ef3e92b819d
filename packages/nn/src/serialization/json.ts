/**
 * A strict JSON (RFC 8259) parser for untrusted headers. Unlike `JSON.parse` it refuses
 * duplicate keys (which `JSON.parse` silently resolves to the last one, so two readers could
 * disagree about the same file), returns objects as `Map`s (so no key, `__proto__` included,
 * can reach a prototype), limits nesting depth, and says where the text went wrong.
 */

/** A parsed JSON value; objects are `Map`s in the order their keys appear. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** A parsed JSON object. */
export type JsonObject = Map<string, JsonValue>;

/** Deeper nesting than any safetensors header needs; keeps recursion far from the stack limit. */
const MAX_DEPTH = 64;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;
/** Matches a surrogate not paired up into a code point (only \u escapes can make one). */
const LONE_SURROGATE = /\p{Cs}/u;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Names the character at `i` for error messages. */
function describeAt(text: string, i: number): string {
  if (i >= text.length) return 'end of text';
  const c = text.charCodeAt(i);
  return c >= 0x20 && c < 0x7f ? `'${text[i]}'` : `character U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

class Parser {
  private i = 0;
  constructor(private readonly text: string) {}

  private fail(what: string): never {
    throw new Error(`${what} at position ${this.i}`);
  }

  private skipWhitespace(): void {
    const t = this.text;
    while (this.i < t.length) {
      const c = t.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.i++;
    }
  }

  parseDocument(): JsonValue {
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.i < this.text.length) this.fail(`unexpected ${describeAt(this.text, this.i)} after the JSON value`);
    return value;
  }

  private parseValue(depth: number): JsonValue {
    this.skipWhitespace();
    const t = this.text;
    const c = t[this.i];
    if (c === '{') return this.parseObject(depth + 1);
    if (c === '[') return this.parseArray(depth + 1);
    if (c === '"') return this.parseString();
    if (t.startsWith('true', this.i)) return (this.i += 4), true;
    if (t.startsWith('false', this.i)) return (this.i += 5), false;
    if (t.startsWith('null', this.i)) return (this.i += 4), null;
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(t);
    if (m) {
      this.i += m[0].length;
      return Number(m[0]);
    }
    return this.fail(`expected a JSON value, got ${describeAt(t, this.i)}`);
  }

  private parseObject(depth: number): JsonObject {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    this.i++; // '{'
    const out: JsonObject = new Map();
    this.skipWhitespace();
    if (this.text[this.i] === '}') return this.i++, out;
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.i] !== '"') this.fail(`expected a string key, got ${describeAt(this.text, this.i)}`);
      const keyAt = this.i;
      const key = this.parseString();
      if (out.has(key)) {
        this.i = keyAt;
        this.fail(`duplicate key ${JSON.stringify(key)}`);
      }
      this.skipWhitespace();
      if (this.text[this.i] !== ':') this.fail(`expected ':' after key ${JSON.stringify(key)}, got ${describeAt(this.text, this.i)}`);
      this.i++;
      out.set(key, this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text[this.i];
      if (c === '}') return this.i++, out;
      if (c !== ',') this.fail(`expected ',' or '}' in object, got ${describeAt(this.text, this.i)}`);
      this.i++;
    }
  }

  private parseArray(depth: number): JsonValue[] {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    this.i++; // '['
    const out: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.i] === ']') return this.i++, out;
    for (;;) {
      out.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text[this.i];
      if (c === ']') return this.i++, out;
      if (c !== ',') this.fail(`expected ',' or ']' in array, got ${describeAt(this.text, this.i)}`);
      this.i++;
    }
  }

  private parseString(): string {
    const t = this.text;
    this.i++; // opening quote
    const start = this.i;
    let out = '';
    let runStart = this.i;
    let escapedUnit = false;
    for (;;) {
      if (this.i >= t.length) this.fail('unterminated string');
      const c = t.charCodeAt(this.i);
      if (c === 0x22) {
        out += t.slice(runStart, this.i++);
        // Such a string has no UTF-8 form; the reference reader refuses it too.
        if (escapedUnit && LONE_SURROGATE.test(out)) {
          this.i = start;
          this.fail('\\u escape makes a lone surrogate in string');
        }
        return out;
      }
      if (c < 0x20) this.fail(`unescaped control character U+${c.toString(16).toUpperCase().padStart(4, '0')} in string`);
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      out += t.slice(runStart, this.i);
      const e = t[this.i + 1];
      if (e === 'u') {
        HEX4.lastIndex = this.i + 2;
        const hex = HEX4.exec(t);
        if (!hex) this.fail('bad \\u escape in string');
        out += String.fromCharCode(parseInt(hex[0], 16));
        escapedUnit = true;
        this.i += 6;
      } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
        out += ESCAPES[e];
        this.i += 2;
      } else {
        this.fail(`bad escape ${e === undefined ? 'at end of text' : `'\\${e}'`} in string`);
      }
      runStart = this.i;
    }
  }
}

/**
 * Parses strict JSON text. Throws an Error naming the problem and its position (in UTF-16
 * code units) for malformed text, duplicate keys in any object, strings whose `\u` escapes
 * leave a lone surrogate, or nesting past 64 levels.
 */
export function parseJsonStrict(text: string): JsonValue {
  return new Parser(text).parseDocument();
}
