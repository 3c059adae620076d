/** Documented exit codes (sysexits where they fit). */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
  Unavailable: 69,
  Config: 78,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
