// stripe-gateway: start GraphiQL on #graphiql (the page allows no inline script).
// The fetcher posts to the same-origin endpoint named by data-endpoint; headers typed into
// GraphiQL's Headers tab, such as {"Authorization": "Bearer <token>"}, go with each request
// and are not persisted to localStorage.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var endpoint = new URL(root.getAttribute("data-endpoint"), window.location.href);
  var fetcher = GraphiQL.createFetcher({ url: endpoint.href });
  // Anonymous: GraphiQL picks up a changed operation name after a short delay, so a named
  // default query replaced and run at once would be sent under the old name.
  var defaultQuery = [
    "# Run with Ctrl-Enter. With authentication on, open",
    '# Headers: {"Authorization": "Bearer <token>"}',
    "# and re-fetch the schema (\u21bb on the left).",
    "",
    "{",
    '  contact(id: "1001") {',
    "    name",
    "    email",
    "    stripeMatch {",
    "      method",
    "      trail { method outcome detail }",
    "      customer { id name email delinquent }",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
  root.textContent = "";
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      shouldPersistHeaders: false,
    })
  );
})();
