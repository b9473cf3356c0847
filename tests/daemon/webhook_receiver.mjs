// A webhook receiver for the notification tests: appends every request as one JSON line
// ({time, path, authorization, body}) to OUT_FILE and writes its port to PORT_FILE.
// Requests to a path starting with /flaky get a 500 the first time, to test retries.
//
//   node webhook_receiver.mjs PORT_FILE OUT_FILE
import { appendFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";

const [portFile, outFile] = process.argv.slice(2);
if (!portFile || !outFile) {
  console.error("usage: webhook_receiver.mjs PORT_FILE OUT_FILE");
  process.exit(2);
}
const failedOnce = new Set();
const server = createServer((request, response) => {
  let body = "";
  request.setEncoding("utf8");
  request.on("data", (chunk) => {
    body += chunk;
    if (body.length > 1 << 20) request.destroy();  // bounded, like everything else
  });
  request.on("end", () => {
    if (request.url.startsWith("/flaky") && !failedOnce.has(body)) {
      failedOnce.add(body);
      response.writeHead(500).end("try again\n");
      return;
    }
    const line = {
      time: Date.now() / 1000,
      path: request.url,
      authorization: request.headers.authorization ?? null,
      content_type: request.headers["content-type"] ?? null,
      body: (() => { try { return JSON.parse(body); } catch { return body; } })(),
    };
    appendFileSync(outFile, JSON.stringify(line) + "\n");
    response.writeHead(204).end();
  });
});
server.listen(0, "127.0.0.1", () => writeFileSync(portFile, String(server.address().port)));
// Bounded: the tests never need it longer.
setTimeout(() => process.exit(0), 10 * 60 * 1000).unref();
