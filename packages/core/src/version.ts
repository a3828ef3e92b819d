/** This package's version; test/packages.test.ts checks it against package.json. */
export const CORE_VERSION = '0.1.0';
