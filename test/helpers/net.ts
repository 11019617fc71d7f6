// Loopback networking for tests: ports the kernel hands out at run time (never a fixed port) and
// small HTTP stand-ins. Shared by every suite that starts a local server.
import * as http from "node:http";
import * as net from "node:net";

/** A port the kernel just handed out on 127.0.0.1 (bound to 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** An HTTP server on a free loopback port. */
export function listen(
  handler: http.RequestListener,
): Promise<{ server: http.Server; port: number }> {
  return freePort().then(
    (port) =>
      new Promise((r) => {
        const server = http.createServer(handler);
        server.listen(port, "127.0.0.1", () => r({ server, port }));
      }),
  );
}

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((r) => {
    let b = "";
    req.on("data", (d: Buffer) => (b += d.toString()));
    req.on("end", () => r(b));
  });
}
