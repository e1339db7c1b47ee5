// CommonJS in both builds (a .cts file): the ESM build has no `require`, and
// import() is asynchronous; node-gyp-build, the addon and dependencies loaded
// on first use need a synchronous require that works from either build.

/** require() from this package. */
export const requireFromPackage: NodeJS.Require = require;
