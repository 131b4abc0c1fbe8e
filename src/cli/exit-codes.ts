// The exit codes are the export's (an app's pass computes them for `runs`); the CLI exits with them.
export { ExitCode } from '../export/exit-code.js';
