// A federation gateway over running subgraphs: @apollo/gateway with IntrospectAndCompose
// (it reads each subgraph's `_service { sdl }` and composes them) behind @apollo/server.
//
//   node gateway.mjs PORT NAME=URL [NAME=URL ...]
//
// Prints "ready <url>" once it serves. SUBGRAPH_AUTHORIZATION, when set, is sent as the
// Authorization header to every subgraph (introspection and queries).
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";

const [port, ...pairs] = process.argv.slice(2);
if (port === undefined || pairs.length === 0 || pairs.some((p) => !p.includes("="))) {
  console.error("usage: node gateway.mjs PORT NAME=URL [NAME=URL ...]");
  process.exit(2);
}
const subgraphs = pairs.map((pair) => {
  const at = pair.indexOf("=");
  return { name: pair.slice(0, at), url: pair.slice(at + 1) };
});
const authorization = process.env.SUBGRAPH_AUTHORIZATION;
const headers = authorization ? { authorization } : {};

const gateway = new ApolloGateway({
  supergraphSdl: new IntrospectAndCompose({ subgraphs, introspectionHeaders: headers }),
  buildService: ({ url }) =>
    new RemoteGraphQLDataSource({
      url,
      willSendRequest({ request }) {
        for (const [name, value] of Object.entries(headers)) {
          request.http.headers.set(name, value);
        }
      },
    }),
});

const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: Number(port) },
});
console.log(`ready ${url}`);
