// A webhook receiver for the notification tests: appends every request as one JSON line
// ({time, path, authorization, body}) to OUT_FILE and writes its port to PORT_FILE.
// Requests to a path starting with /flaky get a 500 the first time, to test retries; the
// first request about each check to a path starting with /slow is answered (and written)
// only after 8 s, to test that later events wait for it. The first three requests to a path
// starting with /refuse get a 500: one event's every attempt fails.
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
let refused = 0;
const heldOnce = new Set();
const server = createServer((request, response) => {
  let body = "";
  request.setEncoding("utf8");
  request.on("data", (chunk) => {
    body += chunk;
    if (body.length > 1 << 20) request.destroy();  // bounded, like everything else
  });
  request.on("end", () => {
    if (request.url.startsWith("/refuse") && refused < 3) {
      refused += 1;
      response.writeHead(500).end("not now\n");
      return;
    }
    if (request.url.startsWith("/flaky") && !failedOnce.has(body)) {
      failedOnce.add(body);
      response.writeHead(500).end("try again\n");
      return;
    }
    const check = (() => { try { return JSON.parse(body).check; } catch { return ""; } })();
    const hold = request.url.startsWith("/slow") && !heldOnce.has(check);
    heldOnce.add(check);
    const line = {
      time: Date.now() / 1000,
      path: request.url,
      authorization: request.headers.authorization ?? null,
      content_type: request.headers["content-type"] ?? null,
      body: (() => { try { return JSON.parse(body); } catch { return body; } })(),
    };
    const answer = () => {
      appendFileSync(outFile, JSON.stringify(line) + "\n");
      response.writeHead(204).end();
    };
    if (hold) setTimeout(answer, 8000); else answer();
  });
});
server.listen(0, "127.0.0.1", () => writeFileSync(portFile, String(server.address().port)));
// Bounded: the tests never need it longer.
setTimeout(() => process.exit(0), 10 * 60 * 1000).unref();
