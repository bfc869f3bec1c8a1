// Loader fixture: names starting with "_" are helpers, never loaded as scenarios.
export const SHARED_DESCRIPTION = 'shared';
