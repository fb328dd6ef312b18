package manifest_test

import (
	"fmt"

	"github.com/socotra-go/sdk/manifest"
)

// The example manifest published with the Marketplace documentation has a
// trailing comma and an unclosed brace; Parse points at both.
func ExampleParse() {
	_, err := manifest.Parse([]byte(`{
  "name": "org-name/app-name",
  "version": "0.0.1",
  "socotra": {
    "webhooks": [
      {"path": "/webhook-notify", "events": ["policy.create"]}
    ],
  }
`))
	for _, e := range manifest.SyntaxErrors(err) {
		fmt.Printf("%d:%d: %s\n", e.Line, e.Column, e.Msg)
	}
	// Output:
	// 7:6: trailing comma before '}': remove the ','
	// 8:4: unexpected end of file: 1 '{' not closed (the '{' opened at line 1, column 1)
}

func ExampleManifest_Check() {
	m, err := manifest.Parse([]byte(`{
  "name": "acme/claims",
  "version": "1.0",
  "socotra": {"webhooks": [
    {"path": "claims", "events": ["claim.create", "claim.craete"]}
  ]}
}`))
	if err != nil {
		panic(err)
	}
	errs, warnings := m.Check()
	for _, p := range append(errs, warnings...) {
		fmt.Println(p)
	}
	// Output:
	// manifest: line 3, column 14: version: "1.0" is not a MAJOR.MINOR.PATCH version; use three numbers separated by dots, such as "1.0.0"
	// manifest: line 5, column 14: socotra.webhooks[0].path: "claims" must start with '/'; write "/claims"
	// manifest: line 5, column 51: warning: socotra.webhooks[0].events[1]: "claim.craete" is not an event name this SDK knows; did you mean "claim.create"?
}
