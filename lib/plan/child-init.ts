// Imported first by the plan's evaluation child (scripts/plan-stack.ts), before the Pulumi SDK.
// `npm run plan` starts one such process per stack, so whatever each one loads or computes without
// need is paid twenty times over. Two things the evaluation never uses cost over a third of a
// child's CPU time; neither changes what the program registers.
import { registerLazySdkModules } from "./lazy-sdk";

// 1. Source maps. tsx turns them on (process.setSourceMapsEnabled(true) in its register hook); then
//    every `new Error().stack` is mapped back through the TypeScript sources, and the Pulumi SDK
//    captures a stack for every promise it makes (runtime/debuggable.ts debuggablePromise). A crash
//    in the child now reports lines of tsx's compiled output instead of the .ts lines.
process.setSourceMapsEnabled(false);

// 2. The SDK's closure serializer, which loads the TypeScript compiler and npm's arborist for
//    nothing here: registered lazily (lib/plan/lazy-sdk.ts says why and how).
registerLazySdkModules();
