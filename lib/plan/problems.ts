// A failed stack's message as problems: each `<file>: <key path>: <message>` line parsed (config
// errors, lib/config/load.ts ConfigError; stack names, lib/stack.ts StackNameError), any other
// line kept whole.
import type { StackProblem } from "./report";

const PROBLEM_LINE = /^(\S+\.yaml): (\S+): (.*)$/;

export function problemsOf(message: string): StackProblem[] {
  return message
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line) => {
      const m = PROBLEM_LINE.exec(line);
      return m ? { file: m[1], keyPath: m[2], message: m[3] } : { message: line };
    });
}
