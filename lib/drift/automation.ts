// The real RefreshPreviewer: the Pulumi Automation API over the project directory, i.e. the
// Pulumi CLI on PATH with the user's backend login and cloud credentials. Not run in tests here
// (no CLI, no AWS); test/drift.test.ts drives lib/drift/check.ts through a fake instead.
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import type { RefreshPreviewer } from "./check";

export const PULUMI_CLI_MISSING =
  "pulumi CLI not found on PATH: install it (https://www.pulumi.com/docs/iac/download-install/) " +
  "and log in to the stacks' backend (pulumi login), then run the drift check again";

/** Whether an executable named `name` is in one of PATH's directories. */
export function onPath(name: string, pathVar = process.env.PATH ?? ""): boolean {
  return pathVar
    .split(path.delimiter)
    .filter((d) => d !== "")
    .some((dir) => {
      try {
        fs.accessSync(path.join(dir, name), fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

export interface AutomationOptions {
  /** Directory holding Pulumi.yaml. */
  workDir: string;
  /**
   * Prepended to each stack name, e.g. "my-org/livepeer-fleet/" for a Pulumi Cloud organisation
   * other than the user's default. Empty: stack names as written in the stack files.
   */
  stackPrefix?: string;
}

export function automationPreviewer(o: AutomationOptions): RefreshPreviewer {
  return {
    async previewRefresh(stack, { signal, onEvent }) {
      // Without the CLI the Automation API fails with its spawn error wrapped in a CommandError
      // ("code: -2 ... spawn pulumi ENOENT"): say what is missing instead.
      if (!onPath("pulumi")) throw new Error(PULUMI_CLI_MISSING);
      const s = await LocalWorkspace.selectStack({
        stackName: `${o.stackPrefix ?? ""}${stack}`,
        workDir: o.workDir,
      });
      // previewRefresh is `pulumi refresh --preview-only`: it reads every resource from the
      // cloud and reports what a refresh would change, without writing state. The deprecated
      // `refresh({ previewOnly: true })` maps to the same command. Without --expect-no-changes
      // the CLI exits 0 on drift, so a CommandError here always means the check itself failed.
      const r = await s.previewRefresh({ onEvent, signal, color: "never" });
      return { changeSummary: r.changeSummary };
    },
  };
}
