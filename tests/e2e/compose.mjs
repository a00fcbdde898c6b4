// Compose subgraph SDLs into a supergraph with @apollo/composition; fail on any error.
//
//   node compose.mjs NAME=SOURCE [NAME=SOURCE ...]
//
// SOURCE is a subgraph URL (its SDL is read from `{ _service { sdl } }`) or a file of SDL.
// On success the supergraph SDL goes to standard output and hints to standard error;
// on failure every composition error goes to standard error and the exit status is 1.
import { readFileSync } from "node:fs";

import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

async function sdlOf(source) {
  if (!/^https?:\/\//.test(source)) {
    return { sdl: readFileSync(source, "utf8"), url: undefined };
  }
  const response = await fetch(source, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(process.env.SUBGRAPH_AUTHORIZATION
        ? { authorization: process.env.SUBGRAPH_AUTHORIZATION }
        : {}),
    },
    body: JSON.stringify({ query: "{ _service { sdl } }" }),
  });
  const body = await response.json();
  if (!response.ok || body.errors) {
    throw new Error(`${source}: ${response.status} ${JSON.stringify(body.errors ?? body)}`);
  }
  return { sdl: body.data._service.sdl, url: source };
}

const args = process.argv.slice(2);
if (args.length === 0 || args.some((a) => !a.includes("="))) {
  console.error("usage: node compose.mjs NAME=URL_OR_FILE [NAME=URL_OR_FILE ...]");
  process.exit(2);
}
const services = [];
for (const arg of args) {
  const at = arg.indexOf("=");
  const name = arg.slice(0, at);
  const { sdl, url } = await sdlOf(arg.slice(at + 1));
  services.push({ name, url: url ?? `http://${name}.invalid/graphql`, typeDefs: parse(sdl) });
}

const result = composeServices(services);
if (result.errors) {
  for (const error of result.errors) {
    console.error(`composition error: ${error.extensions?.code ?? ""} ${error.message}`);
  }
  process.exit(1);
}
for (const hint of result.hints) {
  console.error(`composition hint: ${hint.definition.code} ${hint.message}`);
}
process.stdout.write(result.supergraphSdl);
