/** Errors of a run's environment, apart from environment.ts so the pieces it starts (target.ts) can raise them without an import cycle. */

/** Raised when the environment cannot be brought up: the run did not start, exit code 2. */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}
