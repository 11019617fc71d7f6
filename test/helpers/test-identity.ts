// A TEST-ONLY orchestrator identity: a real go-ethereum v3 keystore (light scrypt, made with
// ethers) for a throwaway key, its passphrase and a hosted endpoint key. Never used anywhere but
// tests; the suites assert none of these values leaks into user data, units or logs.
import { Wallet, encryptKeystoreJsonSync } from "ethers";

const PASSPHRASE = "test-only passphrase 7f3e9c1b";
const HOSTED_KEY = "testonlyhostedkey5a1d9e";
const wallet = new Wallet("0x" + "4c".repeat(32));
// scrypt N=2^10 keeps the test fast; the format is what go-livepeer reads.
const keystore = encryptKeystoreJsonSync(
  { address: wallet.address, privateKey: wallet.privateKey },
  PASSPHRASE,
  { scrypt: { N: 1024 } },
);
// ethers writes "Crypto", geth "crypto": go-ethereum reads either.
const parsed = JSON.parse(keystore) as Record<string, { ciphertext: string }>;
const ciphertext = (parsed.Crypto ?? parsed.crypto).ciphertext;

export const TEST_IDENTITY = {
  address: wallet.address,
  keystore,
  passphrase: PASSPHRASE,
  privateKey: wallet.privateKey,
  endpoints: JSON.stringify({
    backups: [`https://arb.example.invalid/v2/${HOSTED_KEY}`],
    parentChainUrl: `https://eth.example.invalid/v2/${HOSTED_KEY}`,
    parentChainBeaconUrl: `https://beacon.example.invalid/${HOSTED_KEY}`,
  }),
  /** Substrings that must never appear outside the secret's own file. */
  secrets: [PASSPHRASE, ciphertext, wallet.privateKey.slice(2), HOSTED_KEY],
};
