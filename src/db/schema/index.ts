export * from './threads.js';
export * from './items.js';
export * from './columns.js';
