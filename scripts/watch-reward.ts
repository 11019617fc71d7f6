// The reward watcher as a CLI: the same core the Lambda runs, for operators and cron.
//   npm run watch:reward -- --rpc URL --controller ADDR --orchestrator ADDR [--json]
// Exit codes (grep's convention): 0 all is well; 1 an alert condition holds (reward missed, round
// not initialized, gas balance low, orchestrator inactive); 2 the state could not be established
// (unreachable RPC, wrong chain, not a Controller); 64 a wrong command line. Never 0 on an error.
import { formatEther, getAddress, isAddress } from "ethers";
import { KNOWN_NETWORKS, OPERATIONS_DEFAULTS } from "../lib/config/operations";
import { RewardReport, exitCodeFor } from "../lib/watcher/assess";
import { ChainReadError } from "../lib/watcher/read";
import { watchOnce } from "../lib/watcher/run";
import {
  exitAfterFlush,
  HelpRequested,
  parseFlags,
  UsageError,
  EXIT_CODES_DOC,
  EXIT_USAGE,
} from "../lib/cli";

const EXIT_UNKNOWN = 2;
const DEFAULT_NETWORK = KNOWN_NETWORKS["arbitrum-one-mainnet"];

const HELP = `usage: npm run watch:reward -- --rpc URL --controller ADDR --orchestrator ADDR [--json]
  --account ADDR          gas-paying account to check (repeatable; default: the orchestrator)
  --chain-id N            chain the RPC must serve (default ${DEFAULT_NETWORK.chainId}, Arbitrum One)
  --reward-fraction F     reward still due this far into the round is an alert (default ${OPERATIONS_DEFAULTS.rewardNotCalledRoundFraction})
  --init-blocks N         round uninitialized this many L1 blocks in is an alert (default ${OPERATIONS_DEFAULTS.roundNotInitializedBlocks})
  --min-balance-eth E     any gas account below this is an alert (default ${OPERATIONS_DEFAULTS.minGasBalanceEth})
  --log-chunk-blocks N    blocks per eth_getLogs request (default ${OPERATIONS_DEFAULTS.logChunkBlocks})
  --timeout-ms N          per-request timeout (default 15000)
  --help                  this text

exit: 0 ok, 1 alert, 2 could not read the chain, 64 wrong usage (${EXIT_CODES_DOC})
`;
const USAGE_LINE =
  "npm run watch:reward -- --rpc URL --controller ADDR --orchestrator ADDR [--json]";

function number(v: string | undefined, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag}: expected a number, got ${v}`);
  return n;
}

function address(v: string | undefined, flag: string): string {
  if (v === undefined) throw new UsageError(`${flag} is required`);
  if (!isAddress(v)) throw new UsageError(`${flag}: not an Ethereum address: ${String(v)}`);
  return getAddress(v);
}

function parse(argv: string[]) {
  const values = parseFlags(
    argv,
    {
      rpc: "string",
      controller: "string",
      orchestrator: "string",
      account: "strings",
      json: "boolean",
      "chain-id": "string",
      "reward-fraction": "string",
      "init-blocks": "string",
      "min-balance-eth": "string",
      "log-chunk-blocks": "string",
      "timeout-ms": "string",
    },
    USAGE_LINE,
    HELP,
  );
  if (!values.rpc) throw new UsageError("--rpc is required");
  const orchestrator = address(values.orchestrator, "--orchestrator");
  return {
    json: values.json,
    options: {
      rpcUrl: values.rpc,
      controller: address(values.controller, "--controller"),
      orchestrator,
      gasAccounts: (values.account.length > 0 ? values.account : [orchestrator]).map((a) =>
        address(a, "--account"),
      ),
      chainId: number(values["chain-id"], "--chain-id", DEFAULT_NETWORK.chainId),
      logChunkBlocks: number(
        values["log-chunk-blocks"],
        "--log-chunk-blocks",
        OPERATIONS_DEFAULTS.logChunkBlocks,
      ),
      timeoutMs: number(values["timeout-ms"], "--timeout-ms", 15_000),
      thresholds: {
        rewardNotCalledRoundFraction: number(
          values["reward-fraction"],
          "--reward-fraction",
          OPERATIONS_DEFAULTS.rewardNotCalledRoundFraction,
        ),
        roundNotInitializedBlocks: number(
          values["init-blocks"],
          "--init-blocks",
          OPERATIONS_DEFAULTS.roundNotInitializedBlocks,
        ),
        minGasBalanceEth: number(
          values["min-balance-eth"],
          "--min-balance-eth",
          OPERATIONS_DEFAULTS.minGasBalanceEth,
        ),
      },
    },
  };
}

function human(r: RewardReport): string {
  const pct = (r.roundProgress * 100).toFixed(1);
  const lines = [
    `round ${r.currentRound} (${r.roundInitialized ? "initialized" : "NOT initialized"}), ${r.blocksIntoRound}/${r.roundLength} L1 blocks in (${pct}%)`,
    `orchestrator ${r.active ? "active" : "INACTIVE"}, last reward round ${r.lastRewardRound}, reward ${r.rewardCalled ? "called" : "not yet called"} this round${r.rewardEventSeen ? " (Reward event seen)" : ""}`,
    ...r.gasAccounts.map((a) => `gas account ${a.address}: ${formatEther(a.ethBalanceWei)} ETH`),
    r.alerts.length === 0 ? "OK" : `ALERT: ${r.alerts.join(", ")}`,
  ];
  return lines.join("\n");
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(err.text);
      return 0;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  try {
    const report = await watchOnce(parsed.options);
    process.stdout.write(`${parsed.json ? JSON.stringify(report, null, 2) : human(report)}\n`);
    return exitCodeFor(report);
  } catch (err) {
    const kind = err instanceof ChainReadError ? err.kind : "internal";
    const message = err instanceof Error ? err.message : String(err);
    if (parsed.json) process.stdout.write(`${JSON.stringify({ error: { kind, message } })}\n`);
    process.stderr.write(`could not read the chain (${kind}): ${message}\n`);
    return EXIT_UNKNOWN;
  }
}

main().then(
  (code) => exitAfterFlush(code),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(EXIT_UNKNOWN);
  },
);
