export * from './flags.js';
export * from './cmd.js';
export * from './errors.js';
export * from './frame.js';
export * from './parser.js';
