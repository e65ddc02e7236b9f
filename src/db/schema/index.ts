export * from './threads.js';
export * from './items.js';
