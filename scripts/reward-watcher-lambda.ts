// The reward watcher as a Lambda (bundled by lib/watcher/bundle.ts at `pulumi up`): on each
// EventBridge tick, read the RPC URL from its SSM SecureString, read the chain, publish metrics.
// A run that cannot read the chain publishes WatcherChainReadFailed and fails the invocation; it
// publishes no heartbeat, so the "watcher silent" alarm fires if that goes on.
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { Datum, RewardReport, metricData, readFailureData } from "../lib/watcher/assess";
import { parseWatcherEnv } from "../lib/watcher/env";
import { ChainReadError } from "../lib/watcher/read";
import { watchOnce } from "../lib/watcher/run";

/** The AWS clients, injectable so a test can run the bundled handler without AWS. */
export interface Deps {
  ssm: { send(command: GetParameterCommand): Promise<{ Parameter?: { Value?: string } }> };
  cloudwatch: { send(command: PutMetricDataCommand): Promise<unknown> };
  env: Record<string, string | undefined>;
  log?: (line: string) => void;
}

export function makeHandler(deps: Deps): () => Promise<RewardReport> {
  const log = deps.log ?? ((line: string) => console.log(line));
  return async () => {
    const cfg = parseWatcherEnv(deps.env);
    const publish = (data: Datum[]) =>
      deps.cloudwatch.send(
        new PutMetricDataCommand({ Namespace: cfg.namespace, MetricData: data }),
      );
    // Read every run (not cached): a rotated URL or API key takes effect on the next tick.
    const param = await deps.ssm.send(
      new GetParameterCommand({ Name: cfg.rpcUrlParameter, WithDecryption: true }),
    );
    const rpcUrl = param.Parameter?.Value;
    if (!rpcUrl) throw new Error(`SSM parameter ${cfg.rpcUrlParameter} has no value`);
    let report: RewardReport;
    try {
      report = await watchOnce({
        rpcUrl,
        controller: cfg.controller,
        orchestrator: cfg.orchestrator,
        gasAccounts: cfg.gasAccounts,
        chainId: cfg.chainId,
        logChunkBlocks: cfg.logChunkBlocks,
        thresholds: cfg.thresholds,
      });
    } catch (err) {
      if (err instanceof ChainReadError) {
        log(JSON.stringify({ unit: cfg.unit, error: { kind: err.kind, message: err.message } }));
        await publish(readFailureData(cfg.unit));
      }
      throw err;
    }
    log(JSON.stringify({ unit: cfg.unit, ...report }));
    await publish(metricData(report, cfg.unit));
    return report;
  };
}

let production: (() => Promise<RewardReport>) | undefined;

/** The Lambda entry point (index.handler): real clients, created on first use. */
export async function handler(): Promise<RewardReport> {
  production ??= makeHandler({
    ssm: new SSMClient({}),
    cloudwatch: new CloudWatchClient({}),
    env: process.env,
  });
  return production();
}
