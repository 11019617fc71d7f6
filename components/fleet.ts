import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { FleetConfig } from "../lib/config/schema";
import { regionStackName } from "../lib/stack";

export interface FleetArgs {
  fleet: string;
  config: FleetConfig;
}

/**
 * The fleet stack: what is fleet-wide rather than regional. It owns a provider in the home
 * region for fleet-wide resources and publishes the fleet's region stacks for tooling.
 */
export class Fleet extends pulumi.ComponentResource {
  public readonly provider: aws.Provider;
  public readonly regionStacks: string[];

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:fleet:Fleet", name, {}, opts);
    this.provider = new aws.Provider(
      `${name}-aws`,
      { region: args.config.homeRegion as aws.Region },
      { parent: this },
    );
    this.regionStacks = args.config.regions.map((r) => regionStackName(args.fleet, r));
    this.registerOutputs({ regionStacks: this.regionStacks });
  }
}
