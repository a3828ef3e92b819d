/**
 * The base of every layer and model. A module registers what it owns by name, explicitly:
 *
 *   this.weight = this.param('weight', tensor)      // trained, in the state dict
 *   this.runningMean = this.buffer('running_mean', t) // not trained, in the state dict
 *   this.conv1 = this.module('conv1', new Conv2d(...))
 *
 * Registered names are the state-dict keys, PyTorch's spelling included (`running_mean`), so
 * weights move between dynconv and PyTorch unchanged.
 */
import { noGrad, pinMemory, type Tensor } from '@dynconv/core';

/** Options of {@link Module.loadStateDict}. */
export interface LoadOptions {
  /** Require the keys to match exactly (default true). Shapes must always match. */
  strict?: boolean;
}

/** What {@link Module.loadStateDict} did not match (always empty in strict mode). */
export interface LoadResult {
  /** The module's keys that the dict lacks (left unchanged). */
  missingKeys: string[];
  /** The dict's keys the module does not have (ignored). */
  unexpectedKeys: string[];
}

/** A map from dotted names (`layer1.0.conv1.weight`) to tensors, in registration order. */
export type StateDict = Record<string, Tensor>;

/** The key Node's `util.inspect` calls; the global symbol, so no node:util import. */
const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * The base of every layer and model: registers parameters, buffers and submodules by name (their
 * state-dict keys, PyTorch's spelling), and provides what works on the whole tree: parameter lists,
 * train/eval mode, state dicts. `In` and `Out` are the types of `forward`'s arguments and result.
 */
export abstract class Module<In extends unknown[] = [Tensor], Out = Tensor> {
  /** Training mode (dropout active, batch norm on batch statistics); see {@link train}. */
  training = true;
  private readonly params = new Map<string, Tensor | null>();
  private readonly buffersByName = new Map<string, Tensor | null>();
  private readonly children_ = new Map<string, Module<never[], unknown> | null>();

  /** The computation. Call it as `module.forward(x)`. */
  abstract forward(...inputs: In): Out;

  /**
   * Registers a trainable parameter (made a leaf that requires grad, its storage pinned where
   * the backend's kernels read it in place: `pinMemory`) and returns it.
   */
  protected param(name: string, t: Tensor): Tensor;
  protected param(name: string, t: Tensor | null): Tensor | null;
  protected param(name: string, t: Tensor | null): Tensor | null {
    this.checkName(name);
    const p = t && pinMemory((t.isLeaf ? t : t.detach()).requiresGrad_());
    this.params.set(name, p);
    return p;
  }

  /** Registers a buffer: state that is saved but not trained (running statistics). */
  protected buffer(name: string, t: Tensor): Tensor;
  protected buffer(name: string, t: Tensor | null): Tensor | null;
  protected buffer(name: string, t: Tensor | null): Tensor | null {
    this.checkName(name);
    this.buffersByName.set(name, t);
    return t;
  }

  /** Registers a submodule and returns it. */
  protected module<M extends Module<never[], unknown> | null>(name: string, m: M): M {
    this.checkName(name);
    this.children_.set(name, m as Module<never[], unknown> | null);
    return m;
  }

  /**
   * Replaces the registered submodule `name` with `m` (PyTorch's `setattr(parent, name, m)`):
   * in the registry, and wherever this module holds the old one in its own properties or in
   * an array property (as Sequential does), so that `forward` calls the new one. Used by
   * `fuseModules`. Returns the old module.
   */
  replaceModule(name: string, m: Module<never[], unknown>): Module<never[], unknown> {
    const old = this.children_.get(name);
    if (!old) throw new Error(`${this.constructor.name}.replaceModule: no submodule named '${name}' (have ${[...this.children_.keys()].join(', ') || 'none'})`);
    if (!(m instanceof Module)) throw new Error(`${this.constructor.name}.replaceModule: '${name}' must be replaced by a Module, got ${typeof m}`);
    this.children_.set(name, m);
    const self = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(self)) {
      const v = self[key];
      if (v === old) self[key] = m; // readonly in TypeScript only
      else if (Array.isArray(v)) v.forEach((e, i) => e === old && (v[i] = m));
    }
    return old;
  }

  private checkName(name: string): void {
    if (!name || name.includes('.')) throw new Error(`${this.constructor.name}: invalid name ${JSON.stringify(name)} (non-empty, no dots)`);
    if (this.params.has(name) || this.buffersByName.has(name) || this.children_.has(name)) {
      throw new Error(`${this.constructor.name}: '${name}' is already registered`);
    }
  }

  /** Direct submodules with their names. */
  namedChildren(): [string, Module<never[], unknown>][] {
    return [...this.children_].filter((e): e is [string, Module<never[], unknown>] => e[1] !== null);
  }

  /** Direct submodules, in registration order. */
  children(): Module<never[], unknown>[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant, depth first, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module<never[], unknown>][] {
    const out: [string, Module<never[], unknown>][] = [[prefix, this as unknown as Module<never[], unknown>]];
    for (const [name, child] of this.namedChildren()) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** This module and every descendant, depth first. */
  modules(): Module<never[], unknown>[] {
    return this.namedModules().map(([, m]) => m);
  }

  private named(kind: 'params' | 'buffersByName', prefix: string, recurse: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods: [string, Module<never[], unknown>][] = recurse ? this.namedModules(prefix) : [[prefix, this as unknown as Module<never[], unknown>]];
    for (const [modName, m] of mods) {
      for (const [name, t] of m[kind]) {
        if (t === null || seen.has(t)) continue; // shared tensors are listed once, like PyTorch
        seen.add(t);
        out.push([modName ? `${modName}.${name}` : name, t]);
      }
    }
    return out;
  }

  /** Parameters with dotted names, in registration order. */
  namedParameters(prefix = '', recurse = true): [string, Tensor][] {
    return this.named('params', prefix, recurse);
  }

  /**
   * Parameters in registration order (shared ones once); `recurse` false: this module's own only.
   */
  parameters(recurse = true): Tensor[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }

  /** Buffers with dotted names, in registration order. */
  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    return this.named('buffersByName', prefix, recurse);
  }

  /** Buffers in registration order (shared ones once); `recurse` false: this module's own only. */
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  /** Total number of parameter elements. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.numel(), 0);
  }

  /** Sets training mode here and in every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Runs `fn` on every descendant, then on this module (PyTorch's order). */
  apply(fn: (m: Module<never[], unknown>) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this as unknown as Module<never[], unknown>);
    return this;
  }

  /** Clears the gradient of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Parameters and buffers by dotted name; the tensors share storage with the module's. */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [name, m] of this.namedModules()) {
      const key = (k: string) => (name ? `${name}.${k}` : k);
      for (const [k, t] of m.params) if (t) out[key(k)] = t.detach();
      for (const [k, t] of m.buffersByName) if (t) out[key(k)] = t.detach();
    }
    return out;
  }

  /**
   * Copies values from `dict` into this module's parameters and buffers, in place. Everything is
   * checked first (in strict mode: every missing key, unexpected key and shape mismatch, listed
   * in one error), so a failed load changes nothing.
   */
  loadStateDict(dict: StateDict, opts: LoadOptions = {}): LoadResult {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !Object.hasOwn(dict, k));
    const unexpectedKeys = Object.keys(dict).filter((k) => !Object.hasOwn(own, k));
    const mismatched = Object.keys(own)
      .filter((k) => Object.hasOwn(dict, k))
      .filter((k) => {
        const a = own[k]!.shape;
        const b = dict[k]!.shape;
        return a.length !== b.length || a.some((d, i) => d !== b[i]);
      })
      .map((k) => `  ${k}: checkpoint has shape [${dict[k]!.shape.join(', ')}], the model [${own[k]!.shape.join(', ')}]`);
    const problems = [
      ...(strict && missingKeys.length ? [`  missing keys: ${missingKeys.join(', ')}`] : []),
      ...(strict && unexpectedKeys.length ? [`  unexpected keys: ${unexpectedKeys.join(', ')}`] : []),
      ...mismatched,
    ];
    if (problems.length) throw new Error(`loadStateDict: ${this.constructor.name} cannot load this state dict:\n${problems.join('\n')}`);
    noGrad(() => {
      for (const [k, t] of Object.entries(own)) if (Object.hasOwn(dict, k)) t.copy_(dict[k]!);
    });
    return strict ? { missingKeys: [], unexpectedKeys: [] } : { missingKeys, unexpectedKeys };
  }

  /** The constructor arguments worth printing, as PyTorch's `extra_repr`. */
  extraRepr(): string {
    return '';
  }

  /**
   * The module tree as PyTorch's `print(model)`: `Name(extraRepr)`, each submodule indented
   * below as `(name): ...`. A module with submodules ends with the parameter count as
   * torchinfo and Keras' `summary()` report it, `Total params: 11,689,512 (trainable
   * 11,689,512)` (each shared tensor counted once; trainable: those that require grad); a
   * single layer prints as one line, its size being in its arguments.
   */
  toString(): string {
    const tree = moduleTree(this as unknown as Module<never[], unknown>);
    if (!this.namedChildren().length) return tree;
    const params = this.parameters();
    const count = (ps: Tensor[]) => ps.reduce((n, p) => n + p.numel(), 0).toLocaleString('en-US');
    return `${tree}\nTotal params: ${count(params)} (trainable ${count(params.filter((p) => p.requiresGrad))})`;
  }

  /** What `console.log` and Node's `util.inspect` show: {@link toString}, not the fields. */
  [inspectCustom](): string {
    return this.toString();
  }
}

/** The tree part of {@link Module.toString}, recursing without the totals line. */
function moduleTree(m: Module<never[], unknown>): string {
  const kids = m.namedChildren();
  const head = `${m.constructor.name}(${m.extraRepr()}`;
  if (!kids.length) return `${head})`;
  const lines = kids.map(([name, c]) => `  (${name}): ${moduleTree(c).split('\n').join('\n  ')}`);
  return `${head}\n${lines.join('\n')}\n)`;
}
