// Server-side table printing; the implementation lives in ./printers/.
export * from './printers/index.js';
