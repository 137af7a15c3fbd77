/**
 * Problems found in a profile, and the one error that reports all of them at once.
 */
import { EdgeError, type ErrorCode } from '../errors.js';

/** One problem in a profile: the field it is about and what is wrong. */
export interface ProfileIssue {
  /** Dotted path inside the profile (`power.modeSets[0].defaultMode`), or `(file)` for the file itself. */
  field: string;
  message: string;
}

/** What to do about a malformed profile. */
export const PROFILE_HINT =
  'targets/README.md explains every field; `ringmoe-edge targets` lists the shipped profiles.';

/** Formats issues one per line, `  - <field>: <message>`. */
export function formatIssues(issues: readonly ProfileIssue[]): string {
  return issues.map((i) => `  - ${i.field}: ${i.message}`).join('\n');
}

/**
 * `E_TARGET_PROFILE`: a malformed profile. The message names the file and lists EVERY bad field;
 * `issues` carries them for programs, `field` lists their paths.
 */
export class TargetProfileError extends EdgeError {
  /** Every problem found, in document order. */
  readonly issues: readonly ProfileIssue[];

  constructor(file: string, issues: readonly ProfileIssue[], code: ErrorCode = 'E_TARGET_PROFILE') {
    const n = issues.length;
    // The issue list is the message; field and hint are set after super() so that EdgeError does
    // not prefix the field list or append the hint to the last issue line.
    super(
      code,
      `invalid device target profile (${n} problem${n === 1 ? '' : 's'}):\n${formatIssues(issues)}\n${PROFILE_HINT}`,
      { file },
    );
    this.name = 'TargetProfileError';
    this.issues = issues;
    Object.defineProperty(this, 'field', {
      value: [...new Set(issues.map((i) => i.field))].join(', '),
      enumerable: true,
    });
    Object.defineProperty(this, 'hint', { value: PROFILE_HINT, enumerable: true });
  }

  /** Plain object for `--json`, with the issues. */
  override toJSON(): ReturnType<EdgeError['toJSON']> & { issues: ProfileIssue[] } {
    return { ...super.toJSON(), issues: [...this.issues] };
  }
}
