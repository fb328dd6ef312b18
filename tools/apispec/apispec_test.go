package apispec

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
)

// repoRoot is the root of the SDK repository, seen from this package's folder.
const repoRoot = "../.."

// load reads and validates one spec of api/.
func load(t *testing.T, name string) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(filepath.Join(repoRoot, "api", name))
	if err != nil {
		t.Fatalf("load api/%s: %v", name, err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("validate api/%s: %v", name, err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("api/%s: openapi = %q, want 3.0.3", name, doc.OpenAPI)
	}
	return doc
}

// operations maps "METHOD path" to the operation of doc.
func operations(doc *openapi3.T) map[string]*openapi3.Operation {
	ops := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops[method+" "+path] = op
		}
	}
	return ops
}

// goName matches an operationId that reads well as a Go method once capitalised.
var goName = regexp.MustCompile(`^[a-z][A-Za-z]*$`)

func TestSpecs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want map[string]string // "METHOD path" -> operationId
	}{
		{
			file: "core.yaml",
			want: map[string]string{
				"POST /event/{tenantLocator}/webhooks":                                                 "createWebhook",
				"GET /event/{tenantLocator}/webhooks/list":                                             "listWebhooks",
				"GET /event/{tenantLocator}/webhooks/{webhookLocator}":                                 "getWebhook",
				"PATCH /event/{tenantLocator}/webhooks/{webhookLocator}":                               "updateWebhook",
				"DELETE /event/{tenantLocator}/webhooks/{webhookLocator}":                              "deleteWebhook",
				"PATCH /event/{tenantLocator}/webhooks/{webhookLocator}/unsuspend":                     "unsuspendWebhook",
				"GET /event/{tenantLocator}/webhooks/{webhookLocator}/diverted":                        "listDivertedEvents",
				"GET /event/{tenantLocator}/webhooks/{webhookLocator}/diverted/{eventLocator}":         "getDivertedEvent",
				"DELETE /event/{tenantLocator}/webhooks/{webhookLocator}/diverted/{eventLocator}":      "deleteDivertedEvent",
				"POST /event/{tenantLocator}/webhooks/{webhookLocator}/diverted/{eventLocator}/resend": "resendDivertedEvent",
				"GET /event/{tenantLocator}/events/list":                                               "listEvents",
				"GET /event/{tenantLocator}/events/{locator}":                                          "getEvent",
				"GET /event/{tenantLocator}/events/request/{locator}":                                  "listEventsForRequest",
			},
		},
		{
			file: "legacy.yaml",
			want: map[string]string{
				"PUT /webhooks":                                         "putWebhook",
				"GET /webhooks":                                         "listWebhooks",
				"GET /webhooks/{name}":                                  "getWebhook",
				"DELETE /webhooks/{name}":                               "deleteWebhook",
				"PATCH /webhooks/{name}/unsuspend":                      "unsuspendWebhook",
				"GET /webhooks/{name}/diverted":                         "listDivertedEvents",
				"DELETE /webhooks/{name}/diverted/{transactionId}":      "deleteDivertedEvent",
				"POST /webhooks/{name}/diverted/{transactionId}/resend": "resendDivertedEvent",
				"GET /integrations":                                     "listIntegrations",
				"POST /integrations":                                    "createIntegration",
				"PUT /integrations/{integrationName}":                   "replaceIntegration",
				"DELETE /integrations/{integrationName}":                "deleteIntegration",
				"POST /account/authenticate":                            "authenticate",
				"POST /account/authenticateAdmin":                       "authenticateAdmin",
				// socotra/public, socotratools/client.py: the Legacy event stream.
				"GET /eventstream/events": "listEvents",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			doc := load(t, tt.file)
			ops := operations(doc)
			got := map[string]string{}
			for key, op := range ops {
				got[key] = op.OperationID
				if !goName.MatchString(op.OperationID) {
					t.Errorf("%s: operationId %q is not a lowerCamel Go-friendly name", key, op.OperationID)
				}
				if strings.TrimSpace(op.Description) == "" {
					t.Errorf("%s (%s): no description", key, op.OperationID)
				}
				if op.Responses.Default() == nil {
					t.Errorf("%s (%s): no default response, so errors would not be parsed", key, op.OperationID)
				}
				for code, resp := range op.Responses.Map() {
					if resp.Value == nil || resp.Value.Description == nil || *resp.Value.Description == "" {
						t.Errorf("%s (%s): response %s has no description", key, op.OperationID, code)
					}
				}
				for _, p := range op.Parameters {
					if p.Value.Description == "" {
						t.Errorf("%s (%s): parameter %q has no description", key, op.OperationID, p.Value.Name)
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("operations differ from the platform's (-want +got):\n%s", diff)
			}
			for name, s := range doc.Components.Schemas {
				if strings.TrimSpace(s.Value.Description) == "" {
					t.Errorf("schema %s has no description", name)
				}
			}
		})
	}
}

func TestCoreSecurityIsBearer(t *testing.T) {
	t.Parallel()
	doc := load(t, "core.yaml")
	s := doc.Components.SecuritySchemes["bearerAuth"]
	if s == nil || s.Value.Type != "http" || s.Value.Scheme != "bearer" {
		t.Fatalf("core.yaml: bearerAuth scheme = %+v, want http bearer", s)
	}
	if len(doc.Security) != 1 || doc.Security[0]["bearerAuth"] == nil {
		t.Errorf("core.yaml: top-level security = %v, want bearerAuth", doc.Security)
	}
}

func TestLegacySecurityIsRawAuthorizationHeader(t *testing.T) {
	t.Parallel()
	doc := load(t, "legacy.yaml")
	s := doc.Components.SecuritySchemes["tokenAuth"]
	if s == nil || s.Value.Type != "apiKey" || s.Value.In != "header" || s.Value.Name != "Authorization" {
		t.Fatalf("legacy.yaml: tokenAuth scheme = %+v, want apiKey in the Authorization header", s)
	}
	for key, op := range operations(doc) {
		isAuth := strings.HasPrefix(key, "POST /account/")
		if open := op.Security != nil && len(*op.Security) == 0; open != isAuth {
			t.Errorf("%s: unauthenticated = %v, want %v", key, open, isAuth)
		}
	}
}

// TestCoreWebhookListAcceptsBothShapes checks that the list answer is declared as
// the envelope or a bare array, and that both example bodies validate.
func TestCoreWebhookListAcceptsBothShapes(t *testing.T) {
	t.Parallel()
	doc := load(t, "core.yaml")
	op := doc.Paths.Find("/event/{tenantLocator}/webhooks/list").Get
	schema := op.Responses.Value("200").Value.Content.Get("application/json").Schema.Value
	bodies := map[string]string{
		"envelope":   `{"listCompleted":true,"items":[{"locator":"01JD0000000000000000000000","name":"a"}]}`,
		"bare array": `[{"locator":"01JD0000000000000000000000","name":"a"}]`,
		"empty":      `[]`,
	}
	for name, body := range bodies {
		var v any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatal(err)
		}
		if err := schema.VisitJSON(v); err != nil {
			t.Errorf("%s: %s does not match the list schema: %v", name, body, err)
		}
	}
	var scalar any = "not a list"
	if err := schema.VisitJSON(scalar); err == nil {
		t.Error("a JSON string matched the webhook list schema; want a mismatch")
	}
}

