/**
 * parse → normalize → rules for one profile (P4). Structural problems (schema) are all reported
 * together; when the structure is sound the profile is normalized and every cross-field rule runs,
 * and all their errors are reported together too.
 */
import { checkAgainstSchema } from './json-schema.js';
import { TargetProfileError, type ProfileIssue } from './issues.js';
import { normalizeWrittenTarget } from './normalize.js';
import type { TargetProfile } from './resolved.js';
import { runProfileRules } from './rules.js';
import { TARGET_PROFILE_SCHEMA } from './schema.js';
import type { WrittenTargetProfile } from './written.js';

/** The outcome of validating one profile. */
export interface TargetValidation {
  /** The resolved profile; present only when there are no errors. */
  profile?: TargetProfile;
  errors: ProfileIssue[];
  warnings: ProfileIssue[];
}

/**
 * Validates a parsed profile and resolves it. Never throws for bad input: every problem is in
 * `errors` (use {@link assertValidTarget} to throw them as one error).
 * @param json the parsed JSON value of a profile file
 * @param file the file name to report (also kept on the profile)
 * @returns the resolved profile (when valid), errors and warnings
 * @example
 * const { profile, errors } = validateTargetProfile(JSON.parse(text), 'my-board.json');
 */
export function validateTargetProfile(json: unknown, file: string): TargetValidation {
  const structural = checkAgainstSchema(json, TARGET_PROFILE_SCHEMA).map((i) => ({
    field: i.path,
    message: i.message,
  }));
  if (structural.length) return { errors: structural, warnings: [] };
  const written = json as WrittenTargetProfile;
  const profile = normalizeWrittenTarget(written, file);
  const { errors, warnings } = runProfileRules(written, profile);
  if (errors.length) return { errors, warnings };
  profile.warnings = warnings.map((w) => `${w.field}: ${w.message}`);
  return { profile, errors, warnings };
}

/**
 * Like {@link validateTargetProfile} but returns the profile or throws.
 * @throws EdgeError E_TARGET_PROFILE ({@link TargetProfileError}) naming the file and every bad field
 */
export function assertValidTarget(json: unknown, file: string): TargetProfile {
  const result = validateTargetProfile(json, file);
  if (!result.profile) throw new TargetProfileError(file, result.errors);
  return result.profile;
}
