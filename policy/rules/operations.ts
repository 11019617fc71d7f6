// Instance metadata, the protected chain data volume and SSM schedules that must not fire on a
// deploy. Pure.
import { CHAIN_DATA_ROLE, ROLE_TAG } from "../../components/chain-node";
import { list, obj, Rule, UNKNOWN } from "./resource";

const WITH_METADATA_OPTIONS: Record<string, string> = {
  "aws:ec2/launchTemplate:LaunchTemplate": "launch template",
  "aws:ec2/instance:Instance": "instance",
  "aws:ec2/spotInstanceRequest:SpotInstanceRequest": "spot instance request",
  "aws:ec2/launchConfiguration:LaunchConfiguration": "launch configuration",
};

/**
 * IMDSv2 tokens required, and a PUT response hop limit of exactly 1: a token then cannot leave
 * the instance's own network stack, so a container behind a bridge (one more hop) cannot read the
 * instance role's credentials (EC2 User Guide, "Configure the instance metadata options"). Left
 * unset, the hop limit is whatever the AMI asks for (2 for AMIs registered with ImdsSupport v2.0),
 * so it must be written. A spot fleet launch specification has no metadata options at all: such a
 * fleet must launch from a launch template instead.
 */
export const imdsV2Required: Rule = {
  name: "imdsv2-required",
  description:
    "Every launch template, instance, spot request and launch configuration requires IMDSv2 tokens with a hop limit of 1 (or disables IMDS).",
  check(r) {
    if (r.type === "aws:ec2/spotFleetRequest:SpotFleetRequest") {
      return list(r.props.launchSpecifications).map(
        (_, i) =>
          `spot fleet ${r.name} launchSpecifications[${i}] cannot require IMDSv2 (no metadata options): use launchTemplateConfigs`,
      );
    }
    const what = WITH_METADATA_OPTIONS[r.type];
    if (!what) return [];
    const m = obj(r.props.metadataOptions);
    if (m?.httpEndpoint === "disabled") return [];
    const out: string[] = [];
    if (m?.httpTokens !== "required" && m?.httpTokens !== UNKNOWN) {
      out.push(
        `${what} ${r.name} allows IMDSv1 (metadataOptions.httpTokens is ${JSON.stringify(m?.httpTokens ?? null)}, must be "required")`,
      );
    }
    const hops = m?.httpPutResponseHopLimit;
    if (hops !== UNKNOWN && Number(hops) !== 1) {
      out.push(
        `${what} ${r.name} metadataOptions.httpPutResponseHopLimit is ${JSON.stringify(hops ?? null)}: must be 1, so no container can reach the instance credentials`,
      );
    }
    return out;
  },
};

export const chainDataProtected: Rule = {
  name: "chain-data-volume-protected",
  description: `The chain data volume (tag ${ROLE_TAG}=${CHAIN_DATA_ROLE}) is protected from deletion.`,
  check(r) {
    if (r.type !== "aws:ebs/volume:Volume") return [];
    if (obj(r.props.tags)?.[ROLE_TAG] !== CHAIN_DATA_ROLE) return [];
    return r.protect === true
      ? []
      : [
          `chain data volume ${r.name} is not protected: weeks of chain sync would go with a delete`,
        ];
  },
};

const CRON = /^cron\(.+\)$/;

/**
 * SSM schedules, such as the nightly chain-node restart, must run only at their clock time:
 * - an association runs at once on every create and update unless applyOnlyAtCronInterval is true,
 *   and that flag is not supported for rate expressions (SSM API, CreateAssociation
 *   ApplyOnlyAtCronInterval); an association without a schedule runs on every deploy;
 * - a maintenance window with a rate expression counts from its start date, and a start date in
 *   the past means "now" (SSM API, CreateMaintenanceWindow StartDate), so it runs relative to the
 *   deploy; a cron expression runs at its clock time.
 */
export const ssmScheduleNotOnDeploy: Rule = {
  name: "ssm-schedule-not-on-deploy",
  description:
    "SSM associations and maintenance windows run only at their cron time, never because of a deploy.",
  check(r) {
    const p = r.props;
    if (r.type === "aws:ssm/association:Association") {
      const expr = p.scheduleExpression;
      if (expr === undefined || expr === null || expr === "") {
        return [`association ${r.name} has no schedule: it runs on every create and update`];
      }
      if (expr !== UNKNOWN && !(typeof expr === "string" && CRON.test(expr))) {
        return [
          `association ${r.name} schedule ${JSON.stringify(expr)} is not cron(...): a rate schedule runs at once on deploy`,
        ];
      }
      if (p.applyOnlyAtCronInterval !== true) {
        return [
          `association ${r.name} runs at once on every create and update: set applyOnlyAtCronInterval: true`,
        ];
      }
      return [];
    }
    if (r.type === "aws:ssm/maintenanceWindow:MaintenanceWindow") {
      const s = p.schedule;
      if (s !== UNKNOWN && !(typeof s === "string" && CRON.test(s))) {
        return [
          `maintenance window ${r.name} schedule ${JSON.stringify(s)} is not cron(...): a rate window counts from the deploy`,
        ];
      }
    }
    return [];
  },
};
