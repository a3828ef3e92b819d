/**
 * The base of every optimizer: parameter groups with their options, per-parameter state, the
 * step loop, and state dicts that resume a run bit for bit. Subclasses supply the update rule
 * of one parameter ({@link Optimizer.updateParam}) and the rules their options must follow.
 */
import { notATensorError, Tensor, enableGrad, isFloating, keep, noGrad, tidy, zerosLike } from '@dynconv/core';
import { type Rule, check, isPlainObject, learningRate, show, fmtShape } from './check.js';
import { type SerializedTensor, adoptStateTensor, serializeTensor } from './serialize.js';

/** A value an optimizer option may take. */
export type OptionValue = number | boolean | readonly number[];

/** The options every optimizer has. */
export interface BaseOptions {
  /** Learning rate. */
  lr: number;
}

/**
 * One parameter group: its tensors plus every option, defaults filled in. Schedulers change
 * `lr` here between steps.
 */
export type ParamGroup<O extends BaseOptions = BaseOptions> = O & {
  /** The group's parameters (leaf float tensors, each in one group only). */
  params: Tensor[];
  /** The lr a schedule counts from; set by the first LRScheduler built on the optimizer. */
  initialLr?: number;
};

/** A group as the caller gives it: tensors, plus options that override the optimizer's defaults. */
export type ParamGroupInput<O extends BaseOptions = BaseOptions> = {
  /** The group's parameters: one tensor or several. */
  params: Tensor | Iterable<Tensor>;
} & Partial<O>;

/** What an optimizer optimizes: tensors (one group), or groups with their own options. */
export type Params<O extends BaseOptions = BaseOptions> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/** Per-parameter state: tensors (moments, buffers, in the parameter's dtype) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number | undefined>;

/**
 * One entry of a parameter's saved state: a number (a step count), or a tensor, either as a
 * Tensor (`stateDict('tensors')`, what checkpoints store in binary) or as JSON values.
 * @inline
 */
export type StateValue = number | Tensor | SerializedTensor;

/**
 * An optimizer's state, laid out like PyTorch's: parameters are referred to by their position
 * across the groups in order (0, 1, 2... continuing from group to group).
 */
export interface OptimizerStateDict {
  /** Per-parameter state, keyed by parameter index; parameters with no state are absent. */
  state: Record<string, Record<string, StateValue>>;
  /** Each group's options and the indices of its parameters. */
  paramGroups: Array<{
    /** Indices of the group's parameters. */
    params: number[];
    [option: string]: OptionValue;
  }>;
}

/** What a subclass tells the base about itself. */
export interface OptimizerSpec<O extends BaseOptions> {
  /** Class name, used in every error message. */
  name: string;
  /** Every option with its default; these are also the only option names accepted. */
  defaults: O;
  /** The rule each option's value must satisfy. */
  rules: { [K in keyof O]: Rule };
  /** The state entries a parameter may have, and what each holds (checked on load). */
  stateKeys: Record<string, StateKind>;
}

/**
 * What a state entry holds: a step `count` (an integer >= 0), a `tensor` of finite values, or
 * a `nonNegativeTensor` (finite and >= 0: running averages of squares, whose square root is taken).
 * @inline
 */
export type StateKind = 'count' | 'tensor' | 'nonNegativeTensor';

/** Group keys that are not options but may appear in a group. */
const EXTRA_GROUP_KEYS = new Set(['params', 'initialLr']);

