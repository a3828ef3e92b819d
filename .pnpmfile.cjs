// typedoc 0.28 (`pnpm docs:api`) runs on the TypeScript 5.x JS API, which the repo's own
// typescript (7.x, the native compiler used by `tsc -b`) no longer has. typescript is a peer
// dependency of typedoc, so pnpm would fill it with the root's 7.x (overrides and
// packageExtensions do not change how a peer resolves); this hook makes it a plain dependency
// of typedoc pinned to 5.9, so typedoc gets its own copy and `tsc -b` keeps using 7.x.
const TYPEDOC_TYPESCRIPT = '5.9.3';

module.exports = {
  hooks: {
    readPackage(pkg) {
      if (pkg.name === 'typedoc') {
        if (pkg.peerDependencies) delete pkg.peerDependencies.typescript;
        if (pkg.peerDependenciesMeta) delete pkg.peerDependenciesMeta.typescript;
        pkg.dependencies = { ...pkg.dependencies, typescript: TYPEDOC_TYPESCRIPT };
      }
      return pkg;
    },
  },
};
