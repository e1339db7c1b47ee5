// CommonJS in both builds (a .cts file): the ESM build has no `require`, and
// import() is asynchronous; a dependency loaded on first use needs a
// synchronous require that works from either build.

/** require() from this package, for dependencies that are loaded only when a feature is first used. */
export const requireFromHere: NodeJS.Require = require;