/**
 * Base class of the optimizers. `step()` walks every group's parameters, skips those whose
 * `.grad` is null, and updates the rest in place (inside `noGrad`, in the parameter's dtype).
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions, S extends ParamState = ParamState> {
  /** Class name, as in error messages. */
  readonly name: string;
  /** Each option's default, used for options a group does not set. */
  readonly defaults: Readonly<O>;
  /** The parameter groups, in order. Options may be changed between steps (schedulers set `lr`). */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created at a parameter's first update. */
  state = new Map<Tensor, S>();
  private readonly spec: OptimizerSpec<O>;

  protected constructor(params: Params<O>, spec: OptimizerSpec<O>, overrides: Partial<O> = {}) {
    this.name = spec.name;
    this.spec = spec;
    const defaults = this.completeOptions(overrides, spec.defaults, '');
    this.defaults = defaults;
    for (const group of this.readParams(params)) this.addParamGroup(group);
  }

  /**
   * The update of one parameter that has a gradient: read and write `state`, then write the
   * new value into `param` in place. Runs inside `noGrad`; `grad` has the parameter's shape
   * and dtype.
   */
  protected abstract updateParam(param: Tensor, grad: Tensor, state: S, group: ParamGroup<O>): void;

  /** Cross-option checks (for example SGD's nesterov needs momentum); throws on a bad combination. */
  protected checkGroup(_options: O, _where: string): void {}

  /**
   * Runs one update of every parameter that has a gradient. With a `closure` (which should
   * recompute the loss and call backward), runs it first with grad mode on and returns its result.
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    const loss = closure === undefined ? undefined : enableGrad(closure);
    noGrad(() => {
      let index = 0;
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          const i = index++;
          if (p.grad === null) continue;
          let s = this.state.get(p);
          if (s === undefined) {
            s = {} as S;
            this.state.set(p, s);
          }
          // Inside tidy() so a device backend frees the update's temporaries at once; the new
          // state tensors are kept and the ones they replace disposed (dynconv's memory.ts).
          const state = s;
          const before = Object.values(state).filter((v): v is Tensor => v instanceof Tensor);
          tidy(() => {
            this.updateParam(p, this.gradOf(p, i), state, group);
            for (const v of Object.values(state)) if (v instanceof Tensor) keep(v);
          });
          const after = new Set(Object.values(state));
          for (const old of before) if (!after.has(old) && old !== p) old.dispose();
        }
      }
    });
    return loss;
  }

  /**
   * Clears the gradients of every parameter: to null by default, as PyTorch does, or to zeros.
   * Zeros are fresh tensors rather than in-place writes, because a `.grad` may share storage
   * with other tensors (another leaf's gradient, or the gradient given to `backward`). The
   * dropped gradient tensors are disposed (device memory is freed at once): clone a gradient
   * you want to keep past zeroGrad.
   */
  zeroGrad(setToNone = true): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        // The dropped gradient is disposed (frees device memory at once); clone one to keep it.
        const old = p.grad;
        p.grad = setToNone ? null : zerosLike(old);
        old.dispose();
      }
    }
  }

  /** Adds a group of parameters, with options overriding the defaults. */
  addParamGroup(group: ParamGroupInput<O>): void {
    const where = ` (parameter group ${this.paramGroups.length})`;
    if (!isPlainObject(group)) throw new Error(`${this.name}: a parameter group must be an object { params, ...options }, got ${show(group)}`);
    const raw = group.params as unknown;
    if (raw === undefined) throw new Error(`${this.name}: parameter group ${this.paramGroups.length} has no 'params'`);
    const params = raw instanceof Tensor ? [raw] : isIterable(raw) ? [...raw] : null;
    if (params === null) throw new Error(`${this.name}: 'params' must be a Tensor or an iterable of Tensors, got ${show(raw)}${where}`);
    const seen = new Set<Tensor>();
    const taken = new Set(this.paramGroups.flatMap((g) => g.params));
    params.forEach((p: unknown, i) => {
      if (!(p instanceof Tensor)) throw notATensorError(this.name, `params[${i}]`, p, `${show(p)}${where}`);
      if (!isFloating(p.dtype)) throw new Error(`${this.name}: can only optimize float32 and float64 tensors, params[${i}] is ${p.dtype}${where}`);
      if (!p.isLeaf) throw new Error(`${this.name}: cannot optimize a non-leaf tensor (params[${i}] was computed by an op; optimize the leaf, or detach() it)${where}`);
      if (seen.has(p)) throw new Error(`${this.name}: params[${i}] appears twice in the same parameter group${where}`);
      if (taken.has(p)) throw new Error(`${this.name}: params[${i}] is already in another parameter group${where}`);
      seen.add(p);
    });
    const { params: _, ...overrides } = group;
    const options = this.completeOptions(overrides as unknown as Partial<O>, this.defaults, where);
    this.paramGroups.push({ ...options, params: params as Tensor[] });
  }

  /**
   * The optimizer's options and state (see {@link OptimizerStateDict}). By default every value
   * is plain JSON (tensors as {@link SerializedTensor}: fine for small models, exact through
   * `JSON.stringify`). With `'tensors'` the state tensors are the optimizer's own Tensors, not
   * copies (as in PyTorch; the next step may update them in place): what checkpoints write,
   * in binary, for models whose moments would make megabytes of JSON.
   */
  stateDict(format: 'json' | 'tensors' = 'json'): OptimizerStateDict {
    const state: OptimizerStateDict['state'] = {};
    const paramGroups: OptimizerStateDict['paramGroups'] = [];
    let index = 0;
    for (const group of this.paramGroups) {
      const ids: number[] = [];
      for (const p of group.params) {
        const s = this.state.get(p);
        if (s !== undefined) {
          const entry: Record<string, StateValue> = {};
          for (const [k, v] of Object.entries(s)) {
            if (v !== undefined) entry[k] = typeof v === 'number' || format === 'tensors' ? v : serializeTensor(v);
          }
          if (Object.keys(entry).length > 0) state[String(index)] = entry;
        }
        ids.push(index++);
      }
      const options: Record<string, OptionValue> = {};
      for (const key of Object.keys(this.defaults)) options[key] = copyOption(group[key as keyof O] as OptionValue);
      if (group.initialLr !== undefined) options.initialLr = group.initialLr;
      paramGroups.push({ ...options, params: ids });
    }
    return { state, paramGroups };
  }

  /**
   * Restores options and state saved by {@link stateDict} (possibly through JSON). The groups
   * must match this optimizer's in number and sizes and the state tensors the parameters'
   * shapes; options follow the constructor's rules, step counts are integers >= 0, state
   * tensors hold finite values (second moments >= 0). Everything is checked before anything
   * changes, and an error names the field and its value. Parameters keep their identity:
   * saved index k goes to the k-th parameter across this optimizer's groups, as in PyTorch.
   * Loaded tensors are copied (in the parameter's dtype and backend).
   */
  loadStateDict(dict: OptimizerStateDict): void {
    this.prepareLoadStateDict(dict)();
  }

  /**
   * The checking half of {@link loadStateDict}: validates `dict` completely and returns the
   * function that installs it, which cannot fail. Nothing changes until that is called, so a
   * caller loading several objects (Checkpoint.restore) can check them all first.
   */
  prepareLoadStateDict(dict: OptimizerStateDict): () => void {
    const name = `${this.name}.loadStateDict`;
    if (!isPlainObject(dict) || !isPlainObject(dict.state) || !Array.isArray(dict.paramGroups)) {
      throw new Error(`${name}: expected an object { state, paramGroups } as stateDict() returns, got ${show(dict)}`);
    }
    const saved: unknown[] = dict.paramGroups;
    if (saved.length !== this.paramGroups.length) {
      throw new Error(`${name}: the state dict has ${saved.length} parameter groups but this optimizer has ${this.paramGroups.length}`);
    }
    const byIndex = new Map<number, Tensor>();
    const newOptions = saved.map((g, gi) => {
      const where = ` (parameter group ${gi})`;
      if (!isPlainObject(g) || !Array.isArray(g.params)) throw new Error(`${name}: parameter group ${gi} must be an object with a 'params' array of indices, got ${show(g)}`);
      const ids: unknown[] = g.params;
      const mine = this.paramGroups[gi]!.params;
      if (ids.length !== mine.length) {
        throw new Error(`${name}: parameter group ${gi} has ${ids.length} parameters in the state dict but ${mine.length} in this optimizer`);
      }
      ids.forEach((id, j) => {
        if (!Number.isSafeInteger(id) || (id as number) < 0) throw new Error(`${name}: params[${j}] must be a parameter index, got ${show(id)}${where}`);
        if (byIndex.has(id as number)) throw new Error(`${name}: parameter index ${show(id)} appears more than once${where}`);
        byIndex.set(id as number, mine[j]!);
      });
      for (const key of Object.keys(g)) {
        if (!(key in this.defaults) && !EXTRA_GROUP_KEYS.has(key)) {
          throw new Error(`${name}: unknown option '${key}'${where}; ${this.name} options are ${Object.keys(this.defaults).join(', ')} (is this another optimizer's state dict?)`);
        }
      }
      for (const key of Object.keys(this.defaults)) {
        if (!(key in g)) throw new Error(`${name}: option '${key}' is missing${where} (is this another optimizer's state dict?)`);
      }
      const { params: _, initialLr, ...options } = g;
      if (initialLr !== undefined) check(this.name, 'initialLr', initialLr, learningRate, where);
      return { options: this.completeOptions(options as Partial<O>, this.defaults, where), initialLr: initialLr as number | undefined };
    });

    const state = new Map<Tensor, S>();
    for (const [key, entry] of Object.entries(dict.state)) {
      const id = Number(key);
      const p = byIndex.get(id);
      if (p === undefined || String(id) !== key) throw new Error(`${name}: the state refers to parameter ${show(key)}, which no parameter group lists`);
      if (!isPlainObject(entry)) throw new Error(`${name}: the state of parameter ${key} must be an object, got ${show(entry)}`);
      const s: Record<string, Tensor | number> = {};
      for (const [k, v] of Object.entries(entry)) {
        const kind = this.spec.stateKeys[k];
        if (kind === undefined) {
          throw new Error(`${name}: unknown state '${k}' for parameter ${key}; ${this.name} keeps ${Object.keys(this.spec.stateKeys).join(', ')}`);
        }
        if (kind === 'count') {
          if (!Number.isSafeInteger(v) || (v as number) < 0) throw new Error(`${name}: state '${k}' of parameter ${key} must be an integer >= 0 (a step count), got ${show(v)}`);
          s[k] = v as number;
        } else {
          s[k] = adoptStateTensor(`${name}: state '${k}' of parameter ${key}`, v, p, kind === 'nonNegativeTensor');
        }
      }
      state.set(p, s as S);
    }

    // Everything checked: what remains cannot fail.
    return () => {
      newOptions.forEach(({ options, initialLr }, gi) => {
        const group = this.paramGroups[gi]!;
        Object.assign(group, options);
        if (initialLr === undefined) delete group.initialLr;
        else group.initialLr = initialLr;
      });
      this.state = state;
    };
  }

  /** `overrides` over `base`, every key checked: unknown names and bad values throw. */
  private completeOptions(overrides: Partial<O>, base: O, where: string): O {
    if (!isPlainObject(overrides)) throw new Error(`${this.spec.name}: options must be an object, got ${show(overrides)}`);
    for (const key of Object.keys(overrides)) {
      if (!(key in this.spec.defaults)) {
        throw new Error(`${this.spec.name}: unknown option '${key}'${where}; the options are ${Object.keys(this.spec.defaults).join(', ')}`);
      }
    }
    const out = {} as Record<string, OptionValue>;
    for (const key of Object.keys(this.spec.defaults) as (keyof O & string)[]) {
      const given = overrides[key];
      const value = (given === undefined ? base[key] : given) as OptionValue;
      check(this.spec.name, key, value, this.spec.rules[key], where);
      out[key] = copyOption(value);
    }
    this.checkGroup(out as unknown as O, where);
    return out as unknown as O;
  }

  /** Splits the constructor's `params` into group inputs. */
  private readParams(params: Params<O>): ParamGroupInput<O>[] {
    if (params instanceof Tensor || !isIterable(params)) {
      throw new Error(`${this.spec.name}: params must be an iterable of Tensors or of parameter groups { params, ...options }, got ${params instanceof Tensor ? 'a single Tensor (wrap it in an array)' : show(params)}`);
    }
    const items: unknown[] = [...params];
    if (items.length === 0) throw new Error(`${this.spec.name}: got an empty parameter list`);
    if (items.every((x) => x instanceof Tensor)) return [{ params: items as Tensor[] } as unknown as ParamGroupInput<O>];
    if (items.every(isPlainObject)) return items as ParamGroupInput<O>[];
    throw new Error(`${this.spec.name}: params must be all Tensors or all parameter groups { params, ...options }, not a mix`);
  }

  /** The gradient of parameter `i`, checked and in the parameter's dtype. */
  private gradOf(p: Tensor, i: number): Tensor {
    const g = p.grad!;
    if (g.shape.length !== p.shape.length || g.shape.some((d, k) => d !== p.shape[k])) {
      throw new Error(`${this.name}.step: parameter ${i} has shape ${fmtShape(p.shape)} but its grad has shape ${fmtShape(g.shape)}`);
    }
    return g.dtype === p.dtype ? g.detach() : g.to(p.dtype);
  }
}

function isIterable(x: unknown): x is Iterable<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

/** Arrays (betas) are copied so a group never shares them with the caller or a state dict. */
function copyOption(v: OptionValue): OptionValue {
  return Array.isArray(v) ? [...(v as number[])] : v;
}
