/**
 * Ends the process with `code` once stdout and stderr have handed everything written to them
 * to the OS. `process.exit` alone drops what is still queued for a pipe (`validate … | cat`
 * lost the last 2 KB of 130 KB, the summary line with it).
 */
export async function exit(code: number): Promise<never> {
  process.exitCode = code;
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}

function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    // The callback of an empty write runs once every earlier write has been flushed.
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}

/** The command line's exit codes: every SLO held (or every run met its expectation), one breached, invalid input or environment, interrupted. */
export const EXIT = { pass: 0, breached: 1, invalid: 2, interrupted: 130 } as const;
