/**
 * Each routing feature's config (`select`, `canary`, `auth`, `llm`) now sits at the end of
 * its own module; this re-export remains only because `router.ts`, which helper
 * router-handle is splitting, imports `buildSelectOptions` from here. Delete this file once
 * its importers take it from `select.ts`.
 */
export { buildSelectOptions } from './select.ts';
