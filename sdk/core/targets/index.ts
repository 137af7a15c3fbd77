/**
 * Device target profiles: types, schema, loading and the functions the toolchain plans with.
 * Re-exports only.
 */
export * from './written.js';
export type * from './resolved.js';
export { TARGET_PROFILE_SCHEMA } from './schema.js';
export { checkAgainstSchema, type JsonSchema, type SchemaIssue } from './json-schema.js';
export { TargetProfileError, formatIssues, type ProfileIssue } from './issues.js';
export { normalizeWrittenTarget, GIB, smOf } from './normalize.js';
export { PROFILE_RULES, runProfileRules, type ProfileRule, type RuleContext } from './rules.js';
export { validateTargetProfile, assertValidTarget, type TargetValidation } from './validate-profile.js';
export {
  loadTarget,
  listTargets,
  readTargetFile,
  targetsDir,
  TARGETS_DIR_ENV,
  TARGET_SCHEMA_FILE,
  type TargetLoadOptions,
} from './load.js';
export { findPackageRoot, PACKAGE_NAME } from './package-root.js';
export { UTILISATION, PRECISION_PREFERENCE, type MathUnit } from './defaults.js';
export {
  bestPrecision,
  computePrecisions,
  dlaUsable,
  effectiveThroughput,
  mathUnitFor,
  modelMemoryBudget,
  peakThroughput,
  tensorrtVersionsFor,
} from './capabilities.js';
export { compareVersions, versionsMatch, parseVersion } from './versions.js';
