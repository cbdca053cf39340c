// The part of the WebAssembly JS API that the kernel loader uses. Node has it at run time, but
// @types/node 20 does not declare it and lib "DOM" would bring in a browser's globals.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}
