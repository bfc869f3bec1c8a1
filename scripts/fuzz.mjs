// npm run fuzz -- [--runs N] [--seed S] [--route OP] [--path P] [--no-shrink] [--help]
// The route fuzzer's command line lives beside the fuzzer and its suite (test/fuzz/cli.ts); run under tsx.
await import('../test/fuzz/cli.ts');
