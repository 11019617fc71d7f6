// Exiting a CLI: process.exit() right after a large write to a pipe truncates the output (stdout
// to a pipe is asynchronous), so flush both streams first.
export function exitAfterFlush(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}
