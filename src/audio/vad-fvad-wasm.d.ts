// The package ships no types. Its default export is an Emscripten module factory; the module's
// shape is declared (and narrowed) where it is used, in vad.ts.
declare module '@echogarden/fvad-wasm' {
  const createFvadModule: (moduleArg?: object) => Promise<unknown>;
  export default createFvadModule;
}
