import type { Tensor } from '@dynconv/core';
import { Module } from '../module.js';

/** A module from one tensor to one tensor, as a container's children are. */
type Layer = Module<[Tensor], Tensor>;

/** Runs its modules one after another; they are registered as '0', '1', ... */
export class Sequential extends Module {
  private readonly layers: Layer[];

  constructor(...layers: Layer[]) {
    super();
    this.layers = layers.map((m, i) => this.module(String(i), m));
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, m) => m.forward(h), x);
  }

  /** Number of modules. */
  get length(): number {
    return this.layers.length;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): Layer {
    const m = this.layers.at(i);
    if (!m) throw new Error(`Sequential: index ${i} is out of range for ${this.layers.length} modules`);
    return m;
  }

  /** The modules in order. */
  [Symbol.iterator](): Iterator<Layer> {
    return this.layers[Symbol.iterator]();
  }
}

/** A list of modules registered as '0', '1', ... (no forward of its own). */
export class ModuleList<M extends Module<never[], unknown> = Module<never[], unknown>> extends Module<never[], never> {
  private readonly items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.push(m);
  }

  /** Appends a module, registered under the next index; returns this list. */
  push(m: M): this {
    this.items.push(this.module(String(this.items.length), m));
    return this;
  }

  /** Number of modules. */
  get length(): number {
    return this.items.length;
  }

  /** The i-th module (negative counts from the end); throws when out of range. */
  at(i: number): M {
    const m = this.items.at(i);
    if (!m) throw new Error(`ModuleList: index ${i} is out of range for ${this.items.length} modules`);
    return m;
  }

  /** The modules in order. */
  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }

  forward(): never {
    throw new Error('ModuleList: has no forward(); iterate over it and call its modules');
  }
}
