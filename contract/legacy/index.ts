export * from './dialect.ts';
export * from './dialects.ts';
export * from './wire.ts';
