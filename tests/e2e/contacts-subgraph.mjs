// A small contacts subgraph for the federation tests: it owns `Contact` and knows nothing of
// Stripe. It also has its own `PageInfo` and `ContactInput`, as a real contacts service
// would, to show that the Stripe subgraph's types do not collide with them.
//
//   node contacts-subgraph.mjs CONTACTS_JSON_FILE [PORT]
//
// The file holds an array of {id, name, email, customData, billingCustomerId}. The server
// prints one line, "ready <url>", once it listens (PORT 0 or absent: any free port).
import { readFileSync } from "node:fs";

import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { GraphQLScalarType, Kind, parse } from "graphql";

const [file, port = "0"] = process.argv.slice(2);
if (!file) {
  console.error("usage: node contacts-subgraph.mjs CONTACTS_JSON_FILE [PORT]");
  process.exit(2);
}
const contacts = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(contacts.map((c) => [String(c.id), c]));

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  scalar JSON

  type Contact @key(fields: "id") {
    id: ID!
    name: String
    email: String
    customData: JSON
    "A Stripe customer pinned by the helpdesk, resolved by the Stripe subgraph."
    billingCustomer: StripeCustomer
  }

  type StripeCustomer @key(fields: "id", resolvable: false) {
    id: ID!
  }

  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }

  type ContactConnection {
    nodes: [Contact!]!
    pageInfo: PageInfo!
  }

  input ContactInput {
    name: String!
    email: String!
  }

  type Query {
    contact(id: ID!): Contact
    contacts(first: Int = 20): [Contact!]!
    contactPage(first: Int = 20): ContactConnection!
  }

  type Mutation {
    addContact(input: ContactInput!): Contact!
  }
`);

function literal(ast) {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value)]));
    case Kind.LIST:
      return ast.values.map(literal);
    default:
      return null;
  }
}

const resolvers = {
  JSON: new GraphQLScalarType({
    name: "JSON",
    serialize: (value) => value,
    parseValue: (value) => value,
    parseLiteral: literal,
  }),
  Contact: {
    __resolveReference: (ref) => byId.get(String(ref.id)) ?? null,
    customData: (contact) => contact.customData ?? null,
    billingCustomer: (contact) =>
      contact.billingCustomerId ? { id: contact.billingCustomerId } : null,
  },
  Query: {
    contact: (_, { id }) => byId.get(String(id)) ?? null,
    contacts: (_, { first }) => contacts.slice(0, first),
    contactPage: (_, { first }) => ({
      nodes: contacts.slice(0, first),
      pageInfo: { hasNextPage: contacts.length > first, endCursor: null },
    }),
  },
  Mutation: {
    addContact: (_, { input }) => {
      const contact = { id: `added-${contacts.length + 1}`, ...input, customData: {} };
      contacts.push(contact);
      byId.set(contact.id, contact);
      return contact;
    },
  },
};

const server = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs, resolvers }) });
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: Number(port) },
});
console.log(`ready ${url}`);
