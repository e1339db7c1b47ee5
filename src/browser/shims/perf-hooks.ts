// node:perf_hooks in the browser: the page's own high-resolution clock (the metrics hooks time calls with it).
export const performance: Performance = globalThis.performance;
