// Workflow definitions: the graph vocabulary, its validation and the built-in templates (no I/O).
export * from './default-template.js';
export * from './nodes.js';
export * from './parse.js';
export * from './validate.js';