// TestLegacyEventTypes checks the one shared enum of Legacy event names: it lists
// the reference names in their order, and no other schema repeats them inline.
func TestLegacyEventTypes(t *testing.T) {
	t.Parallel()
	doc := load(t, "legacy.yaml")
	raw, err := os.ReadFile("testdata/legacy-event-types.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != 100 {
		t.Fatalf("testdata lists %d names, want 100", len(want))
	}
	et := doc.Components.Schemas["EventType"]
	if et == nil {
		t.Fatal("legacy.yaml: components.schemas.EventType is missing")
	}
	var got []string
	for _, v := range et.Value.Enum {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("EventType enum value %v is %T, want string", v, v)
		}
		got = append(got, s)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EventType enum differs from the reference list (-want +got):\n%s", diff)
	}

	// Every schema that carries an event type must point at EventType.
	inline := 0
	seen := map[*openapi3.Schema]bool{}
	var walk func(path string, ref *openapi3.SchemaRef)
	walk = func(path string, ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		seen[ref.Value] = true
		if ref.Value != et.Value && slices.Contains(ref.Value.Enum, any("policy.create")) {
			inline++
			t.Errorf("%s repeats the event-type enum inline; $ref #/components/schemas/EventType instead", path)
		}
		for name, p := range ref.Value.Properties {
			walk(path+"."+name, p)
		}
		walk(path+"[]", ref.Value.Items)
	}
	for name, s := range doc.Components.Schemas {
		walk(name, s)
	}
	for _, name := range []string{"WebhookRequest", "WebhookResponse", "WebhookPayload", "WebhookDivertedEventResponse", "EventStreamWebhookSuspendedData"} {
		if !refersTo(doc.Components.Schemas[name], "#/components/schemas/EventType", map[*openapi3.Schema]bool{}) {
			t.Errorf("schema %s does not use EventType", name)
		}
	}
}

// refersTo reports whether s or any schema under it is a $ref to target.
func refersTo(s *openapi3.SchemaRef, target string, seen map[*openapi3.Schema]bool) bool {
	if s == nil {
		return false
	}
	if s.Ref == target {
		return true
	}
	if s.Value == nil || seen[s.Value] {
		return false
	}
	seen[s.Value] = true
	for _, p := range s.Value.Properties {
		if refersTo(p, target, seen) {
			return true
		}
	}
	return refersTo(s.Value.Items, target, seen)
}

// TestGeneratedCodeIsFresh regenerates both clients and compares them with the
// committed files, so a spec change without "go generate" fails.
func TestGeneratedCodeIsFresh(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the generator")
	}
	for _, pkg := range []string{"coreapi", "legacyapi"} {
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(repoRoot, "internal", pkg)
			committed, err := os.ReadFile(filepath.Join(dir, pkg+".gen.go"))
			if err != nil {
				t.Fatal(err)
			}
			fresh := generate(t, dir)
			if !bytes.Equal(committed, fresh) {
				t.Errorf("internal/%s/%s.gen.go is stale: run go generate ./internal/%s", pkg, pkg, pkg)
			}
		})
	}
}

// generate runs oapi-codegen with the package's cfg.yaml, writing to standard
// output instead of the committed file, and returns the code.
func generate(t *testing.T, dir string) []byte {
	t.Helper()
	cfg, err := os.ReadFile(filepath.Join(dir, "cfg.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for line := range strings.Lines(string(cfg)) {
		if !strings.HasPrefix(line, "output:") {
			kept = append(kept, line)
		}
	}
	if len(kept) == len(strings.Split(strings.TrimSuffix(string(cfg), "\n"), "\n")) {
		t.Fatalf("%s/cfg.yaml has no output line", dir)
	}
	tmp := filepath.Join(t.TempDir(), "cfg.yaml")
	if err := os.WriteFile(tmp, []byte(strings.Join(kept, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(repoRoot, "api", strings.TrimSuffix(filepath.Base(dir), "api")+".yaml")
	cmd := exec.CommandContext(t.Context(), "go", "tool", "oapi-codegen", "-config", tmp, spec)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oapi-codegen for %s: %v\n%s", dir, err, stderr.String())
	}
	return out
}
