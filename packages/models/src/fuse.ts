/**
 * Inference fusion for the model zoo: finds every Conv2d followed by its BatchNorm2d (and a
 * ReLU or ReLU6 of its own) and folds them with nn's `fuseModules`, so an eval-mode forward
 * makes one pass per feature map where it made three. Works for the static backbones and for
 * the static layers of the Dy- models (a DynamicConv2d is not folded).
 */
import { BatchNorm2d, Conv2d, fuseModules, type Module, ReLU, ReLU6, Sequential } from '@dynconv/nn';

/** Any module, whatever its forward takes and returns. */
type AnyModule = Module<never[], unknown>;

/** How many times each module is registered anywhere in `model` (a shared ReLU counts twice). */
function registrations(model: AnyModule): Map<AnyModule, number> {
  const count = new Map<AnyModule, number>();
  const walk = (m: AnyModule) => {
    for (const [, child] of m.namedChildren()) {
      const n = (count.get(child) ?? 0) + 1;
      count.set(child, n);
      if (n === 1) walk(child);
    }
  };
  walk(model);
  return count;
}

/**
 * The groups `fuseModules` takes for `model`: in a Sequential, each Conv2d directly followed by
 * a BatchNorm2d, with the next ReLU/ReLU6 when it is registered nowhere else; in any other
 * module, the siblings `convK` and `bnK` (torchvision's names: ResNet's blocks apply `bnK`
 * to `convK`'s output; their ReLU is shared, so it stays a module of its own).
 */
export function fusionGroups(model: AnyModule): string[][] {
  const shared = registrations(model);
  const groups: string[][] = [];
  const isAct = (m: AnyModule | undefined) => (m instanceof ReLU || m instanceof ReLU6) && shared.get(m) === 1;
  const seen = new Set<AnyModule>();
  for (const [path, m] of model.namedModules()) {
    if (seen.has(m)) continue; // a module registered twice is visited once
    seen.add(m);
    const kids = m.namedChildren();
    const at = (name: string) => (path ? `${path}.${name}` : name);
    if (m instanceof Sequential) {
      for (let i = 0; i + 1 < kids.length; i++) {
        const [cName, conv] = kids[i]!;
        const [bName, bn] = kids[i + 1]!;
        if (!(conv instanceof Conv2d) || !(bn instanceof BatchNorm2d) || conv.opts.activation) continue;
        const next = kids[i + 2];
        groups.push(next && isAct(next[1]) ? [at(cName), at(bName), at(next[0])] : [at(cName), at(bName)]);
      }
      continue;
    }
    const byName = new Map(kids);
    for (const [name, conv] of kids) {
      const k = /^conv(\d*)$/.exec(name);
      const bn = k ? byName.get(`bn${k[1]}`) : undefined;
      if (conv instanceof Conv2d && bn instanceof BatchNorm2d && !conv.opts.activation) groups.push([at(name), at(`bn${k![1]}`)]);
    }
  }
  return groups;
}

/**
 * Puts `model` in eval mode and fuses every conv with its BatchNorm (and ReLU) in place
 * ({@link fusionGroups}); returns it. Its eval outputs stay the same up to rounding; the
 * BatchNorms are gone, so it is for inference only.
 */
export function fuseForInference<M extends AnyModule>(model: M): M {
  model.eval();
  return fuseModules(model, fusionGroups(model));
}
